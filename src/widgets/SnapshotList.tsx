import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { SnapshotSummary } from '@studio-backup/lcc/contract';
import type { IBackupsContext } from '../context';
import {
  groupByDay,
  protectionLine,
  SnapshotRow as Row,
  snapshotRows
} from '../snapshots';
import { CommandIDs } from '../commands';
import { formatDay, formatSize, formatTime } from './format';
import { restoreWithDialogs } from './restoreFlow';
import { SnapshotBrowser } from './SnapshotBrowser';
import { Timeline } from './Timeline';
import { VirtualList } from './VirtualList';

/** "Browse this snapshot", and until when retention keeps it (an estimate). */
function keptUntilTitle(ctx: IBackupsContext, id: string): string {
  const trans = ctx.trans;
  const until = ctx.maintenance.keptUntil(id);
  const interval = ctx.maintenance.info?.intervalMinutes ?? 60;
  if (until === undefined) {
    return trans.__('Browse this snapshot');
  }
  return until === null
    ? trans.__('Browse this snapshot. Kept for more than two years.')
    : trans._n(
        'Browse this snapshot. Kept until about %2 if a backup runs every minute.',
        'Browse this snapshot. Kept until about %2 if a backup runs every %1 minutes.',
        interval,
        formatTime(until)
      );
}

/** Two lines: time, badges and actions; then the totals. */
export const SNAPSHOT_ROW_HEIGHT = 46;
export const ENTRY_ROW_HEIGHT = 30;

function SnapshotRow(props: {
  snapshot: SnapshotSummary;
  ctx: IBackupsContext;
}): JSX.Element {
  const { snapshot, ctx } = props;
  const trans = ctx.trans;
  const t = snapshot.totals;
  const time = new Date(snapshot.time).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit'
  });
  return (
    <div
      className="jp-StudioBackup-snapshot"
      data-snapshot={snapshot.id}
      aria-label={trans.__('Snapshot %1 at %2', snapshot.shortId, time)}
    >
      <button
        className="jp-StudioBackup-snapshot-time"
        title={keptUntilTitle(ctx, snapshot.id)}
        onClick={() => void ctx.snapshots.browse(snapshot.id)}
      >
        {time}
      </button>
      <span className="jp-StudioBackup-snapshot-detail">
        {t
          ? trans._n(
              '%1 file, %2, %3 changed',
              '%1 files, %2, %3 changed',
              t.files,
              formatSize(t.bytes),
              t.filesNew + t.filesChanged
            )
          : trans.__('copy by the previous backup script')}
      </span>
      <span className="jp-StudioBackup-badges">
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
      </span>
      <span className="jp-StudioBackup-rowActions">
        <Button
          minimal
          className="jp-StudioBackup-compare"
          title={trans.__('Compare with the current home or another snapshot')}
          aria-label={trans.__('Compare snapshot %1', snapshot.shortId)}
          onClick={() =>
            void ctx.commands.execute(CommandIDs.compare, {
              snapshot: snapshot.id
            })
          }
        >
          {trans.__('Compare')}
        </Button>
        <Button
          minimal
          className="jp-StudioBackup-restoreAll"
          title={trans.__('Restore the whole home from this snapshot')}
          aria-label={trans.__('Restore snapshot %1', snapshot.shortId)}
          onClick={() =>
            void restoreWithDialogs(ctx, {
              snapshot: snapshot.id,
              shortId: snapshot.shortId,
              paths: [],
              askTarget: true
            })
          }
        >
          {trans.__('Restore…')}
        </Button>
      </span>
    </div>
  );
}

function progressPercent(
  job: IBackupsContext['snapshots']['job']
): number | undefined {
  const p = job?.state === 'running' ? job.progress : undefined;
  return p && p.bytesTotal > 0
    ? Math.floor((100 * p.bytesDone) / p.bytesTotal)
    : undefined;
}

/** The protection line, "Back up now" with live progress, and the snapshots grouped by day. */
export function SnapshotList(props: { ctx: IBackupsContext }): JSX.Element {
  const { ctx } = props;
  const { snapshots: model, trans } = ctx;
  const job = model.job;
  const running = job?.state === 'running';
  const restoring = model.restoreJob;
  const rows = React.useMemo(
    () => snapshotRows(groupByDay(model.snapshots)),
    [model.snapshots]
  );
  const render = React.useCallback(
    (row: Row) =>
      row.kind === 'day' ? (
        <h3 className="jp-StudioBackup-dayLabel">
          {formatDay(row.label, trans)}
        </h3>
      ) : (
        <SnapshotRow snapshot={row.snapshot} ctx={ctx} />
      ),
    [ctx]
  );
  return (
    <div className="jp-StudioBackup-snapshots">
      <div
        className="jp-StudioBackup-protection"
        role="status"
        aria-live="polite"
      >
        {protectionLine(
          model.status,
          job,
          model.snapshots[0],
          new Date(),
          trans,
          model.cancelling
        )}
      </div>
      <div className="jp-StudioBackup-actions">
        <Button
          className="jp-mod-styled jp-mod-accept jp-StudioBackup-backupNow"
          disabled={running}
          onClick={() => void model.backupNow()}
        >
          {running ? trans.__('Backing up…') : trans.__('Back up now')}
        </Button>
        {running && job && (
          <Button
            className="jp-mod-styled jp-mod-reject jp-StudioBackup-cancel"
            disabled={model.cancelling}
            onClick={() => void model.cancelBackup()}
          >
            {model.cancelling ? trans.__('Cancelling…') : trans.__('Cancel')}
          </Button>
        )}
      </div>
      {running && (
        <progress
          className="jp-StudioBackup-progress"
          max={100}
          value={progressPercent(job) ?? 0}
          aria-label={trans.__('Backup progress')}
        />
      )}
      {restoring && (
        <div className="jp-StudioBackup-restoring" role="status">
          {trans.__(
            'Restoring… %1 of %2 files',
            restoring.progress?.filesDone ?? 0,
            restoring.progress?.filesTotal ?? '?'
          )}
          <progress
            className="jp-StudioBackup-progress"
            max={Math.max(1, restoring.progress?.bytesTotal ?? 1)}
            value={restoring.progress?.bytesDone ?? 0}
            aria-label={trans.__('Restore progress')}
          />
        </div>
      )}
      {model.error && (
        <div className="jp-StudioBackup-banner jp-mod-error" role="alert">
          {model.error}
        </div>
      )}
      {model.listError && (
        <div
          className="jp-StudioBackup-banner jp-mod-error jp-StudioBackup-listError"
          role="alert"
        >
          {trans.__('The snapshots cannot be listed: %1', model.listError)}
        </div>
      )}
      <Timeline ctx={ctx} />
      {model.browsing ? (
        <SnapshotBrowser ctx={ctx} tree={model.browsing} />
      ) : rows.length === 0 ? (
        // While the agent or the repository cannot be read, nobody knows whether it holds snapshots.
        !model.error &&
        !model.listError && (
          <p className="jp-StudioBackup-empty">
            {trans.__('No snapshots yet.')}
          </p>
        )
      ) : (
        <VirtualList
          items={rows}
          rowHeight={SNAPSHOT_ROW_HEIGHT}
          className="jp-StudioBackup-snapshotList"
          label={trans.__('Snapshots')}
          itemKey={row =>
            row.kind === 'day' ? `day:${row.label}` : row.snapshot.id
          }
          render={render}
        />
      )}
    </div>
  );
}
