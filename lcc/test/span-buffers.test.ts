/**
 * The buffers a restore reads its spans into (restore/span-buffers.ts): used again once a writer
 * thread gives them back, and never more bytes of them taken than the budget. The restore case
 * runs real writer threads over a file repository and counts, through a backend that wraps the
 * real one, the bytes read into buffers that have not come back yet.
 */
import { openView } from '../src/browse/view';
import { FileBackend } from '../src/repository/file-backend';
import { Repository } from '../src/repository/repository';
import { restore } from '../src/restore/restore';
import { SpanBuffers } from '../src/restore/span-buffers';
import {
  cleanupTempDirs,
  describeTree,
  randomish,
  tempDir,
  write
} from './helpers/fixtures';
import { backedUp } from './helpers/restore-all';

afterEach(cleanupTempDirs);

const MiB = 1024 * 1024;

describe('SpanBuffers', () => {
  it('gives back the same memory for the next read', async () => {
    const pool = new SpanBuffers(MiB, 4 * MiB);
    const first = await pool.take(100);
    first[0] = 42;
    pool.giveBack(first.length, first.subarray(0, 100));
    const again = await pool.take(MiB);
    expect(again.buffer).toBe(first.buffer);
    expect(again[0]).toBe(42);
  });

  it('makes a read wait while the budget is taken, and lets it go when a buffer comes back', async () => {
    const pool = new SpanBuffers(MiB, 2 * MiB);
    const a = await pool.take(MiB);
    await pool.take(MiB);
    let third: Buffer | undefined;
    const waiting = pool.take(MiB).then(b => (third = b));
    await new Promise(resolve => setImmediate(resolve));
    expect(third).toBeUndefined();
    pool.giveBack(a.length, a);
    await waiting;
    expect(third!.buffer).toBe(a.buffer);
  });

  it('counts a buffer held elsewhere (a writer reading a run itself) in the same budget', async () => {
    const pool = new SpanBuffers(MiB, 4 * MiB);
    const held = await pool.reserve(3 * MiB);
    expect(held).toBe(3 * MiB);
    let taken: Buffer | undefined;
    const waiting = pool.take(2 * MiB).then(b => (taken = b));
    await new Promise(resolve => setImmediate(resolve));
    expect(taken).toBeUndefined();
    pool.release(held);
    await waiting;
    expect(taken!.length).toBe(2 * MiB);
    // At least a span is counted, however short the run's spans.
    expect(await pool.reserve(100)).toBe(MiB);
  });

  it('frees the budget of a buffer lost with a failed thread', async () => {
    const pool = new SpanBuffers(MiB, MiB);
    const a = await pool.take(MiB);
    pool.giveBack(a.length, undefined);
    const b = await pool.take(MiB);
    expect(b.buffer).not.toBe(a.buffer);
  });

  it('lets one span larger than the budget through alone', async () => {
    const pool = new SpanBuffers(MiB, 2 * MiB);
    const big = await pool.take(5 * MiB);
    expect(big.length).toBe(5 * MiB);
    let next: Buffer | undefined;
    const waiting = pool.take(MiB).then(b => (next = b));
    await new Promise(resolve => setImmediate(resolve));
    expect(next).toBeUndefined();
    pool.giveBack(big.length, big);
    await waiting;
    expect(next!.buffer).toBe(big.buffer);
  });
});

/** The real file backend, counting what its ranged reads read into, and how many are in flight at once. */
class CountingBackend extends FileBackend {
  readonly latencyMs: number = 0;
  inFlight = 0;
  mostInFlight = 0;
  intoReads = 0;
  plainReads = 0;
  readonly arrays = new WeakSet<ArrayBufferLike>();
  distinct = 0;

  override async getRange(
    key: string,
    offset: number,
    length: number,
    into?: Buffer
  ): Promise<Buffer> {
    if (!into) {
      if (length >= 1024 * 1024) {
        // A span of file data (a snapshot's trees are read in small ranges, on their own).
        this.plainReads++;
      }
      return super.getRange(key, offset, length, into);
    }
    this.intoReads++;
    if (!this.arrays.has(into.buffer)) {
      this.arrays.add(into.buffer);
      this.distinct++;
    }
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    try {
      await new Promise(resolve => setTimeout(resolve, this.latencyMs));
      return await super.getRange(key, offset, length, into);
    } finally {
      this.inFlight--;
    }
  }
}

it.each([
  ['through writer threads', 2],
  ["on the main thread's way", 0]
])(
  'a restore %s reads every span into a few buffers, used again',
  async (_, writers) => {
    const home = tempDir('home');
    for (let i = 0; i < 12; i++) {
      write(home, `models/m${i}.bin`, randomish(3 * MiB, i + 1));
    }
    const { repoDir } = await backedUp(home);
    const backend = new CountingBackend(repoDir);
    const allocated = jest.spyOn(Buffer, 'allocUnsafeSlow');
    const target = tempDir('target');
    const view = await openView(await Repository.open(backend), 'latest');
    backend.plainReads = 0;
    const result = await restore(view, {
      paths: [],
      target,
      conflict: 'skip',
      writers
    });
    const spanBuffers = allocated.mock.calls.filter(([n]) => n >= MiB).length;
    allocated.mockRestore();
    expect(result.damaged).toEqual([]);
    expect(describeTree(target)).toEqual(describeTree(home));
    expect(backend.plainReads).toBe(0);
    // 36 MiB in 4 MiB spans at most, a budget of 16 MiB: at most 4 buffers (and some 9 reads).
    expect(backend.intoReads).toBeGreaterThanOrEqual(9);
    expect(spanBuffers).toBeLessThanOrEqual(4);
  }
);

/**
 * A repository that answers like S3: each ranged read after a latency, named by a URL other than
 * file://, and read as S3's are, as a stream of 64 KiB chunks. `breakAfter`: the bytes each
 * stream gives before it fails (a body cut off for good).
 */
class SlowRemoteBackend extends CountingBackend {
  override readonly url = 'remote-test://bucket/repo';
  override readonly latencyMs = 20;
  streams = 0;
  breakAfter = Infinity;

  async getRangeStream(
    key: string,
    offset: number,
    length: number
  ): Promise<AsyncIterable<Buffer>> {
    this.streams++;
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    await new Promise(resolve => setTimeout(resolve, this.latencyMs));
    const bytes = await super.getRange(key, offset, length);
    const breakAfter = this.breakAfter;
    const ended = () => this.inFlight--;
    return (async function* () {
      try {
        for (let at = 0; at < bytes.length; at += 64 * 1024) {
          if (at >= breakAfter) {
            throw new Error('connection reset');
          }
          yield bytes.subarray(at, at + 64 * 1024);
        }
      } finally {
        ended();
      }
    })();
  }
}

/** A home of `parts` files of 60 KiB (and `more`), restored from it through a SlowRemoteBackend. */
async function restoreRemotely(
  parts: number,
  breakAfter = Infinity,
  more: (home: string) => void = () => undefined
): Promise<SlowRemoteBackend> {
  const home = tempDir('home');
  // Blobs of 60 KiB: each ranged read gathers some of them up to the span's length.
  for (let i = 0; i < parts; i++) {
    write(home, `data/part-${i}.bin`, randomish(60 * 1024, i + 1));
  }
  more(home);
  const { repoDir } = await backedUp(home);
  const backend = new SlowRemoteBackend(repoDir);
  backend.breakAfter = breakAfter;
  const target = tempDir('target');
  const view = await openView(await Repository.open(backend), 'latest');
  const result = await restore(view, {
    paths: [],
    target,
    conflict: 'skip',
    writers: 2
  });
  expect(result.damaged).toEqual([]);
  expect(describeTree(target)).toEqual(describeTree(home));
  expect(backend.inFlight).toBe(0);
  return backend;
}

it('a restore from a remote repository keeps 16 ranged reads in flight, and no more', async () => {
  const backend = await restoreRemotely(600);
  // Spans of up to 1 MiB under a budget of 16 MiB: 35 MiB is read 16 at a time, by requests that
  // each give several spans (some 36 spans, a request for 2-3 of them).
  expect(backend.mostInFlight).toBe(16);
  expect(backend.intoReads).toBe(0);
  expect(backend.streams).toBeGreaterThanOrEqual(16);
  expect(backend.streams).toBeLessThanOrEqual(24);
});

it('a remote restore whose requests break off half-way reads the rest span by span, and restores every byte', async () => {
  const backend = await restoreRemotely(300, 1536 * 1024, home =>
    write(home, 'models/big.bin', randomish(9 * MiB, 7))
  );
  // Each request gave its first span or two, then broke: the spans after went on their own.
  expect(backend.streams).toBeGreaterThan(0);
  expect(backend.intoReads).toBeGreaterThan(0);
});
