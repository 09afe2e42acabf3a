/**
 * Scheduled backups: every interval with random jitter, never two at once, backing off after
 * failures (interval × 2^failures, at most 6 hours), back to normal after a success.
 */
import { BusyError } from './jobs';
import { Job } from '../api/contract';

export interface ISchedulerOptions {
  /** 0: the first backup only, none after (the reference's ENABLE_SCHEDULED_SYNC=0). */
  intervalMs: number;
  /** Up to this fraction of the interval is added at random, so that spaces do not all back up at once. */
  jitter?: number;
  /** Delay of the first backup after start (default: one interval with jitter). */
  firstDelayMs?: number;
  startBackup: () => { job: Job; done: Promise<Job> };
  log?: (line: string) => void;
  random?: () => number;
}

const MAX_BACKOFF_MS = 6 * 60 * 60 * 1000;

export class Scheduler {
  private timer?: NodeJS.Timeout;
  private failures = 0;
  private nextAt?: Date;
  private stopped = false;

  constructor(private readonly options: ISchedulerOptions) {}

  get next(): Date | undefined {
    return this.nextAt;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  /** A new interval (the user's setting) applies from now on. */
  setInterval(ms: number): void {
    this.options.intervalMs = ms;
    this.plan(this.delay());
  }

  start(): void {
    this.plan(this.options.firstDelayMs ?? this.delay());
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.nextAt = undefined;
  }

  /** The wait before the next run, with jitter and failure backoff. */
  delay(): number {
    const { intervalMs, jitter = 0.1, random = Math.random } = this.options;
    const base = Math.min(
      intervalMs * 2 ** this.failures,
      Math.max(intervalMs, MAX_BACKOFF_MS)
    );
    return Math.round(base + base * jitter * random());
  }

  private plan(ms: number): void {
    if (this.stopped) {
      return;
    }
    clearTimeout(this.timer);
    this.nextAt = new Date(Date.now() + ms);
    this.timer = setTimeout(() => void this.run(), ms);
    this.timer.unref();
  }

  /** One scheduled run; a backup already running (e.g. "back up now") counts as this run. */
  async run(): Promise<void> {
    const log = this.options.log ?? (() => undefined);
    try {
      const { done } = this.options.startBackup();
      const job = await done;
      if (job.state === 'succeeded') {
        this.failures = 0;
      } else if (job.state === 'failed') {
        this.failures++;
        log(
          `scheduled backup failed (${this.failures} in a row): ${job.error}`
        );
      }
    } catch (err) {
      if (!(err instanceof BusyError)) {
        this.failures++;
        log(`scheduled backup could not start: ${(err as Error).message}`);
      }
    }
    if (this.options.intervalMs > 0) {
      this.plan(this.delay());
    } else {
      this.nextAt = undefined;
    }
  }
}
