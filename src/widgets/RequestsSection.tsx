import {
  Dialog,
  InputDialog,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { IBackupsContext } from '../context';
import { formerHome, parseFormerHome, type RequestsModel } from '../requests';
import { formatSize, formatTime } from './format';

async function requestFullRestore(
  ctx: IBackupsContext,
  model: RequestsModel
): Promise<void> {
  const trans = ctx.trans;
  const result = await showDialog({
    title: trans.__('Restore the whole home at the next start'),
    body: trans.__(
      'The latest snapshot is restored when this space next starts, into restored-files/ (nothing is overwritten). Stop and start the space to apply it.'
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Request') })
    ]
  });
  if (result.button.accept) {
    await model.create({
      kind: 'full-restore',
      snapshot: 'latest',
      target: 'side'
    });
  }
}

async function requestRecovery(
  ctx: IBackupsContext,
  model: RequestsModel
): Promise<void> {
  const trans = ctx.trans;
  const result = await InputDialog.getText({
    title: trans.__('Recover the home of a former user profile'),
    label: trans.__(
      'Former user profile, or profile/space for one of its spaces'
    ),
    okLabel: trans.__('Request')
  });
  if (!result.button.accept || !result.value) {
    return;
  }
  const former = parseFormerHome(result.value);
  if (!former) {
    Notification.error(
      trans.__('Type a user profile name, or profile/space.'),
      { autoClose: 5000 }
    );
    return;
  }
  await model.create({
    kind: 'recover-profile',
    snapshot: 'latest',
    target: 'side',
    ...former
  });
}

/** Full-restore and recovery requests, their state, and the backend's recovery history. */
export function RequestsSection(props: {
  ctx: IBackupsContext;
  model: RequestsModel;
}): JSX.Element {
  const { ctx, model } = props;
  const trans = ctx.trans;
  return (
    <details
      className="jp-StudioBackup-requests"
      onToggle={event => {
        if ((event.target as HTMLDetailsElement).open) {
          void model.refresh();
        }
      }}
    >
      <summary>{trans.__('Restore requests and recoveries')}</summary>
      <div className="jp-StudioBackup-actions">
        {/* Short labels, to fit a narrow sidebar on one line; the title says it in full. */}
        <Button
          className="jp-mod-styled jp-StudioBackup-requestFull"
          title={trans.__(
            'Restore the whole home from the latest snapshot when this space next starts'
          )}
          onClick={() => void requestFullRestore(ctx, model)}
        >
          {trans.__('Restore home at next start…')}
        </Button>
        <Button
          className="jp-mod-styled jp-StudioBackup-requestRecovery"
          title={trans.__('Recover the home of a former user profile')}
          onClick={() => void requestRecovery(ctx, model)}
        >
          {trans.__('Recover a former profile…')}
        </Button>
      </div>
      {model.error && (
        <div className="jp-StudioBackup-banner jp-mod-error" role="alert">
          {model.error}
        </div>
      )}
      <ul
        className="jp-StudioBackup-requestList"
        aria-label={trans.__('Restore requests')}
      >
        {model.requests.map(r => (
          <li
            key={r.id}
            className="jp-StudioBackup-request"
            data-state={r.state}
          >
            {trans.__(
              '%1 — %2 (%3) — %4',
              formatTime(r.created),
              r.kind === 'full-restore'
                ? trans.__('whole home from %1', r.snapshot)
                : trans.__('recovery from %1', formerHome(r)),
              r.target === 'original'
                ? trans.__('in place')
                : trans.__('side folder'),
              r.state
            )}
            {r.message && (
              <div className="jp-StudioBackup-requestMessage">{r.message}</div>
            )}
          </li>
        ))}
      </ul>
      <h3 className="jp-StudioBackup-subheading">
        {trans.__('Recovery history')}
      </h3>
      {model.recoveries.length === 0 ? (
        <p className="jp-StudioBackup-empty">
          {model.recoveriesReason ??
            trans.__('No recovery has run for this profile.')}
        </p>
      ) : (
        <table className="jp-StudioBackup-recoveries">
          <thead>
            <tr>
              <th>{trans.__('When')}</th>
              <th>{trans.__('Status')}</th>
              <th>{trans.__('Bytes')}</th>
              <th>{trans.__('Duration')}</th>
            </tr>
          </thead>
          <tbody>
            {model.recoveries.map((r, i) => (
              <tr key={i}>
                <td>{r.time}</td>
                <td>
                  {r.fromProfile
                    ? trans.__('%1 (from %2)', r.status, r.fromProfile)
                    : r.status}
                </td>
                <td>{formatSize(r.bytesWritten ?? 0)}</td>
                <td>
                  {r.durationMs === undefined
                    ? ''
                    : trans.__('%1 s', Math.round(r.durationMs / 1000))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}
