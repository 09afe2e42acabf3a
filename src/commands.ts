/** Command ids of the Backups extension, shared by the plugin, menus and tests. */
export namespace CommandIDs {
  export const openPanel = 'studio-backup:open-panel';
  export const refresh = 'studio-backup:refresh';
  export const backupNow = 'studio-backup:back-up-now';
  export const previousVersions = 'studio-backup:previous-versions';
  export const folderVersions = 'studio-backup:folder-versions';
  export const preview = 'studio-backup:preview';
  export const compare = 'studio-backup:compare';
  export const compareFile = 'studio-backup:compare-file';
  export const search = 'studio-backup:search';
}

export const PLUGIN_ID = 'sagemaker-studio-backup:plugin';
export const PANEL_ID = 'studio-backup-panel';
