/** What the panel's views share: the agent client, the models, translation and JupyterLab's shell. */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { Contents } from '@jupyterlab/services';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import type { AgentClient } from './api';
import type { MaintenanceModel } from './retention';
import type { SnapshotsModel } from './snapshots';

export interface IBackupsContext {
  client: AgentClient;
  snapshots: SnapshotsModel;
  /** Retention, kept-until and storage (GET /maintenance). */
  maintenance: MaintenanceModel;
  trans: TranslationBundle;
  commands: CommandRegistry;
  shell: JupyterFrontEnd.IShell;
  fileBrowser: IDefaultFileBrowser | null;
  /** The Jupyter server's files: the current version of a file, to compare with a snapshot's. */
  contents: Contents.IManager;
  /** JupyterLab's renderers: notebooks are shown with their outputs (as text without it). */
  rendermime: IRenderMimeRegistry | null;
  /** The "confirm before overwrite" setting, read when a restore starts. */
  confirmOverwrite(): boolean;
}
