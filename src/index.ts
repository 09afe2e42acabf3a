import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { DEFAULT_AGENT_PORT } from '@studio-backup/lcc/contract';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation builds the sidebar panel and starts its status polling at once
import { AgentClient } from './api';
import { PANEL_ID, PLUGIN_ID } from './commands';
import type { IBackupsContext } from './context';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation builds the sidebar panel and starts its status polling at once
import { AgentModel } from './model';
import { RequestsModel } from './requests';
import { agentSettingsUpdate, IPanelSettings } from './settings';
import { MaintenanceModel } from './retention';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation builds the sidebar panel and starts its status polling at once
import { SnapshotsModel } from './snapshots';
import { IBackups } from './tokens';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation builds the sidebar panel and starts its status polling at once
import { BackupsPanel } from './widgets/BackupsPanel';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation registers the commands at once (menus, palette and the file browser's toolbar name them); each view they open is imported lazily
import { registerCommands } from './registerCommands';
import { errorMessage } from './errors';

const DEFAULT_SETTINGS: IPanelSettings = {
  agentPort: DEFAULT_AGENT_PORT,
  intervalMinutes: null,
  includeHidden: [],
  exclude: [],
  confirmOverwrite: true
};

const plugin: JupyterFrontEndPlugin<IBackups> = {
  id: PLUGIN_ID,
  description:
    'A side panel that lists, browses and restores backups of the home directory.',
  autoStart: true,
  provides: IBackups,
  optional: [
    ICommandPalette,
    ILayoutRestorer,
    ISettingRegistry,
    ITranslator,
    IDefaultFileBrowser,
    IRenderMimeRegistry
  ],
  activate: async (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    fileBrowser: IDefaultFileBrowser | null,
    rendermime: IRenderMimeRegistry | null
  ) => {
    const trans = (translator ?? nullTranslator).load(
      'sagemaker_studio_backup'
    );
    let settings: IPanelSettings = DEFAULT_SETTINGS;
    const client = new AgentClient({
      port: DEFAULT_AGENT_PORT,
      serverSettings: app.serviceManager.serverSettings,
      trans
    });
    const model = new AgentModel(client);
    const snapshots = new SnapshotsModel(client);
    const maintenance = new MaintenanceModel(client);
    const requests = new RequestsModel(client);
    const ctx: IBackupsContext = {
      client,
      snapshots,
      maintenance,
      trans,
      commands: app.commands,
      shell: app.shell,
      fileBrowser,
      contents: app.serviceManager.contents,
      rendermime,
      confirmOverwrite: () => settings.confirmOverwrite
    };

    // The agent applies the interval, hidden folders and excludes; it keeps them across restarts.
    const pushSettings = async () => {
      try {
        const update = agentSettingsUpdate(
          settings,
          await client.getSettings()
        );
        if (update) {
          await client.putSettings(update);
        }
      } catch (err) {
        Notification.warning(
          trans.__(
            'The backup agent did not take the Backups settings: %1',
            errorMessage(err)
          ),
          { autoClose: 8000 }
        );
      }
    };
    model.stateChanged.connect((_, state) => {
      if (state.kind === 'running') {
        void snapshots.refresh();
        void requests.refresh();
        void pushSettings();
      }
    });

    // Kept-until and storage change with the snapshots: read them again when the list does.
    let listed: string | undefined;
    snapshots.changed.connect(() => {
      const ids = snapshots.snapshots.map(s => s.id).join();
      if (ids !== listed) {
        listed = ids;
        void maintenance.refresh();
      }
    });

    const panel = new BackupsPanel(model, ctx, requests);
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, PANEL_ID);

    registerCommands({ app, ctx, panel, model, palette });

    if (settingRegistry) {
      try {
        const registry = await settingRegistry.load(PLUGIN_ID);
        const apply = () => {
          settings = {
            ...DEFAULT_SETTINGS,
            ...(registry.composite as Partial<IPanelSettings>)
          };
          if (settings.agentPort !== client.port) {
            client.port = settings.agentPort;
            void model.setClient(client);
          } else if (model.state.kind === 'running') {
            void pushSettings();
          }
        };
        apply();
        registry.changed.connect(apply);
      } catch (reason) {
        console.error('Studio Backup: failed to load settings.', reason);
      }
    }
    return { client, snapshots };
  }
};

export default plugin;
export { IBackups } from './tokens';
