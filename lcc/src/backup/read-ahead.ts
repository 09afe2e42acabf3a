/**
 * A backup's small files, read ahead on a thread of their own. A folder of small files costs the
 * main thread an open, a read, an fstat and a close each: in a first backup of 100,000 files,
 * 0.94 s of the 3.6 s its --cpu-prof sampled, while the other core waited. Here one thread reads a batch of a
 * folder's small files while the main thread hashes and packs the batch before it.
 *
 * The bytes read ahead and not saved yet are capped (BUDGET): a batch is sent only once there is
 * room, and its room is given back when its files are saved. A file the thread could not read is
 * read again by the main thread, which then sees the error itself; if the thread cannot be started
 * or stops, every file is read the main thread's way.
 */
import { Worker } from 'node:worker_threads';
import type { IFileStamp } from './cache';
import {
  FIELDS,
  IReadAnswer,
  IReadBatch,
  READ_AHEAD
} from './read-ahead-worker';
import { workerScript } from './worker-script';

/** What the thread read of one file; undefined: read it on the main thread. */
export type FirstRead = { data: Buffer; after: IFileStamp } | undefined;

const MiB = 1024 * 1024;
/** Bytes read ahead and not saved yet, at most. */
const BUDGET = 4 * MiB;
/**
 * A folder's small files go to the thread only when it has this many to read: a few dozen
 * notebooks are mostly compression, which stays on the main thread, and the thread then cost time
 * and memory for nothing (a first backup of the benchmark home, which has no folder of 128 small
 * files: 2.65-2.70 s and 166 MiB without it, 2.86-3.10 s and 183 MiB with it, interleaved).
 */
export const READ_AHEAD_FROM = 128;
/** A batch is at most this many bytes (sizes + 1 each) or this many files. */
export const BATCH_BYTES = MiB / 2;
export const BATCH_FILES = 256;

export interface ISentBatch {
  /** The first read of the batch's file `i`. */
  read: (i: number) => Promise<FirstRead>;
  /** Gives the batch's room back: call once its files are saved. */
  done: () => void;
}

export class ReadAhead {
  private held = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly answers: ((a: IReadAnswer | undefined) => void)[] = [];
  private stopped = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (a: IReadAnswer) => this.answers.shift()?.(a));
    const stop = () => {
      this.stopped = true;
      for (const answer of this.answers.splice(0)) {
        answer(undefined);
      }
    };
    worker.on('error', stop);
    worker.on('exit', stop);
  }

  /** Undefined where no worker script can be found. */
  static start(): ReadAhead | undefined {
    const script = workerScript(__dirname, 'read-ahead-worker');
    if (!script) {
      return undefined;
    }
    return new ReadAhead(
      new Worker(script, {
        workerData: { role: READ_AHEAD },
        // None of the parent's flags (a --cpu-prof of the CLI) apply to it.
        execArgv: [],
        // It allocates little on its heap: each batch's bytes are outside it and move away.
        resourceLimits: { maxYoungGenerationSizeMb: 2 }
      })
    );
  }

  /** Sends a batch once there is room for it (at most BATCH_BYTES: see batchesOf). */
  async send(batch: IReadBatch): Promise<ISentBatch> {
    const room = batch.sizes.reduce((n, size) => n + size + 1, 0);
    while (this.held > 0 && this.held + room > BUDGET && !this.stopped) {
      await new Promise<void>(resolve => this.waiting.push(resolve));
    }
    let released = false;
    const done = () => {
      if (!released) {
        released = true;
        this.held -= room;
        this.waiting.shift()?.();
      }
    };
    this.held += room;
    const answer = this.stopped
      ? Promise.resolve(undefined)
      : new Promise<IReadAnswer | undefined>(resolve => {
          this.answers.push(resolve);
          this.worker.postMessage(batch);
        });
    const read = (i: number) =>
      answer.then(a => (a ? firstRead(a, i) : undefined));
    return { read, done };
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.worker.terminate();
  }
}

function firstRead({ bytes, stamps }: IReadAnswer, i: number): FirstRead {
  const [at, read, size, mtimeMs, ctimeMs, ino] = stamps.subarray(
    i * FIELDS,
    (i + 1) * FIELDS
  );
  return at < 0
    ? undefined
    : {
        data: Buffer.from(bytes, at, read),
        after: { size, mtimeMs, ctimeMs, ino }
      };
}

/** Cuts files into batches of at most BATCH_BYTES and BATCH_FILES. */
export function batchesOf<T>(files: T[], sizeOf: (f: T) => number): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const file of files) {
    const room = sizeOf(file) + 1;
    if (
      batch.length > 0 &&
      (bytes + room > BATCH_BYTES || batch.length >= BATCH_FILES)
    ) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(file);
    bytes += room;
  }
  if (batch.length > 0) {
    batches.push(batch);
  }
  return batches;
}
