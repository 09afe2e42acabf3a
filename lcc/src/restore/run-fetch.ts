/**
 * A restore writer's own read of a run (pack-runs.ts) from S3: one ranged GET of a presigned URL,
 * its body cut into the run's spans as it arrives, each span written (span-job.ts) once its bytes
 * are all there. The socket's chunks then never reach the main thread: when they did, the main
 * thread's collector was busy most of an S3 restore (--trace-gc of the benchmark home's restore:
 * 677 young collections and 34 full ones on the main thread, with marking under way most of the
 * time, against 2 full ones in each writer).
 *
 * Only the reading is done here, never the retrying: a request that fails, an answer that is not
 * the range asked for or a body that breaks off ends the run, and the main thread reads the spans
 * not yet written its own way, with the SDK's retries and the per-blob fallback.
 */
import type { Agent, IncomingMessage, RequestOptions } from 'node:http';
import { ISpanJob, ISpanResult, writeSpanJob } from './span-job';

/** One span of a run: where its bytes are in the pack, and what to do with them. */
export interface IRunSpan {
  offset: number;
  length: number;
  blobs: ISpanJob['blobs'];
}

export interface IRunJob {
  /** A presigned GET of the pack, good for the time the run takes. */
  url: string;
  spans: IRunSpan[];
}

/** How a run ended: spans from `written` on were not written (read them another way). */
export interface IRunEnd {
  written: number;
  /** Why it stopped early, when it did for a failure (not for a full disk or slow storage). */
  failure?: string;
  /** S3 refused the presigned GET (HTTP 403): presigned reads are not allowed here. */
  refused?: boolean;
}

/** A run that sends nothing for this long is given up on (the main thread reads the rest). */
const IDLE_MS = 60_000;

type Request = (
  url: string,
  options: RequestOptions
) => import('node:http').ClientRequest;

/** node:http or node:https, loaded on a writer's first run (a local restore needs neither). */
const clients = new Map<string, { request: Request; agent: Agent }>();

function clientFor(url: string) {
  const scheme = url.startsWith('https:') ? 'https' : 'http';
  let client = clients.get(scheme);
  if (!client) {
    const module: typeof import('node:https') =
      scheme === 'https'
        ? // eslint-disable-next-line @typescript-eslint/no-require-imports
          require('node:https')
        : // eslint-disable-next-line @typescript-eslint/no-require-imports
          require('node:http');
    client = {
      request: module.request,
      agent: new module.Agent({ keepAlive: true })
    };
    clients.set(scheme, client);
  }
  return client;
}

/** Buffers of the runs this thread has finished, used again: a run holds one at a time. */
const spare: Buffer[] = [];
/** The most bytes of them kept (the runs in flight are counted by the main thread: pack-writer.ts). */
const SPARE_BYTES = 8 * 1024 * 1024;

function keep(buffer: Buffer): void {
  const kept = spare.reduce((n, b) => n + b.length, 0);
  if (kept + buffer.length <= SPARE_BYTES) {
    spare.push(buffer);
  }
}

function bufferFor(length: number): Buffer {
  const i = spare.findIndex(b => b.length >= length);
  if (i >= 0) {
    return spare.splice(i, 1)[0];
  }
  // None is large enough: one fewer is kept, so that no more are held than runs are in flight.
  spare.shift();
  return Buffer.allocUnsafeSlow(length);
}

function get(url: string, from: number, to: number): Promise<IncomingMessage> {
  const { request, agent } = clientFor(url);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      agent,
      headers: { Range: `bytes=${from}-${to - 1}` },
      timeout: IDLE_MS
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.end();
  });
}

/** Cuts a run's body into its spans as it arrives, and writes each span once it is whole. */
class SpanCutter {
  written = 0;
  /** Stopped for a full disk or slow storage. */
  stopped = false;
  /** The pack's offset of the next byte to arrive, and how much of the span at hand is filled. */
  private at: number;
  private filled = 0;

  constructor(
    private readonly spans: IRunSpan[],
    private readonly buffer: Buffer,
    private readonly onSpan: (span: number, result: ISpanResult) => void,
    private readonly afterSpan: () => void
  ) {
    this.at = spans[0].offset;
  }

  get done(): boolean {
    return this.stopped || this.written === this.spans.length;
  }

  push(chunk: Buffer): void {
    let used = 0;
    while (used < chunk.length && !this.done) {
      const span = this.spans[this.written];
      const skip = Math.min(
        span.offset + this.filled - this.at,
        chunk.length - used
      );
      if (skip > 0) {
        // Bytes between spans (a gap the run reads over).
        used += skip;
        this.at += skip;
        continue;
      }
      const n = Math.min(span.length - this.filled, chunk.length - used);
      chunk.copy(this.buffer, this.filled, used, used + n);
      used += n;
      this.at += n;
      this.filled += n;
      if (this.filled === span.length) {
        this.filled = 0;
        this.write(span);
      }
    }
  }

  private write(span: IRunSpan): void {
    const result = writeSpanJob({
      bytes: this.buffer.subarray(0, span.length),
      blobs: span.blobs
    });
    this.onSpan(this.written++, result);
    this.afterSpan();
    // A full disk ends the restore; slow storage is written the main thread's way.
    this.stopped = result.fatal !== undefined || result.slow;
  }
}

/**
 * Reads `job`'s run and writes its spans in order; `onSpan` is called with each span's result as it
 * is written, then `afterSpan`. Never throws: a failure is in the answer.
 */
export async function fetchRun(
  job: IRunJob,
  onSpan: (span: number, result: ISpanResult) => void,
  afterSpan: () => void = () => undefined
): Promise<IRunEnd> {
  const { spans } = job;
  const start = spans[0].offset;
  const end = spans.reduce((e, s) => Math.max(e, s.offset + s.length), 0);
  const buffer = bufferFor(Math.max(...spans.map(s => s.length)));
  const cutter = new SpanCutter(spans, buffer, onSpan, afterSpan);
  let response: IncomingMessage | undefined;
  try {
    response = await get(job.url, start, end);
    const range = response.headers['content-range'];
    if (
      response.statusCode !== 206 ||
      range === undefined ||
      !range.startsWith(`bytes ${start}-${end - 1}/`)
    ) {
      return {
        written: 0,
        failure: `HTTP ${response.statusCode} to a ranged GET`,
        refused: response.statusCode === 403
      };
    }
    const body = response;
    // Each chunk is used as the socket gives it (an async iterator kept chunks of the other runs
    // waiting in their streams, long enough to outlive young collections).
    await new Promise<void>((resolve, reject) => {
      body.on('data', (chunk: Buffer) => {
        cutter.push(chunk);
        if (cutter.done) {
          resolve();
        }
      });
      body.on('error', reject);
      body.on('close', resolve);
    });
    return cutter.written === spans.length || cutter.stopped
      ? { written: cutter.written }
      : {
          written: cutter.written,
          failure: 'the answer ended before the run did'
        };
  } catch (err) {
    return { written: cutter.written, failure: (err as Error).message };
  } finally {
    if (cutter.stopped || cutter.written < spans.length) {
      response?.destroy();
    }
    keep(buffer);
  }
}
