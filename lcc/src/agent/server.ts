/** The agent's HTTP API (docs/api.md): the panel's only way to the engine. */
import { createServer, Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { extname, join, resolve } from 'node:path';
import {
  AgentSettings,
  API_PREFIX,
  FullRestoreRecord,
  FullRestoreRequest,
  HealthResponse,
  MaintenanceResponse,
  Job,
  RestoreRequestBody,
  SnapshotSummary,
  StatusResponse
} from '../api/contract';
import { backup } from '../backup/backup';
import { Excludes } from '../backup/excludes';
import { NotFoundError, StorageError } from '../repository/backend';
import { FormatError } from '../repository/format';
import { LockError } from '../repository/lock';
import { openBackend, openForReading } from '../repository/open';
import { RepositorySession } from '../repository/session';
import { Repository } from '../repository/repository';
import { diffSnapshots, diffWithFolder, findVersions } from '../browse/compare';
import { normaliseRelative, UnsafePathError } from '../browse/names';
import { searchSnapshots } from '../browse/search';
import { keptUntil } from '../maintenance/kept-until';
import { applyPolicy } from '../maintenance/retention';
import { DEFAULT_RETENTION } from '../maintenance/retention-store';
import { monthlyStorageCost, repositoryStats } from '../maintenance/stats';
import { NotInSnapshotError, restore } from '../restore/restore';
import { openView } from '../browse/view';
import { HttpError, Router, sendJson } from './http';
import { BusyError, JobManager } from './jobs';
import { JsonFile } from '../state/json-store';
import { Scheduler } from './scheduler';
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

export const PREVIEW_LIMIT = 1024 * 1024;
const PAGE_SIZE = 500;
const MIME: Record<string, string> = {
  '.ipynb': 'application/x-ipynb+json',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.py': 'text/x-python; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.yaml': 'text/yaml; charset=utf-8',
  '.yml': 'text/yaml; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml'
};

/** A failed call to the backend's tables, as one line (often: the IAM policy is not attached). */
function backendError(err: unknown): never {
  const e = err as Error;
  throw new HttpError(
    502,
    e.name === 'AccessDeniedException'
      ? 'The backend refused the request: the Studio execution role needs the Studio Backup user policy (stack output UserIsolationPolicyArn).'
      : `The Studio Backup backend did not answer: ${e.message.split('\n')[0]}`
  );
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

  const router = new Router(options.secret)
    .add('GET', '/health', async () => {
      const body: HealthResponse = {
        version: options.version,
        repository: options.repository,
        status: 'ok'
      };
      return { body };
    })
    .add('GET', '/status', async () => {
      const body: StatusResponse = {
        version: options.version,
        repository: options.repository,
        home,
        lastBackup: jobs.last('backup') ?? null,
        nextBackup: scheduler?.next?.toISOString() ?? null,
        running: jobs.running() ?? null
      };
      return { body };
    })
    .add('GET', '/snapshots', async () => {
      const snapshots: SnapshotSummary[] = (
        await (await repo()).listSnapshots()
      ).map(s => ({
        id: s.id,
        shortId: s.shortId,
        time: s.time,
        kind: s.kind,
        complete: s.complete,
        tags: s.manifest?.tags ?? [],
        ...(s.manifest ? { totals: s.manifest.totals } : {}),
        ...(s.damaged ? { damaged: s.damaged } : {})
      }));
      return { body: { snapshots } };
    })
    .add('GET', '/snapshots/{id}/tree', async ({ params, url }) => {
      const view = await openView(await repo(), params.id);
      const path = queryPath(url);
      const entries = await view.listDir(path);
      if (!entries) {
        throw new HttpError(
          404,
          `${path || '/'} is not a folder in snapshot ${view.info.shortId}.`
        );
      }
      const start = Number(url.searchParams.get('cursor') ?? '0');
      const limit = Math.min(
        Number(url.searchParams.get('limit') ?? PAGE_SIZE),
        5000
      );
      if (
        !Number.isInteger(start) ||
        start < 0 ||
        !Number.isInteger(limit) ||
        limit <= 0
      ) {
        throw new HttpError(400, 'cursor and limit must be whole numbers.');
      }
      const page = entries.slice(start, start + limit);
      return {
        body: {
          snapshot: view.info.id,
          path,
          total: entries.length,
          nextCursor:
            start + limit < entries.length ? String(start + limit) : null,
          entries: page.map(e => ({
            name: e.name,
            path: path ? `${path}/${e.name}` : e.name,
            type: e.type,
            size: e.size,
            ...(e.mtime !== undefined ? { mtime: e.mtime } : {}),
            ...(e.target !== undefined ? { target: e.target } : {})
          }))
        }
      };
    })
    .add('GET', '/snapshots/{id}/file', async ({ params, url, res }) => {
      const view = await openView(await repo(), params.id);
      const path = queryPath(url);
      const entry = path ? await view.stat(path) : undefined;
      if (!entry || entry.type !== 'file') {
        throw new HttpError(
          404,
          `${path || '/'} is not a file in snapshot ${view.info.shortId}.`
        );
      }
      if (
        url.searchParams.get('preview') === '1' &&
        entry.size > PREVIEW_LIMIT
      ) {
        throw new HttpError(
          413,
          `${path} is too large to preview (${entry.size} bytes, limit ${PREVIEW_LIMIT}): download it instead.`
        );
      }
      const stream = await view.read(path, entry);
      const name = path.slice(path.lastIndexOf('/') + 1);
      res.writeHead(200, {
        'Content-Type':
          MIME[extname(name).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': entry.size,
        'Content-Disposition': `${url.searchParams.get('preview') === '1' ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(name)}`,
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'",
        'Cache-Control': 'no-store'
      });
      stream.on('error', () => res.destroy());
      stream.pipe(res);
      return undefined;
    })
    .add('GET', '/versions', async ({ url }) => {
      const path = queryPath(url);
      if (!path) {
        throw new HttpError(
          400,
          'Give the path of a file or folder: ?path=...'
        );
      }
      return {
        body: { path, versions: await findVersions(await repo(), path) }
      };
    })
    .add('GET', '/search', async ({ url }) => {
      const pattern = (url.searchParams.get('name') ?? '').trim();
      if (!pattern) {
        throw new HttpError(
          400,
          'Give a name or a pattern to search for: ?name=*.ipynb'
        );
      }
      const limit = Number(url.searchParams.get('limit') ?? 200);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new HttpError(
          400,
          'limit must be a whole number from 1 to 1000.'
        );
      }
      return {
        body: {
          pattern,
          ...(await searchSnapshots(await repo(), pattern, { limit }))
        }
      };
    })
    .add('GET', '/diff', async ({ url }) => {
      const from = url.searchParams.get('from');
      const to = url.searchParams.get('to');
      if (!from) {
        throw new HttpError(
          400,
          'Give the snapshot to compare: ?from=<snapshot>[&to=<snapshot>][&path=<folder>].'
        );
      }
      // With ?path=, only that folder is walked on both sides (a folder's "Previous versions…").
      const path = queryPath(url);
      const r = await repo();
      if (to) {
        return {
          body: { from, to, ...(await diffSnapshots(r, from, to, path)) }
        };
      }
      const excludes = await Excludes.load(home, settings);
      const result = await diffWithFolder(
        r,
        from,
        home,
        (rel, isDir) => excludes.excludedWithParents(rel, isDir),
        path
      );
      return { body: { from, to: 'home', ...result } };
    })
    .add('POST', '/backup', async () => ({
      status: 202,
      body: { job: startBackup().job }
    }))
    .add('GET', '/jobs/{id}', async ({ params }) => {
      const job = jobs.get(params.id);
      if (!job) {
        throw new HttpError(404, `No job ${params.id}.`);
      }
      return { body: { job } };
    })
    .add('DELETE', '/jobs/{id}', async ({ params }) => {
      const job = jobs.get(params.id);
      if (!job) {
        throw new HttpError(404, `No job ${params.id}.`);
      }
      if (job.kind === 'restore') {
        throw new HttpError(
          409,
          'A restore cannot be cancelled once started: every file it writes is complete or absent.'
        );
      }
      if (!jobs.cancel(params.id)) {
        throw new HttpError(
          409,
          `Job ${params.id} has already finished (${job.state}).`
        );
      }
      return { status: 202, body: { job: jobs.get(params.id) } };
    })
    .add('GET', '/jobs/{id}/events', async ({ params, req, res }) => {
      const job = jobs.get(params.id);
      if (!job) {
        throw new HttpError(404, `No job ${params.id}.`);
      }
      res.writeHead(200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive'
      });
      const send = (event: string, data: unknown) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const onUpdate = (update: typeof job) => {
        if (update.id !== job.id) {
          return;
        }
        send(update.state === 'running' ? 'progress' : update.state, update);
        if (update.state !== 'running') {
          stop();
        }
      };
      const stop = () => {
        jobs.events.off('update', onUpdate);
        res.end();
      };
      const current = jobs.get(job.id)!;
      send(current.state === 'running' ? 'progress' : current.state, current);
      if (current.state !== 'running') {
        res.end();
        return undefined;
      }
      jobs.events.on('update', onUpdate);
      req.on('close', () => jobs.events.off('update', onUpdate));
      return undefined;
    })
    .add('POST', '/restore', async ({ json }) => {
      const body = await json(RestoreRequestBody);
      const view = await openView(await repo(), body.snapshot);
      const target =
        body.target === 'original'
          ? home
          : join(home, 'restored-files', view.info.shortId);
      const args = {
        paths: body.paths,
        target,
        root: home,
        conflict: body.conflict
      } as const;
      if (body.dryRun) {
        const plan = await restore(view, { ...args, dryRun: true });
        return { body: planBody(view.info.id, target, plan) };
      }
      // Plan first, so that a bad path is a 400 here rather than a failed job.
      await restore(view, { ...args, dryRun: true });
      const { job } = jobs.start('restore', async (signal, onProgress) => {
        const result = await restore(view, { ...args, onProgress });
        return {
          result: {
            target,
            counts: result.counts,
            bytes: result.bytes,
            damaged: result.damaged
          },
          warnings: result.warnings
        };
      });
      return { status: 202, body: { job } };
    })
    .add('GET', '/settings', async () => ({ body: effectiveSettings() }))
    .add('PUT', '/settings', async ({ json }) => {
      const update = await json(AgentSettings);
      if (update.intervalMinutes !== undefined) {
        if (!scheduler) {
          throw new HttpError(
            409,
            'Scheduled backups are off for this agent (started without --interval).'
          );
        }
        scheduler.setInterval(update.intervalMinutes * 60_000);
      }
      settings = { ...settings, ...update };
      settingsFile.write(settings);
      return { body: effectiveSettings() };
    })
    .add('GET', '/restore-requests', async () => ({
      body: {
        requests: [
          ...(options.startRestores ?? []),
          ...(await readRequests()),
          ...(backend ? await backend.requests().catch(backendError) : [])
        ]
      }
    }))
    .add('POST', '/restore-requests', async ({ json }) => {
      const request = await json(FullRestoreRequest);
      const record: FullRestoreRecord = {
        ...request,
        id: randomBytes(6).toString('hex'),
        created: new Date().toISOString(),
        state: 'pending'
      };
      if (request.kind === 'recover-profile') {
        if (!backend) {
          throw new HttpError(
            501,
            'Recovery from another profile needs the Studio Backup backend, which is not deployed for this domain: ask your Studio admin.'
          );
        }
        if (!request.fromProfile) {
          throw new HttpError(
            400,
            'Name the former user profile: fromProfile.'
          );
        }
        await backend.fileRequest(record).catch(backendError);
        return { status: 201, body: { request: record } };
      }
      requestsFile.write([...(await readRequests()), record]);
      return { status: 201, body: { request: record } };
    })
    .add('GET', '/maintenance', async () => {
      const r = await repo();
      const [setting, lastRun, storage, snapshots] = await Promise.all([
        backend ? backend.retention().catch(backendError) : undefined,
        backend ? backend.lastMaintenance().catch(backendError) : undefined,
        repositoryStats(r),
        r.listSnapshots()
      ]);
      const retention = setting ?? {
        policy: DEFAULT_RETENTION,
        source: 'built-in' as const,
        includeReferenceCopies: false
      };
      const intervalMinutes = effectiveSettings().intervalMinutes || 60;
      const ours = snapshots.filter(
        s => s.kind === 'studio-backup' && !s.damaged
      );
      const until = keptUntil(ours, retention.policy, intervalMinutes);
      // Reference copies are forgotten only with the admin's opt-in, by the same policy among
      // themselves (no new ones come): those it removes go at the next run, the rest stay.
      if (retention.includeReferenceCopies) {
        const copies = snapshots.filter(
          s => s.kind === 'reference' && s.complete
        );
        for (const s of applyPolicy(copies, retention.policy).remove) {
          until.set(s.id, new Date().toISOString());
        }
      }
      const body: MaintenanceResponse = {
        retention: {
          policy: retention.policy,
          source: retention.source,
          includeReferenceCopies: retention.includeReferenceCopies
        },
        keptUntil: Object.fromEntries(
          snapshots.map(s => [s.id, until.get(s.id) ?? null])
        ),
        intervalMinutes,
        lastRun: lastRun
          ? {
              time: lastRun.started_at,
              status: lastRun.status,
              message: lastRun.message,
              snapshotsForgotten: lastRun.snapshots_forgotten,
              snapshotsKept: lastRun.snapshots_kept,
              bytesFreed: lastRun.bytes_freed,
              durationMs: lastRun.duration_ms
            }
          : null,
        storage: {
          snapshots: storage.snapshots,
          storedBytes: storage.storedBytes,
          logicalBytes: storage.logicalBytes,
          latestBytes: storage.latestBytes,
          ratio: storage.ratio,
          ...(options.repository.startsWith('s3://')
            ? {
                monthlyCost: monthlyStorageCost(
                  storage.storedBytes,
                  process.env.AWS_REGION ??
                    process.env.AWS_DEFAULT_REGION ??
                    'us-east-1'
                )
              }
            : {})
        },
        ...(setting
          ? {}
          : {
              reason:
                'The Studio Backup backend is not deployed for this domain, so no maintenance runs: this is the default policy it would apply.'
            })
      };
      return { body };
    })
    .add('GET', '/recoveries', async () =>
      backend
        ? {
            body: { recoveries: await backend.recoveries().catch(backendError) }
          }
        : {
            body: {
              recoveries: [],
              reason:
                'The Studio Backup backend is not deployed for this domain, so there is no recovery history.'
            }
          }
    );

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

function planBody(
  snapshot: string,
  target: string,
  plan: Awaited<ReturnType<typeof restore>>
) {
  return {
    snapshot,
    target,
    counts: plan.counts,
    bytes: plan.bytes,
    items: plan.items.map(i => ({
      path: i.rel,
      dest: i.dest,
      type: i.entry.type,
      action: i.action
    })),
    warnings: plan.warnings
  };
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
