/** What the Backups plugin offers other extensions (e.g. to back up before a risky operation). */
import { Token } from '@lumino/coreutils';
import type { AgentClient } from './api';
import type { SnapshotsModel } from './snapshots';

export interface IBackups {
  /** The agent's API client (through the Jupyter server). */
  readonly client: AgentClient;
  /** Snapshots, the running backup, browsing; its `changed` signal fires on every change. */
  readonly snapshots: SnapshotsModel;
}

export const IBackups = new Token<IBackups>(
  'sagemaker-studio-backup:IBackups',
  'The Studio Backup agent client and snapshots model.'
);
