import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  CommandToolbarButton,
  ICommandPalette,
  Notification
} from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { searchIcon } from '@jupyterlab/ui-components';
import { DEFAULT_AGENT_PORT } from '@studio-backup/lcc/contract';
import * as React from 'react';
// eslint-disable-next-line jupyter/prefer-lazy-imports -- activation builds the sidebar panel and starts its status polling at once
import { AgentClient } from './api';
import { CommandIDs, PANEL_ID, PLUGIN_ID } from './commands';
import type { IBackupsContext } from './context';
import { backupIcon } from './icons';
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
import { openInMainArea } from './widgets/mainArea';
import { errorMessage } from './errors';

const DEFAULT_SETTINGS: IPanelSettings = {
  agentPort: DEFAULT_AGENT_PORT,
  intervalMinutes: null,
  includeHidden: [],
  exclude: [],
  confirmOverwrite: true
};

const noArgs = { args: { type: 'object', properties: {} } } as const;
const snapshotPathArgs = {
  args: {
    type: 'object',
    properties: { snapshot: { type: 'string' }, path: { type: 'string' } }
  }
} as const;

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
      serverSettings: app.serviceManager.serverSettings
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

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Backups: Open panel'),
      caption: trans.__('Show the Backups side panel'),
      icon: backupIcon,
      describedBy: noArgs,
      execute: () => {
        app.shell.activateById(panel.id);
        // Into the panel, not left in the main area (a keyboard user would tab through it all).
        requestAnimationFrame(() =>
          panel.node
            .querySelector<HTMLElement>('button:not([disabled]), input')
            ?.focus()
        );
      }
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Backups: Check the agent again'),
      describedBy: noArgs,
      execute: () => model.refresh()
    });
    app.commands.addCommand(CommandIDs.backupNow, {
      label: trans.__('Backups: Back up now'),
      icon: backupIcon,
      describedBy: noArgs,
      isEnabled: () => model.state.kind === 'running',
      execute: async () => {
        app.shell.activateById(panel.id);
        await snapshots.backupNow();
      }
    });
    app.commands.addCommand(CommandIDs.previousVersions, {
      label: trans.__('Previous versions…'),
      caption: trans.__(
        'Snapshots of this file or folder, and what was deleted from it'
      ),
      icon: backupIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: { path: { type: 'string' }, isDir: { type: 'boolean' } }
        }
      },
      execute: async args => {
        const { VersionsView } = await import('./widgets/VersionsView');
        let path = args.path as string | undefined;
        let isDir = args.isDir as boolean | undefined;
        if (path === undefined && fileBrowser) {
          const item = fileBrowser.selectedItems().next();
          if (!item.done && item.value) {
            path = item.value.path;
            isDir = item.value.type === 'directory';
          } else {
            path = fileBrowser.model.path;
            isDir = true;
          }
        }
        const target = (path ?? '').replace(/^\/+|\/+$/g, '');
        openInMainArea(
          ctx,
          `studio-backup-versions:${target}`,
          trans.__('Versions: %1', target.split('/').pop() || '~'),
          backupIcon,
          () =>
            React.createElement(VersionsView, {
              ctx,
              path: target,
              isDir: isDir ?? true
            })
        );
      }
    });
    // The folder the file browser shows: from its empty area and its toolbar, so that files at the
    // top of the home, which no folder item holds, have their "Previous versions…" too.
    app.commands.addCommand(CommandIDs.folderVersions, {
      label: trans.__('Previous versions of this folder…'),
      caption: trans.__(
        'Snapshots of the folder shown in the file browser, and what was deleted from it'
      ),
      icon: backupIcon,
      describedBy: noArgs,
      isVisible: () => fileBrowser !== null,
      execute: () =>
        app.commands.execute(CommandIDs.previousVersions, {
          path: fileBrowser?.model.path ?? '',
          isDir: true
        })
    });
    fileBrowser?.toolbar.addItem(
      'studio-backup-folder-versions',
      new CommandToolbarButton({
        commands: app.commands,
        id: CommandIDs.folderVersions,
        icon: backupIcon,
        label: '',
        caption: trans.__(
          'Previous versions of this folder: its snapshots, and what was deleted from it'
        )
      })
    );
    // A file of a snapshot in a main-area tab: its preview, or its diff with the current file.
    const snapshotFileCommand = (
      id: string,
      label: string,
      tab: string,
      title: (name: string, snapshot: string) => string,
      view: () => Promise<
        React.ComponentType<{
          ctx: IBackupsContext;
          snapshot: string;
          path: string;
        }>
      >
    ) =>
      app.commands.addCommand(id, {
        label,
        describedBy: snapshotPathArgs,
        execute: async args => {
          const View = await view();
          const snapshot = String(args.snapshot);
          const path = String(args.path);
          openInMainArea(
            ctx,
            `${tab}:${snapshot}:${path}`,
            title(path.split('/').pop() ?? path, snapshot.slice(0, 8)),
            backupIcon,
            () => React.createElement(View, { ctx, snapshot, path })
          );
        }
      });
    snapshotFileCommand(
      CommandIDs.preview,
      trans.__('Preview a file of a snapshot'),
      'studio-backup-preview',
      (name, short) => trans.__('%1 @ %2', name, short),
      async () => (await import('./widgets/PreviewView')).PreviewView
    );
    snapshotFileCommand(
      CommandIDs.compareFile,
      trans.__("Compare a snapshot's version with the current file"),
      'studio-backup-diff',
      name => trans.__('Diff: %1', name),
      async () => (await import('./widgets/CompareView')).FileCompareView
    );
    app.commands.addCommand(CommandIDs.search, {
      label: trans.__('Backups: Find a file in every snapshot'),
      caption: trans.__(
        'Find files by name in every snapshot and list each version'
      ),
      icon: searchIcon,
      describedBy: {
        args: { type: 'object', properties: { pattern: { type: 'string' } } }
      },
      execute: async args => {
        const { SearchView } = await import('./widgets/SearchView');
        const initial = (args.pattern as string | undefined) ?? '';
        openInMainArea(
          ctx,
          'studio-backup-search',
          trans.__('Find in snapshots'),
          searchIcon,
          () => React.createElement(SearchView, { ctx, initial })
        );
      }
    });
    app.commands.addCommand(CommandIDs.compare, {
      label: trans.__('Compare a snapshot'),
      describedBy: snapshotPathArgs,
      execute: async args => {
        const { SnapshotCompareView } = await import('./widgets/CompareView');
        const from = String(args.snapshot);
        openInMainArea(
          ctx,
          `studio-backup-compare:${from}`,
          trans.__('Compare %1', from.slice(0, 8)),
          backupIcon,
          () => React.createElement(SnapshotCompareView, { ctx, from })
        );
      }
    });
    // From the palette, with nothing selected, it shows the file browser's current folder.
    for (const command of [
      CommandIDs.openPanel,
      CommandIDs.refresh,
      CommandIDs.backupNow,
      CommandIDs.previousVersions,
      CommandIDs.search
    ]) {
      palette?.addItem({ command, category: trans.__('Backups') });
    }

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
