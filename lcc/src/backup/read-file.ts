/**
 * Reads one file for a backup, chunking and saving its content, and tells whether it stayed the same
 * file with the same content while it was read (else it is read again, a few times at most).
 *
 * Small files are read with synchronous calls in one go: for a few KiB, the round trips through
 * libuv's thread pool cost more than the reads. Larger ones stream through one buffer per file,
 * compacted only when its tail is used up, instead of being re-concatenated on every read.
 */
import { statSync } from 'node:fs';
import { FileHandle } from 'node:fs/promises';
import { fsPath } from '../repository/byte-names';
import { sha256, sha256Async } from '../repository/format';
import { open } from '../repository/local-fs';
import { Repository } from '../repository/repository';
import { IFileStamp } from './cache';
import { Chunker } from './chunker';
import type { FirstRead } from './read-ahead';
import { OPEN_FLAGS, readSmall, stampOf } from './read-small';

/** Files up to this size are read synchronously, whole (read-small.ts). */
export const SMALL_FILE = 256 * 1024;
const READ_SIZE = 1024 * 1024;
const ASYNC_HASH = 256 * 1024;
const ATTEMPTS = 3;

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

/**
 * Hashes and saves one chunk; returns its id. The piece may be part of a read buffer that is used
 * again once this returns: saveBlob copies it into its pack first.
 */
async function saveChunk(ctx: IReadContext, piece: Buffer): Promise<string> {
  // Per chunk, so that a cancel stops a large file too, not only between files.
  if (ctx.signal?.aborted) {
    throw new CancelledError();
  }
  // Large chunks are hashed off the main thread, which chunks and reads meanwhile.
  const id =
    piece.length >= ASYNC_HASH ? await sha256Async(piece) : sha256(piece);
  const { added } = await ctx.repo.saveBlob(
    'data',
    piece,
    ctx.compressible,
    id
  );
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
    content.push(await saveChunk(ctx, rest.subarray(0, cut)));
    rest = rest.subarray(cut);
  }
  return content;
}

/** Streams a large file through one buffer; returns its chunk ids and size. */
async function saveStream(
  ctx: IReadContext,
  handle: FileHandle
): Promise<{ content: string[]; size: number }> {
  const { avg, max } = ctx.chunker.params;
  // Room for the largest chunk plus one read, from a small pool: a backup reads a few large
  // files at once, and thousands one after the other.
  const buffer = takeReadBuffer(max + READ_SIZE);
  try {
    return await streamChunks(ctx, handle, buffer, Math.min(max, 2 * avg));
  } finally {
    giveReadBuffer(buffer);
  }
}

const spareReadBuffers: Buffer[] = [];
const SPARE_READ_BUFFERS = 2;

function takeReadBuffer(size: number): Buffer {
  const i = spareReadBuffers.findIndex(b => b.length === size);
  return i >= 0 ? spareReadBuffers.splice(i, 1)[0] : Buffer.allocUnsafe(size);
}

function giveReadBuffer(buffer: Buffer): void {
  if (spareReadBuffers.length < SPARE_READ_BUFFERS) {
    spareReadBuffers.push(buffer);
  }
}

async function streamChunks(
  ctx: IReadContext,
  handle: FileHandle,
  buffer: Buffer,
  lookahead: number
): Promise<{ content: string[]; size: number }> {
  // A cut found in `lookahead` bytes is the cut the whole file would give (see Chunker.cut).
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
    content.push(await saveChunk(ctx, available.subarray(0, cut)));
    size += cut;
    start += cut;
  }
}

/**
 * Reads one file whose lstat the scan gave as `known`. The first read trusts that stamp as its
 * "before" (one fstat fewer per file); a file that changed since the scan is then read again.
 * `ahead`: the first read of a small file, made by the read-ahead thread (read-ahead.ts).
 */
export async function saveFile(
  ctx: IReadContext,
  path: string,
  known: IFileStamp,
  ahead?: Promise<FirstRead>
): Promise<FileResult> {
  let before = stampOf(known);
  let last: FileResult | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    let content: string[];
    let size: number;
    let after: IFileStamp;
    let onDisk: IFileStamp | undefined;
    if (before.size <= SMALL_FILE) {
      const read =
        (attempt === 1 ? await ahead : undefined) ??
        readSmall(path, before.size);
      after = onDisk = read.after;
      size = read.data.length;
      content = await saveWhole(ctx, read.data);
    } else {
      const handle = await open(path, OPEN_FLAGS);
      try {
        ({ content, size } = await saveStream(ctx, handle));
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
