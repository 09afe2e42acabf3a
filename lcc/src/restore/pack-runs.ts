/**
 * A remote restore's spans, read by runs: one request for neighbouring spans of a pack, its body
 * cut into the spans as it arrives. Each request to S3 costs the main thread some 3 ms of the SDK
 * (signing, middleware, some 300 KiB of garbage): the benchmark home's restore sent 440 requests of
 * at most 1 MiB where a run of up to 8 MiB needs some 60, and each span still holds only its own
 * buffer (span-buffers.ts), so the bytes in memory stay what they were.
 */
import { IBackend } from '../repository/backend';
import { IBlobLocation } from '../repository/blobs';
import { packKey } from '../repository/format';

interface IPlaced {
  loc: IBlobLocation;
}

const MiB = 1024 * 1024;
/** A run's length at most: long enough to pay for its request, short enough to share the work out. */
const RUN_MAX = 8 * MiB;

export type RangeStreams = Required<Pick<IBackend, 'getRangeStream'>>;

export const canStreamRanges = (
  backend: IBackend
): backend is IBackend & RangeStreams =>
  typeof backend.getRangeStream === 'function';

/** Where the blob that ends last of these ends. */
export const endOf = (blobs: IPlaced[]) =>
  blobs.reduce((end, b) => Math.max(end, b.loc.offset + b.loc.length), 0);

/** `items` in order, cut into groups: a new one starts before each item `startsNew` says so of. */
export function groupsOf<T>(
  items: Iterable<T>,
  startsNew: (group: T[], next: T) => boolean
): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  for (const item of items) {
    if (group.length > 0 && startsNew(group, item)) {
      groups.push(group);
      group = [];
    }
    group.push(item);
  }
  if (group.length > 0) {
    groups.push(group);
  }
  return groups;
}

/**
 * Groups spans (each pack's together, by offset, as spansOf gives them) into runs of one pack, no
 * gap in them longer than `maxGap`. A run is at most the bytes over `reads`, so that a small
 * restore still keeps `reads` requests in flight, and at most RUN_MAX.
 */
export function runsOf<T extends IPlaced>(
  spans: T[][],
  reads: number,
  spanLength: number,
  maxGap: number
): T[][][] {
  const total = spans.reduce((n, s) => n + endOf(s) - s[0].loc.offset, 0);
  const maxRun = Math.min(
    RUN_MAX,
    Math.max(spanLength, Math.ceil(total / reads))
  );
  return groupsOf(spans, (run, span) => {
    const first = run[0][0].loc;
    return (
      span[0].loc.pack !== first.pack ||
      span[0].loc.offset - endOf(run[run.length - 1]) > maxGap ||
      endOf(span) - first.offset > maxRun
    );
  });
}

/**
 * One run's request: read() gives the bytes of its spans in order, passing over what lies between.
 * A failure breaks the run (every later read fails at once too), and each span is then read on its
 * own, the way a span outside a run is, with its per-blob fallback.
 */
export class RunReader {
  private chunks?: AsyncIterator<Buffer>;
  /** Bytes received and not used yet; the first is the pack's byte `at`. */
  private left: Buffer = Buffer.alloc(0);
  private at: number;
  private broken = false;
  private readonly end: number;

  constructor(
    private readonly backend: RangeStreams,
    private readonly run: IPlaced[][]
  ) {
    this.at = run[0][0].loc.offset;
    this.end = endOf(run[run.length - 1]);
  }

  /** Bytes [offset, offset + length) of the run's pack, into the start of `into`. */
  async read(offset: number, length: number, into: Buffer): Promise<Buffer> {
    if (this.broken || offset < this.at || offset + length > this.end) {
      throw new Error('not in what this run has still to read');
    }
    try {
      this.chunks ??= (
        await this.backend.getRangeStream(
          packKey(this.run[0][0].loc.pack),
          this.at,
          this.end - this.at
        )
      )[Symbol.asyncIterator]();
      const out = into.subarray(0, length);
      let filled = 0;
      while (filled < length) {
        if (this.left.length === 0) {
          const next = await this.chunks.next();
          if (next.done) {
            throw new Error('the run ended before its last span');
          }
          this.left = next.value;
        }
        const skip = Math.max(0, Math.min(offset - this.at, this.left.length));
        const n = Math.min(length - filled, this.left.length - skip);
        this.left.copy(out, filled, skip, skip + n);
        this.left = this.left.subarray(skip + n);
        this.at += skip + n;
        filled += n;
      }
      return out;
    } catch (err) {
      this.broken = true;
      await this.close();
      throw err;
    }
  }

  /** Ends the request (its body left unread, if any, is dropped). */
  async close(): Promise<void> {
    const chunks = this.chunks;
    this.chunks = undefined;
    this.left = Buffer.alloc(0);
    await chunks?.return?.();
  }
}
