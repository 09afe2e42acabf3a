/**
 * The read-ahead thread of a backup (read-ahead.ts): reads the small files of each batch it is
 * sent into one buffer, which moves back to the main thread with each file's place and stamp.
 * Started from this file, or from the single-file bundle (cli/entry.ts imports this module for
 * that), with workerData naming the role.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readSmallInto } from './read-small';

export const READ_AHEAD = 'studio-backup-read-ahead';

export interface IReadBatch {
  paths: string[];
  /** Each file's size as the scan's lstat gave it: room for one byte more is kept. */
  sizes: number[];
}

/**
 * Each file's outcome in FIELDS numbers of `stamps` (numbers in one typed array, not an object a
 * file: 100,000 cloned objects were garbage the main thread collected): its place in `bytes`, the
 * bytes read, and the open file's size, mtime, ctime and inode; a place of -1 when it could not be
 * read (the main thread reads it again, and sees why).
 */
export const FIELDS = 6;

export interface IReadAnswer {
  bytes: ArrayBuffer;
  stamps: Float64Array;
}

export function readBatch({ paths, sizes }: IReadBatch): IReadAnswer {
  const room = sizes.reduce((n, size) => n + size + 1, 0);
  // Owns its whole ArrayBuffer (never a slice of Node's shared pool): it can move to the main thread.
  const bytes = Buffer.allocUnsafeSlow(Math.max(1, room));
  const stamps = new Float64Array(paths.length * FIELDS);
  let at = 0;
  for (const [i, path] of paths.entries()) {
    let read;
    try {
      read = readSmallInto(path, sizes[i], bytes, at);
    } catch {
      read = undefined;
    }
    stamps.set(
      read
        ? [
            at,
            read.size,
            read.after.size,
            read.after.mtimeMs,
            read.after.ctimeMs,
            read.after.ino
          ]
        : [-1],
      i * FIELDS
    );
    at += sizes[i] + 1;
  }
  return { bytes: bytes.buffer as ArrayBuffer, stamps };
}

if (!isMainThread && parentPort && workerData?.role === READ_AHEAD) {
  const port = parentPort;
  port.on('message', (batch: IReadBatch) => {
    const answer = readBatch(batch);
    port.postMessage(answer, [answer.bytes, answer.stamps.buffer]);
  });
}
