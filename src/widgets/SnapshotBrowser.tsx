import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { TreeResponse } from '@studio-backup/lcc/contract';
import { SnapshotsModel } from '../snapshots';

/** Restores one path of a snapshot into restored-files/<snapshot>/ after showing the dry run. */
async function restoreToSide(
  model: SnapshotsModel,
  snapshot: string,
  path: string,
  trans: TranslationBundle
): Promise<void> {
  const body = {
    snapshot,
    paths: [path],
    target: 'side' as const,
    conflict: 'skip' as const
  };
  try {
    const plan = await model.planRestore(body);
    const c = plan.counts;
    const result = await showDialog({
      title: trans.__('Restore %1', path),
      body: trans.__(
        '%1 files will be restored into %2 (%3 already there and kept).',
        c.restore + c.overwrite + c.rename,
        plan.target,
        c.skip + c.unchanged
      ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Restore') })
      ]
    });
    if (!result.button.accept) {
      return;
    }
    const job = await model.restore(body);
    if (job.state === 'succeeded') {
      Notification.success(trans.__('Restored %1 into %2', path, plan.target), {
        autoClose: 5000
      });
    } else {
      Notification.error(
        trans.__('Restore failed: %1', job.error ?? job.state)
      );
    }
  } catch (err) {
    Notification.error(err instanceof Error ? err.message : String(err));
  }
}

/** One folder of a snapshot: navigate into folders, go up, restore any entry to the side folder. */
export function SnapshotBrowser(props: {
  model: SnapshotsModel;
  tree: TreeResponse;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, tree, trans } = props;
  const parent = tree.path.includes('/')
    ? tree.path.slice(0, tree.path.lastIndexOf('/'))
    : '';
  return (
    <div
      className="jp-StudioBackup-browser"
      aria-label={trans.__('Snapshot %1', tree.snapshot.slice(0, 8))}
    >
      <div className="jp-StudioBackup-crumbs">
        <button
          className="jp-Button jp-mod-minimal jp-StudioBackup-backToList"
          onClick={() => model.closeBrowser()}
        >
          {trans.__('All snapshots')}
        </button>
        <span className="jp-StudioBackup-path">
          {tree.snapshot.slice(0, 8)}:/{tree.path}
        </span>
      </div>
      <ul className="jp-StudioBackup-entries">
        {tree.path !== '' && (
          <li className="jp-StudioBackup-entry">
            <button
              className="jp-StudioBackup-entryName"
              onClick={() => void model.browse(tree.snapshot, parent)}
            >
              ..
            </button>
          </li>
        )}
        {tree.entries.map(entry => (
          <li
            key={entry.path}
            className="jp-StudioBackup-entry"
            data-path={entry.path}
          >
            {entry.type === 'dir' ? (
              <button
                className="jp-StudioBackup-entryName"
                onClick={() => void model.browse(tree.snapshot, entry.path)}
              >
                {entry.name}/
              </button>
            ) : (
              <span className="jp-StudioBackup-entryName">{entry.name}</span>
            )}
            <button
              className="jp-Button jp-mod-minimal jp-StudioBackup-restore"
              title={trans.__('Restore %1 into restored-files/', entry.path)}
              aria-label={trans.__('Restore %1', entry.path)}
              onClick={() =>
                void restoreToSide(model, tree.snapshot, entry.path, trans)
              }
            >
              {trans.__('Restore')}
            </button>
          </li>
        ))}
      </ul>
      {tree.nextCursor && (
        <button
          className="jp-Button jp-mod-minimal"
          onClick={() => void model.more()}
        >
          {trans.__('Show more (%1 of %2)', tree.entries.length, tree.total)}
        </button>
      )}
    </div>
  );
}
