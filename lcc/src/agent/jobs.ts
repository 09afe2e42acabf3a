/** Long work (backups, restores) as jobs: one of each kind at a time, with progress events and cancel. */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Job, Progress } from '../api/contract';

export type JobKind = Job['kind'];

export interface IJobOutcome {
  result?: Record<string, unknown>;
  warnings?: string[];
}

export type JobRunner = (
  signal: AbortSignal,
  onProgress: (p: Progress) => void
) => Promise<IJobOutcome>;

export class BusyError extends Error {}

const KEEP = 50;

export class JobManager {
  private readonly jobs = new Map<string, Job>();
  private readonly controllers = new Map<string, AbortController>();
  /** Emits "update" with the job whenever it changes. */
  readonly events = new EventEmitter();

  constructor() {
    this.events.setMaxListeners(100);
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  running(kind?: JobKind): Job | undefined {
    return [...this.jobs.values()].find(
      j => j.state === 'running' && (!kind || j.kind === kind)
    );
  }

  last(kind: JobKind, finishedOnly = true): Job | undefined {
    return [...this.jobs.values()]
      .reverse()
      .find(j => j.kind === kind && (!finishedOnly || j.state !== 'running'));
  }

  /** Takes back a job that ended before a restart (the last backup), as ended. */
  remember(job: Job): void {
    if (job.state !== 'running' && !this.jobs.has(job.id)) {
      this.jobs.set(job.id, { ...job });
    }
  }

  /** Starts a job unless one of the same kind runs; returns at once, the work goes on. */
  start(kind: JobKind, run: JobRunner): { job: Job; done: Promise<Job> } {
    const busy = this.running(kind);
    if (busy) {
      throw new BusyError(
        `A ${kind} is already running (job ${busy.id}): wait for it or cancel it.`
      );
    }
    const job: Job = {
      id: randomBytes(6).toString('hex'),
      kind,
      state: 'running',
      started: new Date().toISOString(),
      warnings: []
    };
    const controller = new AbortController();
    this.jobs.set(job.id, job);
    this.controllers.set(job.id, controller);
    this.trim();
    const update = () => this.events.emit('update', { ...job });
    const done = run(controller.signal, progress => {
      // Work still winding down after a cancel or a failure reports nothing more: the job has ended.
      if (job.state !== 'running') {
        return;
      }
      job.progress = progress;
      update();
    })
      .then(
        outcome => {
          job.state = 'succeeded';
          job.result = outcome.result;
          job.warnings = outcome.warnings ?? [];
          return job;
        },
        err => {
          job.state = controller.signal.aborted ? 'cancelled' : 'failed';
          job.error = err instanceof Error ? err.message : String(err);
          return job;
        }
      )
      .then(finished => {
        finished.finished = new Date().toISOString();
        this.controllers.delete(finished.id);
        update();
        return { ...finished };
      });
    update();
    return { job: { ...job }, done };
  }

  /** Asks a running job to stop; false when it is not running. */
  cancel(id: string): boolean {
    const controller = this.controllers.get(id);
    if (!controller) {
      return false;
    }
    controller.abort();
    return true;
  }

  private trim(): void {
    const finished = [...this.jobs.values()].filter(j => j.state !== 'running');
    for (const job of finished.slice(0, Math.max(0, this.jobs.size - KEEP))) {
      this.jobs.delete(job.id);
    }
  }
}
