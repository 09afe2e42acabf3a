/**
 * The worker threads that decode, check and write a restore's spans, so that the main thread only
 * plans and reads: with 2 cores, decoding, hashing and the file system calls of a restore kept
 * the main thread busy while the other core waited (see docs/benchmarks.md).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ISpanJob, ISpanResult } from './span-job';
import { SPAN_WRITER } from './span-worker';
import { workerScript } from '../backup/worker-script';

const YOUNG_GENERATION_MB = 2;

interface IWriter {
  worker: Worker;
  waiting: ((r: ISpanResult | Error) => void)[];
}

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
      const writer: IWriter = { worker, waiting: [] };
      // Jobs are answered in order; a writer that dies fails those it had.
      worker.on('message', (r: ISpanResult) => writer.waiting.shift()?.(r));
      const die = (err: Error) => {
        for (const settle of writer.waiting.splice(0)) {
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
    const writer = this.writers.reduce((a, b) =>
      b.waiting.length < a.waiting.length ? b : a
    );
    return new Promise<ISpanResult>((resolve, reject) => {
      writer.waiting.push(r => (r instanceof Error ? reject(r) : resolve(r)));
      writer.worker.postMessage(job, [job.bytes.buffer as ArrayBuffer]);
    });
  }

  /** Stops every writer; resolves once none can write any more. */
  async close(): Promise<void> {
    await Promise.all(this.writers.map(w => w.worker.terminate()));
  }
}
