import * as React from 'react';
import type { IBackupsContext } from '../context';
import { policyRules } from '../retention';
import { formatSize, formatTime } from './format';

/** The retention policy in force, the last maintenance run, and what the backups cost to keep. */
export function RetentionSection(props: {
  ctx: IBackupsContext;
}): JSX.Element | null {
  const { ctx } = props;
  const trans = ctx.trans;
  const info = ctx.maintenance.info;
  if (!info) {
    return ctx.maintenance.error ? (
      <p className="jp-StudioBackup-retention-error" role="status">
        {ctx.maintenance.error}
      </p>
    ) : null;
  }
  const rules = policyRules(info.retention.policy)
    .map(
      ({ rule, count }) =>
        ({
          last: trans._n('the last snapshot', 'the last %1 snapshots', count),
          hourly: trans.__('%1 hourly', count),
          daily: trans.__('%1 daily', count),
          weekly: trans.__('%1 weekly', count),
          monthly: trans.__('%1 monthly', count)
        })[rule]
    )
    .join(', ');
  const source = {
    profile: trans.__('your own policy'),
    default: trans.__("your domain's policy"),
    'built-in': trans.__('the default policy')
  }[info.retention.source];
  const run = info.lastRun;
  const storage = info.storage;
  return (
    <details className="jp-StudioBackup-section jp-StudioBackup-retention" open>
      <summary>{trans.__('Retention and storage')}</summary>
      <p className="jp-StudioBackup-retention-policy">
        {trans.__('Keeps %1 (%2).', rules, source)}
      </p>
      <p className="jp-StudioBackup-retention-run">
        {run
          ? run.status === 'done'
            ? trans.__(
                'Last maintenance %1: %2 forgotten, %3 freed.',
                formatTime(run.time),
                trans._n('%1 snapshot', '%1 snapshots', run.snapshotsForgotten),
                formatSize(run.bytesFreed)
              )
            : trans.__(
                'Last maintenance %1: %2.',
                formatTime(run.time),
                run.message ?? run.status
              )
          : (info.reason ??
            trans.__('No maintenance has run for this space yet.'))}
      </p>
      <p className="jp-StudioBackup-retention-storage">
        {storage.storedBytes > 0
          ? trans.__(
              'Stored: %1 for %2 of snapshots (%3× less).',
              formatSize(storage.storedBytes),
              formatSize(storage.logicalBytes),
              storage.ratio.toFixed(1)
            )
          : trans.__('Nothing stored yet.')}
        {storage.monthlyCost &&
          ' ' +
            trans.__(
              'About $%1 a month (an estimate at the S3 Standard price in %2, %3).',
              storage.monthlyCost.usd.toFixed(2),
              storage.monthlyCost.region,
              storage.monthlyCost.priceDate
            )}
      </p>
    </details>
  );
}
