/**
 * The worker threads that decode, check and write a restore's spans, so that the main thread only
 * plans and reads: with 2 cores, decoding, hashing and the file system calls of a restore kept
 * the main thread busy while the other core waited (see docs/benchmarks.md).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ISpanJob, ISpanResult } from './span-job';
import { SPAN_WRITER, WriterMessage } from './span-worker';
import { IRunEnd, IRunJob } from './run-fetch';
import { workerScript } from '../backup/worker-script';

const YOUNG_GENERATION_MB = 2;

/** What a writer answers: a span job's result, one span of a run, or how a run ended. */
type Answer =
  | { id: number; result: ISpanResult }
  | { id: number; span: number; result: ISpanResult }
  | { id: number; end: IRunEnd }
  | { id: number; error: string };

interface IWriter {
  worker: Worker;
  /** Each message not yet answered in full, by id. */
  waiting: Map<number, (a: Answer | Error) => void>;
}

let ids = 0;

export class SpanWriters {
  private constructor(private readonly writers: IWriter[]) {}

  /**
   * One writer a core, at most two: each holds its heap, the span it is given and what that
   * decodes to, and two keep a 2-core machine busy. Undefined when no
   * worker can be started here.
   */
  static start(
    count = Math.min(2, availableParallelism())
  ): SpanWriters | undefined {
    const script = workerScript(__dirname, 'span-worker');
    if (!script || count < 1) {
      return undefined;
    }
    const writers: IWriter[] = [];
    for (let i = 0; i < count; i++) {
      const worker = new Worker(script, {
        workerData: { role: SPAN_WRITER },
        // The engine's path strings and the file names they hold: none of the parent's flags
        // (a --cpu-prof or --inspect of the CLI) apply to a writer.
        execArgv: [],
        // A small young generation, as the CLI's own for a restore (cli/allocator.ts): each job's
        // decoded blobs die with it, and 16 MiB semi-spaces per thread were memory held for nothing
        // (the same restore with two writers: 302 → 251 MiB).
        resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB }
      });
      const writer: IWriter = { worker, waiting: new Map() };
      worker.on('message', (a: Answer) =>
        writer.waiting.get(a.id)?.(
          'error' in a ? new Error(`a restore writer failed: ${a.error}`) : a
        )
      );
      // A writer that dies fails what it had.
      const die = (err: Error) => {
        const settles = [...writer.waiting.values()];
        writer.waiting.clear();
        for (const settle of settles) {
          settle(err);
        }
      };
      worker.on('error', die);
      worker.on('exit', code =>
        die(new Error(`a restore writer stopped (exit code ${code})`))
      );
      writers.push(writer);
    }
    return new SpanWriters(writers);
  }

  /**
   * Posts a job to the writer with the fewest waiting. The buffer under its bytes moves there
   * (the caller owns all of it: see span-buffers.ts) and comes back in the answer's `bytes`.
   */
  run(job: ISpanJob): Promise<ISpanResult> {
    return new Promise<ISpanResult>((resolve, reject) =>
      this.post(
        { id: ++ids, span: job },
        [job.bytes.buffer as ArrayBuffer],
        a =>
          a instanceof Error ? reject(a) : 'result' in a && resolve(a.result)
      )
    );
  }

  /**
   * Has the writer with the fewest waiting read and write a run itself (run-fetch.ts); `onSpan` is
   * called with each span's result in order, and the answer says where the run stopped.
   */
  fetchRun(
    job: IRunJob,
    onSpan: (span: number, result: ISpanResult) => void
  ): Promise<IRunEnd> {
    return new Promise<IRunEnd>((resolve, reject) => {
      this.post({ id: ++ids, run: job }, [], a => {
        if (a instanceof Error) {
          reject(a);
        } else if ('end' in a) {
          resolve(a.end);
        } else if ('span' in a) {
          onSpan(a.span, a.result);
        }
      });
    });
  }

  private post(
    message: WriterMessage,
    transfer: ArrayBuffer[],
    settle: (a: Answer | Error) => void
  ): void {
    const writer = this.writers.reduce((a, b) =>
      b.waiting.size < a.waiting.size ? b : a
    );
    writer.waiting.set(message.id, a => {
      // A run is answered once a span, then once more at its end.
      if (a instanceof Error || !('span' in a)) {
        writer.waiting.delete(message.id);
      }
      settle(a);
    });
    writer.worker.postMessage(message, transfer);
  }

  /** Stops every writer; resolves once none can write any more. */
  async close(): Promise<void> {
    await Promise.all(this.writers.map(w => w.worker.terminate()));
  }
}
