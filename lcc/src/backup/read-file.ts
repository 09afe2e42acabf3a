/**
 * Reads one file for a backup, chunking and saving its content, and tells whether it stayed the same
 * file with the same content while it was read (else it is read again, a few times at most).
 *
 * Small files are read with synchronous calls in one go: for a few KiB, the round trips through
 * libuv's thread pool cost more than the reads. Larger ones stream through one buffer per file,
 * compacted only when its tail is used up, instead of being re-concatenated on every read.
 */
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readSync,
  statSync
} from 'node:fs';
import { FileHandle } from 'node:fs/promises';
import { fsPath } from '../repository/byte-names';
import { sha256, sha256Async } from '../repository/format';
import { open } from '../repository/local-fs';
import { Repository } from '../repository/repository';
import { IFileStamp } from './cache';
import { Chunker } from './chunker';

/** Files up to this size are read synchronously, whole. */
export const SMALL_FILE = 256 * 1024;
const READ_SIZE = 1024 * 1024;
const ASYNC_HASH = 256 * 1024;
const ATTEMPTS = 3;
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

export class CancelledError extends Error {
  constructor() {
    super('The backup was cancelled: no snapshot was written.');
  }
}

export type FileResult = {
  content: string[];
  size: number;
  stamp: IFileStamp;
  changedDuringBackup: boolean;
};

export function stampOf(stat: IFileStamp): IFileStamp {
  return {
    size: stat.size,
    mtimeMs: stat.mtimeMs,
    ctimeMs: stat.ctimeMs,
    ino: stat.ino
  };
}

function sameStamp(a: IFileStamp, b: IFileStamp): boolean {
  return (
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs &&
    a.ino === b.ino
  );
}

export interface IReadContext {
  repo: Repository;
  chunker: Chunker;
  compressible: boolean;
  onBytes: (n: number, added: number) => void;
  signal?: AbortSignal;
}

/** Hashes and saves one chunk (a copy of it when `buffer` is reused); returns its id. */
async function saveChunk(
  ctx: IReadContext,
  piece: Buffer,
  copy: boolean
): Promise<string> {
  // Per chunk, so that a cancel stops a large file too, not only between files.
  if (ctx.signal?.aborted) {
    throw new CancelledError();
  }
  const data = copy ? Buffer.from(piece) : piece;
  // Large chunks are hashed off the main thread, which chunks and reads meanwhile.
  const id = data.length >= ASYNC_HASH ? await sha256Async(data) : sha256(data);
  const { added } = await ctx.repo.saveBlob('data', data, ctx.compressible, id);
  ctx.onBytes(piece.length, added ? piece.length : 0);
  return id;
}

/** Chunks content that is wholly in memory. */
async function saveWhole(ctx: IReadContext, data: Buffer): Promise<string[]> {
  const content: string[] = [];
  let rest = data;
  while (rest.length > 0) {
    const cut =
      rest.length <= ctx.chunker.params.min
        ? rest.length
        : ctx.chunker.cut(rest, true);
    content.push(await saveChunk(ctx, rest.subarray(0, cut), false));
    rest = rest.subarray(cut);
  }
  return content;
}

/** One read of a small file: open, read, fstat, stat of the path, close (all synchronous). */
function readSmall(
  path: string,
  expected: number
): { data: Buffer; after: IFileStamp; onDisk?: IFileStamp } {
  const fd = openSync(fsPath(path), OPEN_FLAGS);
  try {
    // One byte more than expected: a file that grew shows it, and a short read is the end of file.
    const data = Buffer.allocUnsafe(expected + 1);
    let size = 0;
    for (;;) {
      const wanted = data.length - size;
      const n = readSync(fd, data, size, wanted, null);
      size += n;
      if (n < wanted || size === data.length) {
        break;
      }
    }
    const after = stampOf(fstatSync(fd));
    return { data: data.subarray(0, size), after, onDisk: stampOfPath(path) };
  } finally {
    closeSync(fd);
  }
}

/** Streams a large file through one buffer; returns its chunk ids and size. */
async function saveStream(
  ctx: IReadContext,
  handle: FileHandle,
  expected: number
): Promise<{ content: string[]; size: number }> {
  const { avg, max } = ctx.chunker.params;
  // Room for the largest chunk plus one read; no more than the file needs.
  const buffer = Buffer.allocUnsafe(
    Math.min(max + READ_SIZE, expected + READ_SIZE)
  );
  // A cut found in this much data is the cut the whole file would give (see Chunker.cut).
  const lookahead = Math.min(max, 2 * avg);
  const content: string[] = [];
  let start = 0;
  let end = 0;
  let eof = false;
  let wanted = lookahead;
  let size = 0;
  for (;;) {
    while (!eof && end - start < wanted) {
      if (buffer.length - end < READ_SIZE && start > 0) {
        buffer.copyWithin(0, start, end);
        end -= start;
        start = 0;
      }
      const room = Math.min(READ_SIZE, buffer.length - end);
      if (room === 0) {
        // Grown past what fits: stop here; the size check marks the file as changed.
        eof = true;
        break;
      }
      const { bytesRead } = await handle.read(buffer, end, room, null);
      eof = bytesRead === 0;
      end += bytesRead;
    }
    if (start === end) {
      return { content, size };
    }
    const available = buffer.subarray(start, end);
    const cut =
      available.length <= ctx.chunker.params.min && eof
        ? available.length
        : ctx.chunker.cut(available, eof);
    if (cut === 0) {
      wanted = end - start + READ_SIZE;
      continue;
    }
    wanted = lookahead;
    content.push(await saveChunk(ctx, available.subarray(0, cut), true));
    size += cut;
    start += cut;
  }
}

/**
 * Reads one file whose lstat the scan gave as `known`. The first read trusts that stamp as its
 * "before" (one fstat fewer per file); a file that changed since the scan is then read again.
 */
export async function saveFile(
  ctx: IReadContext,
  path: string,
  known: IFileStamp
): Promise<FileResult> {
  let before = stampOf(known);
  let last: FileResult | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    let content: string[];
    let size: number;
    let after: IFileStamp;
    let onDisk: IFileStamp | undefined;
    if (before.size <= SMALL_FILE) {
      const read = readSmall(path, before.size);
      ({ after, onDisk } = read);
      size = read.data.length;
      content = await saveWhole(ctx, read.data);
    } else {
      const handle = await open(path, OPEN_FLAGS);
      try {
        ({ content, size } = await saveStream(ctx, handle, before.size));
        after = stampOf(await handle.stat());
      } finally {
        await handle.close();
      }
      onDisk = stampOfPath(path);
    }
    const stable =
      sameStamp(before, after) &&
      size === after.size &&
      onDisk !== undefined &&
      sameStamp(after, onDisk);
    last = { content, size, stamp: after, changedDuringBackup: !stable };
    if (stable) {
      return last;
    }
    before = after;
  }
  return last as FileResult;
}

/** What the path names now (following links), if anything. */
function stampOfPath(path: string): IFileStamp | undefined {
  try {
    return stampOf(statSync(fsPath(path)));
  } catch {
    return undefined;
  }
}
