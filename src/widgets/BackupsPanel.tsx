import { TranslationBundle } from '@jupyterlab/translation';
import {
  ReactWidget,
  UseSignal,
  refreshIcon,
  searchIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';
import type { IBackupsContext } from '../context';
import { unreachableText } from '../api';
import { AgentModel, AgentState } from '../model';
import { RequestsModel } from '../requests';
import { SnapshotList } from './SnapshotList';
import { RequestsSection } from './RequestsSection';
import { RetentionSection } from './RetentionSection';
import { backupIcon } from '../icons';
import { CommandIDs, PANEL_ID } from '../commands';
import { shownLocation } from '../preview';

function AgentStatus(props: {
  state: AgentState;
  port: number;
  trans: TranslationBundle;
}): JSX.Element {
  const { state, trans } = props;
  switch (state.kind) {
    case 'checking':
      return (
        <div className="jp-StudioBackup-status" role="status">
          {trans.__('Checking the backup agent…')}
        </div>
      );
    case 'running':
      return (
        <div
          className="jp-StudioBackup-status jp-StudioBackup-status-ok"
          role="status"
        >
          {trans.__(
            'Agent running — version %1, repository %2',
            state.health.version,
            shownLocation(state.health.repository)
          )}
        </div>
      );
    case 'failed':
      return (
        <div className="jp-StudioBackup-banner jp-mod-error" role="alert">
          {state.reason === 'unreachable'
            ? unreachableText(props.port, trans)
            : state.message}
        </div>
      );
  }
}

/** The "Backups" side panel: the agent's state, snapshots, browsing and restore requests. */
export class BackupsPanel extends ReactWidget {
  constructor(
    private readonly _model: AgentModel,
    private readonly _ctx: IBackupsContext,
    private readonly _requests: RequestsModel
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-StudioBackup-panel');
    this.title.icon = backupIcon;
    this.title.caption = _ctx.trans.__('Backups');
    // Every section depends on whether the agent runs: redraw them all when that changes.
    _model.stateChanged.connect(() => this.update(), this);
  }

  render(): JSX.Element {
    const ctx = this._ctx;
    const trans = ctx.trans;
    return (
      <div className="jp-StudioBackup-content">
        <div className="jp-StudioBackup-header">
          <h2 className="jp-StudioBackup-title">{trans.__('Backups')}</h2>
          <button
            className="jp-Button jp-mod-minimal jp-StudioBackup-find"
            title={trans.__('Find a file in every snapshot')}
            aria-label={trans.__('Find a file in every snapshot')}
            onClick={() => void ctx.commands.execute(CommandIDs.search)}
          >
            <searchIcon.react tag="span" />
          </button>
          <button
            className="jp-Button jp-mod-minimal jp-StudioBackup-refresh"
            title={trans.__('Check the agent again')}
            aria-label={trans.__('Check the agent again')}
            onClick={() => {
              void this._model.refresh();
              void ctx.snapshots.refresh();
            }}
          >
            <refreshIcon.react tag="span" />
          </button>
        </div>
        <UseSignal signal={this._model.stateChanged}>
          {() => (
            <AgentStatus
              state={this._model.state}
              port={this._model.port}
              trans={trans}
            />
          )}
        </UseSignal>
        <UseSignal signal={ctx.snapshots.changed}>
          {() =>
            this._model.state.kind === 'running' ? (
              <SnapshotList ctx={ctx} />
            ) : null
          }
        </UseSignal>
        <UseSignal signal={ctx.maintenance.changed}>
          {() =>
            this._model.state.kind === 'running' ? (
              <RetentionSection ctx={ctx} />
            ) : null
          }
        </UseSignal>
        <UseSignal signal={this._requests.changed}>
          {() =>
            this._model.state.kind === 'running' ? (
              <RequestsSection ctx={ctx} model={this._requests} />
            ) : null
          }
        </UseSignal>
      </div>
    );
  }
}
