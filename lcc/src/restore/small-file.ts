/**
 * A file of one small blob written in one go with synchronous calls: open, write, fchmod, futimes,
 * close, rename. On a local disk that costs the main thread a fifth of what six round trips through
 * the thread pool do (a restore of 5,000 notebooks and sources is mostly such files); on a file
 * system where each call is a network round trip (EFS), a slow average turns it off for the rest
 * of the run, and files go the parallel asynchronous way.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  ftruncateSync,
  futimesSync,
  openSync,
  renameSync,
  rmSync,
  writeSync
} from 'node:fs';
import { fsPath } from '../repository/byte-names';
import { fsTime } from './file-times';

/** Largest blob written this way. */
export const SMALL_FILE = 256 * 1024;
const SLOW_FILE_MS = 2;
const stats = { files: 0, ms: 0, off: false };

export function smallFileWritesOn(): boolean {
  return !stats.off;
}

/** Another thread found them slow here. */
export function turnOffSmallFileWrites(): void {
  stats.off = true;
}

/** write() may write less than asked (a nearly full disk): loop, and call 0 bytes a full disk. */
export function writeFullySync(
  fd: number,
  data: Buffer,
  position: number
): void {
  let done = 0;
  while (done < data.length) {
    const n = writeSync(fd, data, done, data.length - done, position + done);
    if (n === 0) {
      throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
    }
    done += n;
  }
}

/** Writes `data` as the whole file at `path` (through `tmp`); throws ENOSPC on a short write. */
export function writeSmallFile(
  tmp: string,
  path: string,
  data: Buffer,
  mode: number,
  mtime: number | undefined,
  { hole = false } = {}
): void {
  const started = performance.now();
  const fd = openSync(
    fsPath(tmp),
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
    0o600
  );
  try {
    if (hole) {
      // All zeros: a hole of that size, as a sparse file's are restored.
      ftruncateSync(fd, data.length);
    } else {
      writeFullySync(fd, data, 0);
    }
    fchmodSync(fd, mode);
    if (mtime !== undefined) {
      const t = fsTime(mtime);
      futimesSync(fd, t, t);
    }
  } catch (err) {
    closeSync(fd);
    rmSync(fsPath(tmp), { force: true });
    throw err;
  }
  try {
    // As for the asynchronous way: a write the storage refuses late fails the close.
    closeSync(fd);
    renameSync(fsPath(tmp), fsPath(path));
  } catch (err) {
    rmSync(fsPath(tmp), { force: true });
    throw err;
  }
  stats.files++;
  stats.ms += performance.now() - started;
  if (stats.files >= 32 && stats.ms / stats.files > SLOW_FILE_MS) {
    stats.off = true;
  }
}
