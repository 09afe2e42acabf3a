import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { SnapshotSummary } from '@studio-backup/lcc/contract';
import { groupByDay, protectionLine, SnapshotsModel } from '../snapshots';
import { SnapshotBrowser } from './SnapshotBrowser';

function size(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

function SnapshotRow(props: {
  snapshot: SnapshotSummary;
  trans: TranslationBundle;
  onOpen: () => void;
}): JSX.Element {
  const { snapshot, trans } = props;
  const t = snapshot.totals;
  const time = new Date(snapshot.time).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit'
  });
  return (
    <li
      className="jp-StudioBackup-snapshot"
      data-snapshot={snapshot.id}
      aria-label={trans.__('Snapshot %1 at %2', snapshot.shortId, time)}
    >
      <button
        className="jp-StudioBackup-snapshot-time"
        title={trans.__('Browse this snapshot')}
        onClick={props.onOpen}
      >
        {time}
      </button>
      <span className="jp-StudioBackup-snapshot-detail">
        {t
          ? trans.__(
              '%1 files, %2, %3 changed',
              t.files,
              size(t.bytes),
              t.filesNew + t.filesChanged
            )
          : trans.__('copy by the previous backup script')}
      </span>
      {snapshot.kind === 'reference' && (
        <span
          className="jp-StudioBackup-badge"
          title={trans.__(
            'Written by the reference lifecycle configuration (read-only)'
          )}
        >
          {snapshot.complete
            ? trans.__('reference')
            : trans.__('reference, incomplete')}
        </span>
      )}
      {snapshot.tags.map(tag => (
        <span key={tag} className="jp-StudioBackup-badge">
          {tag}
        </span>
      ))}
    </li>
  );
}

/** The protection line, "Back up now" with live progress, and the snapshots grouped by day. */
export function SnapshotList(props: {
  model: SnapshotsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const job = model.job;
  const running = job?.state === 'running';
  const p = job?.progress;
  const percent =
    running && p && p.bytesTotal > 0
      ? Math.floor((100 * p.bytesDone) / p.bytesTotal)
      : 0;
  const groups = groupByDay(model.snapshots);
  return (
    <div className="jp-StudioBackup-snapshots">
      <div
        className="jp-StudioBackup-protection"
        role="status"
        aria-live="polite"
      >
        {trans.__(protectionLine(model.status, job, model.snapshots[0]))}
      </div>
      <div className="jp-StudioBackup-actions">
        <button
          className="jp-Button jp-mod-styled jp-mod-accept jp-StudioBackup-backupNow"
          disabled={running}
          onClick={() => void model.backupNow()}
        >
          {running ? trans.__('Backing up…') : trans.__('Back up now')}
        </button>
      </div>
      {running && (
        <progress
          className="jp-StudioBackup-progress"
          max={100}
          value={percent}
          aria-label={trans.__('Backup progress')}
        />
      )}
      {model.error && (
        <div className="jp-StudioBackup-banner jp-mod-error" role="alert">
          {model.error}
        </div>
      )}
      {model.browsing ? (
        <SnapshotBrowser model={model} tree={model.browsing} trans={trans} />
      ) : groups.length === 0 ? (
        <p className="jp-StudioBackup-empty">{trans.__('No snapshots yet.')}</p>
      ) : (
        groups.map(group => (
          <section key={group.label} className="jp-StudioBackup-day">
            <h3 className="jp-StudioBackup-dayLabel">
              {group.label === 'Today'
                ? trans.__('Today')
                : group.label === 'Yesterday'
                  ? trans.__('Yesterday')
                  : group.label}
            </h3>
            <ul className="jp-StudioBackup-snapshotList">
              {group.snapshots.map(snapshot => (
                <SnapshotRow
                  key={snapshot.id}
                  snapshot={snapshot}
                  trans={trans}
                  onOpen={() => void model.browse(snapshot.id)}
                />
              ))}
            </ul>
          </section>
        ))
      )}
    </div>
  );
}
