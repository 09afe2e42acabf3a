/**
 * The Backups commands: the panel, back up now, "Previous versions…" of a file or of the folder the
 * file browser shows, and the main-area views of a snapshot (preview, diffs, compare, search).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { CommandToolbarButton, ICommandPalette } from '@jupyterlab/apputils';
import { refreshIcon, searchIcon, SidePanel } from '@jupyterlab/ui-components';
import * as React from 'react';
import { CommandIDs } from './commands';
import type { IBackupsContext } from './context';
import { backupIcon } from './icons';
import type { AgentModel } from './model';
import { openInMainArea } from './widgets/mainArea';

const noArgs = { args: { type: 'object', properties: {} } } as const;
const snapshotPathArgs = {
  args: {
    type: 'object',
    properties: { snapshot: { type: 'string' }, path: { type: 'string' } }
  }
} as const;

export function registerCommands(options: {
  app: JupyterFrontEnd;
  ctx: IBackupsContext;
  panel: SidePanel;
  model: AgentModel;
  palette: ICommandPalette | null;
}): void {
  const { app, ctx, panel, model, palette } = options;
  const { trans, fileBrowser, snapshots } = ctx;
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
    caption: trans.__('Check the agent again'),
    icon: refreshIcon,
    describedBy: noArgs,
    execute: async () => {
      await Promise.all([model.refresh(), snapshots.refresh()]);
    }
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
  // The panel's own actions, in its toolbar (as the file browser's and the running sessions' are).
  for (const [name, id, caption] of [
    ['find', CommandIDs.search, trans.__('Find a file in every snapshot')],
    ['refresh', CommandIDs.refresh, trans.__('Check the agent again')]
  ]) {
    const button = new CommandToolbarButton({
      commands: app.commands,
      id,
      label: '',
      caption
    });
    button.addClass(`jp-StudioBackup-${name}`);
    panel.toolbar.addItem(name, button);
  }
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
}
