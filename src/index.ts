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
// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation builds the sidebar panel and starts its status polling at once
import { AgentClient } from './api';
import { PANEL_ID, PLUGIN_ID } from './commands';
import type { IBackupsContext } from './context';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation builds the sidebar panel and starts its status polling at once
import { AgentModel } from './model';
import { RequestsModel } from './requests';
import { agentSettingsUpdate, IPanelSettings } from './settings';
import {
  DEFAULT_SETTINGS,
  panelSettings,
  withIntervalInEffect
} from './settingsSync';
import { MaintenanceModel } from './retention';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation builds the sidebar panel and starts its status polling at once
import { SnapshotsModel } from './snapshots';
import { IBackups } from './tokens';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation builds the sidebar panel and starts its status polling at once
import { BackupsPanel } from './widgets/BackupsPanel';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation registers the commands at once (menus, palette and the file browser's toolbar name them); each view they open is imported lazily
import { registerCommands } from './registerCommands';
import { errorMessage } from './errors';

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
      port: DEFAULT_SETTINGS.agentPort,
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

    // The interval the agent has in effect, the default the Settings Editor shows for it; the
    // schema is transformed again when it changes (settingsSync.ts).
    let intervalInEffect: number | undefined;
    let showIntervalInEffect = () => {};
    // The agent applies the interval, hidden folders and excludes; it keeps them across restarts.
    const pushSettings = async () => {
      try {
        let effective = await client.getSettings();
        const update = agentSettingsUpdate(settings, effective);
        if (update) {
          effective = await client.putSettings(update);
          // A new interval moves the next backup: the protection line says when, at once.
          void snapshots.refresh();
        }
        if (effective.intervalMinutes !== intervalInEffect) {
          intervalInEffect = effective.intervalMinutes;
          showIntervalInEffect();
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

    const panel = new BackupsPanel(
      model,
      ctx,
      requests,
      translator ?? undefined
    );
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, PANEL_ID);

    registerCommands({ app, ctx, panel, model, palette });

    if (settingRegistry) {
      try {
        settingRegistry.transform(PLUGIN_ID, {
          fetch: plugin => withIntervalInEffect(plugin, intervalInEffect)
        });
        const registry = await settingRegistry.load(PLUGIN_ID);
        showIntervalInEffect = () =>
          void settingRegistry
            .load(PLUGIN_ID, true)
            .catch(reason =>
              console.error('Studio Backup: failed to reload settings.', reason)
            );
        const apply = () => {
          settings = panelSettings(
            registry.composite as Partial<IPanelSettings>,
            registry.user as Partial<IPanelSettings>
          );
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
