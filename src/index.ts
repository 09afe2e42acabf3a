import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { DEFAULT_AGENT_PORT } from '@studio-backup/lcc/contract';
import { AgentClient } from './api';
import { CommandIDs, PANEL_ID, PLUGIN_ID } from './commands';
import { backupIcon } from './icons';
import { AgentModel } from './model';
import { SnapshotsModel } from './snapshots';
import { BackupsPanel } from './widgets/BackupsPanel';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'A side panel that lists, browses and restores backups of the home directory.',
  autoStart: true,
  optional: [ICommandPalette, ILayoutRestorer, ISettingRegistry, ITranslator],
  activate: async (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load(
      'sagemaker_studio_backup'
    );
    const serverSettings = app.serviceManager.serverSettings;
    let client = new AgentClient({ port: DEFAULT_AGENT_PORT, serverSettings });
    const model = new AgentModel(client);
    // The snapshots follow whichever agent the port setting points at.
    const snapshots = new SnapshotsModel({
      status: () => client.status(),
      snapshots: () => client.snapshots(),
      startBackup: () => client.startBackup(),
      tree: (snapshot, path, cursor) => client.tree(snapshot, path, cursor),
      planRestore: body => client.planRestore(body),
      startRestore: body => client.startRestore(body),
      followJob: (id, onUpdate) => client.followJob(id, onUpdate)
    });
    model.stateChanged.connect((_, state) => {
      if (state.kind === 'running') {
        void snapshots.refresh();
      }
    });
    const panel = new BackupsPanel(model, snapshots, trans);
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, PANEL_ID);

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Backups: Open panel'),
      caption: trans.__('Show the Backups side panel'),
      icon: backupIcon,
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Backups: Check the agent again'),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => model.refresh()
    });
    palette?.addItem({
      command: CommandIDs.openPanel,
      category: trans.__('Backups')
    });
    palette?.addItem({
      command: CommandIDs.refresh,
      category: trans.__('Backups')
    });

    if (settingRegistry) {
      try {
        const settings = await settingRegistry.load(PLUGIN_ID);
        const applyPort = () => {
          const port = settings.get('agentPort').composite as number;
          if (port !== model.port) {
            client = new AgentClient({ port, serverSettings });
            void model.setClient(client);
          }
        };
        applyPort();
        settings.changed.connect(applyPort);
      } catch (reason) {
        console.error('Studio Backup: failed to load settings.', reason);
      }
    }
  }
};

export default plugin;
