/** The agent's HTTP API (docs/api.md): the panel's only way to the engine. */
import { createServer, Server } from 'node:http';
import { join, resolve } from 'node:path';
import {
  AgentSettings,
  API_PREFIX,
  FullRestoreRecord,
  Job
} from '../api/contract';
import { backup } from '../backup/backup';
import { NotFoundError, StorageError } from '../repository/backend';
import { FormatError } from '../repository/format';
import { LockError } from '../repository/lock';
import { openBackend, openForReading } from '../repository/open';
import { RepositorySession } from '../repository/session';
import { Repository } from '../repository/repository';
import { normaliseRelative, UnsafePathError } from '../browse/names';
import { NotInSnapshotError } from '../restore/restore';
import { HttpError, Router, sendJson } from './http';
import { BusyError, JobManager } from './jobs';
import { JsonFile } from '../state/json-store';
import { Scheduler } from './scheduler';
import type { IAgentContext } from './context';
import { browseRoutes } from './routes/browse';
import { jobsRoutes } from './routes/jobs';
import { maintenanceRoutes } from './routes/maintenance';
import { requestsRoutes } from './routes/requests';
import { statusRoutes } from './routes/status';
import { Backend, IBackendOptions } from './backend';

/** The agent only ever listens on the loopback interface: the panel reaches it through the Jupyter server. */
export const AGENT_HOST = '127.0.0.1';

export interface IAgentOptions {
  version: string;
  repository: string;
  /**
   * The per-start secret every request must carry (./secret.ts): the proof that it came through
   * the authenticated Jupyter server. newAgentSecret() makes one.
   */
  secret: string;
  /** The home folder it backs up and restores into (default $HOME). */
  home?: string;
  cacheDir?: string;
  /** Where the agent keeps its own state (restore requests). */
  stateDir?: string;
  /**
   * Back up every this many minutes (with jitter); absent, or 0 without firstBackupDelayMs: only on
   * request; 0 with firstBackupDelayMs: once at start, then only on request.
   */
  intervalMinutes?: number;
  /** Delay of the first scheduled backup (default: one interval). */
  firstBackupDelayMs?: number;
  /** Recorded in each snapshot's manifest. */
  identity?: { profile?: string; space?: string; appType?: string };
  /** The deployed backend's tables: restore requests go there, recoveries come from there. */
  backend?: IBackendOptions;
  /** The tag-borne restores seen at start (../studio/restore-at-start.ts), with their outcome. */
  startRestores?: FullRestoreRecord[];
  /** One line per finished backup (the LCC sends it to the app log, hence CloudWatch). */
  log?: (line: string) => void;
}

/** Errors from the engine as HTTP statuses with their one-line messages. */
export function mapError(err: unknown): HttpError {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof UnsafePathError) {
    return new HttpError(400, message);
  }
  if (
    err instanceof NotFoundError ||
    err instanceof NotInSnapshotError ||
    (err instanceof FormatError &&
      /^No snapshot|has no snapshots/.test(message))
  ) {
    return new HttpError(404, message);
  }
  if (err instanceof BusyError || err instanceof LockError) {
    return new HttpError(409, message);
  }
  if (err instanceof StorageError || err instanceof FormatError) {
    return new HttpError(502, message);
  }
  return new HttpError(500, message.split('\n')[0]);
}

/** The home the agent works on, and where it keeps its state (the secret's file among it). */
export function agentDirs(options: Pick<IAgentOptions, 'home' | 'stateDir'>): {
  home: string;
  stateDir: string;
} {
  const home = resolve(
    options.home ?? process.env.HOME ?? '/home/sagemaker-user'
  );
  return {
    home,
    stateDir: resolve(options.stateDir ?? join(home, '.studio-backup'))
  };
}

export { PREVIEW_LIMIT } from './routes/browse';

export function createAgentServer(options: IAgentOptions): Server {
  const { home, stateDir } = agentDirs(options);
  const jobs = new JobManager();
  // Reads go through one session kept open across requests, which also works where only the
  // reference LCC's copies are; a backup (create) opens its own and creates the repository.
  const session = new RepositorySession(() =>
    openForReading(options.repository)
  );
  const repo = (create = false) =>
    create
      ? Repository.open(openBackend(options.repository), { create })
      : session.reader();
  const queryPath = (url: URL, name = 'path') =>
    normaliseRelative(url.searchParams.get(name) ?? '');
  const requestsFile = new JsonFile(
    join(stateDir, 'restore-requests.json'),
    FullRestoreRecord.array(),
    []
  );
  const readRequests = async () => requestsFile.read();
  // The last backup's outcome outlives a restart of the agent, for /status.
  const lastBackupFile = new JsonFile(
    join(stateDir, 'last-backup.json'),
    Job.nullable(),
    null
  );
  const lastBackup = lastBackupFile.read();
  if (lastBackup) {
    jobs.remember(lastBackup);
  }

  const log = options.log ?? (() => undefined);
  const backend = options.backend ? new Backend(options.backend) : undefined;
  jobs.events.on('update', (job: Job) => {
    if (job.kind === 'backup' && job.state !== 'running') {
      try {
        lastBackupFile.write(job);
      } catch (err) {
        log(`cannot save the last backup's outcome: ${err}`);
      }
      const r = job.result as
        | {
            snapshot?: string;
            totals?: { files: number; bytesAdded: number };
            durationMs?: number;
          }
        | undefined;
      log(
        job.state === 'succeeded'
          ? `backup ${job.id}: snapshot ${r?.snapshot?.slice(0, 8)}, ${r?.totals?.files} files, ${r?.totals?.bytesAdded} bytes new, ${((r?.durationMs ?? 0) / 1000).toFixed(1)} s, status ok${job.warnings.length ? ` (${job.warnings.length} warnings)` : ''}`
          : `backup ${job.id}: status ${job.state}: ${job.error}`
      );
    }
  });
  const startBackup = () =>
    jobs.start('backup', async (signal, onProgress) => {
      const result = await backup(await repo(true), {
        source: home,
        cacheDir: options.cacheDir,
        includeHidden: settings.includeHidden,
        exclude: settings.exclude,
        ...options.identity,
        signal,
        onProgress
      });
      return {
        result: {
          snapshot: result.snapshotId,
          totals: result.manifest.totals,
          durationMs: result.manifest.durationMs
        },
        warnings: result.warnings
      };
    });

  // The user's own choices (set from the panel) win over the LCC's defaults.
  const settingsFile = new JsonFile(
    join(stateDir, 'settings.json'),
    AgentSettings,
    {}
  );
  let settings: AgentSettings = settingsFile.read();
  // Interval 0 with a first backup: that backup at start only, as the reference's
  // ENABLE_SCHEDULED_SYNC=0 (a user's interval from the panel still turns the schedule on).
  const startOnly =
    options.intervalMinutes === 0 && options.firstBackupDelayMs !== undefined;
  const intervalMinutes =
    options.intervalMinutes || startOnly
      ? (settings.intervalMinutes ?? options.intervalMinutes)
      : undefined;
  const scheduler =
    intervalMinutes !== undefined
      ? new Scheduler({
          intervalMs: intervalMinutes * 60_000,
          startBackup,
          log,
          firstDelayMs: options.firstBackupDelayMs
        })
      : undefined;

  /** What is in force: the user's choices over the LCC's defaults (GET and PUT /settings answer it). */
  const effectiveSettings = (): AgentSettings => ({
    intervalMinutes: scheduler?.intervalMs
      ? scheduler.intervalMs / 60_000
      : undefined,
    includeHidden: settings.includeHidden ?? [],
    exclude: settings.exclude ?? []
  });

  const ctx: IAgentContext = {
    options,
    home,
    jobs,
    repo,
    queryPath,
    backend,
    scheduler,
    effectiveSettings,
    updateSettings: update => {
      settings = { ...settings, ...update };
      settingsFile.write(settings);
    },
    userSettings: () => settings,
    startBackup,
    readRequests,
    requestsFile,
    log
  };
  const router = [
    statusRoutes,
    browseRoutes,
    jobsRoutes,
    requestsRoutes,
    maintenanceRoutes
  ].reduce((r, add) => add(r, ctx), new Router(options.secret));

  const server = createServer((req, res) => {
    router
      .handle(req, res, API_PREFIX, mapError)
      .catch(err => sendJson(res, 500, { error: String(err) }));
  });
  // Clients (jupyter-server-proxy, fetch) reuse idle connections; with Node's 5 s default the
  // server may close one just as a request goes out on it (ECONNRESET). Keep them longer.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  if (scheduler) {
    scheduler.start();
    server.on('close', () => scheduler.stop());
  }
  return server;
}

/** Starts listening on 127.0.0.1; rejects with a one-line message when the port is taken. */
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `Port ${port} on ${AGENT_HOST} is already in use: is another agent running? Stop it or pass --port.`
            : `Cannot listen on ${AGENT_HOST}:${port}: ${err.message}`
        )
      );
    });
    server.listen(port, AGENT_HOST, () => {
      const address = server.address();
      resolvePort(typeof address === 'object' && address ? address.port : port);
    });
  });
}
