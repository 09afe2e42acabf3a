/**
 * One read of a small file: open, read, fstat, close, all synchronous. For a few KiB the round
 * trips through libuv's thread pool cost more than the reads. Used by the main thread and by the
 * read-ahead thread (read-ahead.ts), which reads a folder's small files while the main thread
 * hashes and packs those before them.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { fsPath } from '../repository/byte-names';
import type { IFileStamp } from './cache';

export const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

export function stampOf(stat: IFileStamp): IFileStamp {
  return {
    size: stat.size,
    mtimeMs: stat.mtimeMs,
    ctimeMs: stat.ctimeMs,
    ino: stat.ino
  };
}

/**
 * Reads the file at `path` (its lstat said `expected` bytes) into `into` at `at`, which has room
 * for expected + 1 bytes: a file that grew shows it, and a short read is the end of file. The path
 * is not looked up again: the read took microseconds, and a file renamed over this one meanwhile
 * leaves this one whole, as it was when opened, which is what a backup a moment earlier would have
 * kept (the next backup sees the new inode). Returns the bytes read and the open file's stamp.
 */
export function readSmallInto(
  path: string,
  expected: number,
  into: Buffer,
  at: number
): { size: number; after: IFileStamp } {
  const fd = openSync(fsPath(path), OPEN_FLAGS);
  try {
    const end = at + expected + 1;
    let size = 0;
    for (;;) {
      const wanted = end - at - size;
      const n = readSync(fd, into, at + size, wanted, null);
      size += n;
      if (n < wanted || at + size === end) {
        break;
      }
    }
    return { size, after: stampOf(fstatSync(fd)) };
  } finally {
    closeSync(fd);
  }
}

/** readSmallInto with a buffer of its own. */
export function readSmall(
  path: string,
  expected: number
): { data: Buffer; after: IFileStamp } {
  const data = Buffer.allocUnsafe(expected + 1);
  const { size, after } = readSmallInto(path, expected, data, 0);
  return { data: data.subarray(0, size), after };
}
