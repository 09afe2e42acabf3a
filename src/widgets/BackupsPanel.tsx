import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, SidePanel, UseSignal } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';
import * as React from 'react';
import type { IBackupsContext } from '../context';
import { unreachableText } from '../api';
import { AgentModel, AgentState } from '../model';
import { RequestsModel } from '../requests';
import { SnapshotList } from './SnapshotList';
import { RequestsSection } from './RequestsSection';
import { RetentionSection } from './RetentionSection';
import { backupIcon } from '../icons';
import { PANEL_ID } from '../commands';
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

/** The panel's content: the agent's state, the snapshots, retention and restore requests. */
class BackupsContent extends ReactWidget {
  constructor(
    private readonly _model: AgentModel,
    private readonly _ctx: IBackupsContext,
    private readonly _requests: RequestsModel
  ) {
    super();
    this.addClass('jp-StudioBackup-body');
    // Every section depends on whether the agent runs: redraw them all when that changes.
    _model.stateChanged.connect(() => this.update(), this);
  }

  render(): JSX.Element {
    const ctx = this._ctx;
    const trans = ctx.trans;
    return (
      <div className="jp-StudioBackup-content">
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

/**
 * The "Backups" side panel, built as JupyterLab's own (the table of contents, the running
 * sessions): a `SidePanel` whose header holds the title, whose toolbar holds the panel's actions
 * (registerCommands.ts adds them, as command buttons) and whose content is the React view.
 */
export class BackupsPanel extends SidePanel {
  constructor(
    private readonly _model: AgentModel,
    ctx: IBackupsContext,
    requests: RequestsModel,
    translator?: ITranslator
  ) {
    super({ content: new Panel(), translator });
    this.id = PANEL_ID;
    this.addClass('jp-StudioBackup-panel');
    this.title.icon = backupIcon;
    this.title.caption = ctx.trans.__('Backups');
    const title = new Widget({ node: document.createElement('h2') });
    title.node.textContent = ctx.trans.__('Backups');
    title.addClass('jp-StudioBackup-title');
    title.addClass('jp-text-truncated');
    this.header.addWidget(title);
    this.addWidget(new BackupsContent(_model, ctx, requests));
  }

  /** Shown (its tab clicked, or "Backups: Open panel"): what it says of the agent is of now. */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._checkAgain();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this._checkAgain();
  }

  private _checkAgain(): void {
    this._checking ??= this._model.refresh().finally(() => {
      this._checking = null;
    });
  }

  private _checking: Promise<void> | null = null;
}
