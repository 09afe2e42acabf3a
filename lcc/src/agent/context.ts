/** What the agent's routes share: its options, the repository session, jobs, settings, backend. */
import type { URL } from 'node:url';
import type { AgentSettings, FullRestoreRecord, Job } from '../api/contract';
import { FormatError } from '../repository/format';
import type { Repository } from '../repository/repository';
import type { JsonFile } from '../state/json-store';
import type { Backend } from './backend';
import type { JobManager } from './jobs';
import type { Scheduler } from './scheduler';
import type { IAgentOptions } from './server';

export interface IAgentContext {
  options: IAgentOptions;
  home: string;
  jobs: JobManager;
  /** The repository: for reading, the session kept open; with create, a new one for a backup. */
  repo(create?: boolean): Promise<Repository>;
  /** A query parameter as a path inside the home (a traversal is a 400). */
  queryPath(url: URL, name?: string): string;
  backend?: Backend;
  scheduler?: Scheduler;
  /** The settings in force: the user's choices over the LCC's defaults. */
  effectiveSettings(): AgentSettings;
  updateSettings(update: AgentSettings): void;
  /** The user's own choices only (the excludes a diff with the home applies). */
  userSettings(): AgentSettings;
  startBackup(): { job: Job };
  readRequests(): Promise<FullRestoreRecord[]>;
  requestsFile: JsonFile<FullRestoreRecord[]>;
  log(line: string): void;
}

/** The repository to read, or undefined before the first backup created it (no snapshots yet). */
export function existingRepo(
  ctx: Pick<IAgentContext, 'repo'>
): Promise<Repository | undefined> {
  return ctx.repo().catch(err => {
    if (
      err instanceof FormatError &&
      err.message.startsWith('No Studio Backup repository')
    ) {
      return undefined;
    }
    throw err;
  });
}
