import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';
import { unreachableText } from '../api';
import type { IBackupsContext } from '../context';
import { CommandIDs } from '../commands';
import { IVersions, loadVersions } from '../fileViews';
import { formatSize, formatTime } from './format';
import { FileActions } from './FileActions';
import { restoreWithDialogs } from './restoreFlow';
import { useLoaded } from './useLoaded';

interface IState extends IVersions {
  error?: string;
  loading: boolean;
}

/**
 * "Previous versions…" of a file or folder: every snapshot holding a different version, with
 * preview, compare and restore; for a folder, also what was deleted from it since the last backup.
 */
export function VersionsView(props: {
  ctx: IBackupsContext;
  path: string;
  isDir: boolean;
}): JSX.Element {
  const { ctx, path, isDir } = props;
  const trans = ctx.trans;
  const [loaded, load] = useLoaded(async () => {
    if (ctx.snapshots.snapshots.length === 0) {
      await ctx.snapshots.refresh();
    }
    return loadVersions(ctx.client, ctx.snapshots.snapshots, path, isDir);
  }, [path, isDir]);
  const state: IState =
    loaded.state === 'ready'
      ? { ...loaded.value, loading: false }
      : {
          versions: [],
          deleted: [],
          loading: loaded.state === 'loading',
          // While the agent is down, say so as the panel does (nobody knows what the snapshots hold).
          error:
            loaded.state !== 'error'
              ? undefined
              : loaded.unreachable
                ? unreachableText(ctx.client.port, trans)
                : loaded.message
        };

  const restore = async (
    snapshot: string,
    shortId: string,
    paths: string[]
  ) => {
    await restoreWithDialogs(ctx, { snapshot, shortId, paths });
    load();
  };
  const name = path || trans.__('the home folder');
  return (
    <div
      className="jp-StudioBackup-versions"
      aria-label={trans.__('Previous versions of %1', name)}
    >
      <div className="jp-StudioBackup-viewHeader">
        {trans.__('Previous versions of %1', name)}
      </div>
      {state.loading && <p>{trans.__('Loading…')}</p>}
      {state.error && (
        <div className="jp-StudioBackup-banner jp-mod-error" role="alert">
          {state.error}
        </div>
      )}
      {isDir && state.latest && (
        <section className="jp-StudioBackup-deleted">
          <h3>
            {trans.__(
              'Deleted since the last backup (%1)',
              state.latest.shortId
            )}
          </h3>
          {state.deleted.length === 0 && !state.loading ? (
            <p>{trans.__('Nothing was deleted from this folder.')}</p>
          ) : (
            <ul>
              {state.deleted.map(p => (
                <li
                  key={p}
                  className="jp-StudioBackup-deletedItem"
                  data-path={p}
                >
                  <span>{p}</span>
                  <Button
                    className="jp-mod-styled jp-StudioBackup-restore"
                    aria-label={trans.__('Restore %1', p)}
                    onClick={() =>
                      void restore(state.latest!.id, state.latest!.shortId, [p])
                    }
                  >
                    {trans.__('Restore')}
                  </Button>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {path && (
        <section>
          <h3>{trans.__('Versions in snapshots')}</h3>
          {!state.loading && !state.error && state.versions.length === 0 && (
            <p>{trans.__('No snapshot holds %1.', path)}</p>
          )}
          <table className="jp-StudioBackup-versionTable">
            <tbody>
              {state.versions.map(v => (
                <tr
                  key={v.snapshot}
                  className="jp-StudioBackup-version"
                  data-snapshot={v.snapshot}
                >
                  <td>{formatTime(v.time)}</td>
                  <td>
                    {v.shortId}
                    {v.kind === 'reference' && (
                      <span className="jp-StudioBackup-badge">
                        {trans.__('reference')}
                      </span>
                    )}
                  </td>
                  <td>
                    {v.type === 'file'
                      ? formatSize(v.size)
                      : trans.__('folder')}
                  </td>
                  <td className="jp-StudioBackup-versionActions">
                    {v.type === 'file' ? (
                      <FileActions
                        ctx={ctx}
                        snapshot={v.snapshot}
                        path={path}
                      />
                    ) : (
                      <Button
                        minimal
                        className="jp-StudioBackup-browse"
                        onClick={() => {
                          void ctx.commands.execute(CommandIDs.openPanel);
                          void ctx.snapshots.browse(v.snapshot, path);
                        }}
                      >
                        {trans.__('Browse')}
                      </Button>
                    )}
                    <Button
                      className="jp-mod-styled jp-StudioBackup-restoreVersion"
                      onClick={() =>
                        void restore(v.snapshot, v.shortId, [path])
                      }
                    >
                      {trans.__('Restore this version')}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
