/**
 * A file of one small blob written in one go with synchronous calls: open, write, fchmod, futimes,
 * close, rename. On a local disk that costs the main thread a fifth of what six round trips through
 * the thread pool do (a restore of 5,000 notebooks and sources is mostly such files); on a file
 * system where each call is a network round trip (EFS), files go the parallel asynchronous way.
 * Which file system it is comes from statfs; one it does not know is judged by the time its first
 * files take.
 */
import { dirname } from 'node:path';
import {
  closeSync,
  constants,
  fchmodSync,
  ftruncateSync,
  futimesSync,
  openSync,
  renameSync,
  rmSync,
  statfsSync,
  writeSync
} from 'node:fs';
import { fsPath } from '../repository/byte-names';
import { fsTime } from './file-times';

/** Largest blob written this way. */
export const SMALL_FILE = 256 * 1024;
const SLOW_FILE_MS = 2;
const stats = { files: 0, ms: 0, off: false, local: false };

/** statfs magic numbers (linux/magic.h) of file systems where each call is a network round trip. */
const NETWORK_FS = new Set([
  0x6969, // NFS: EFS
  0xff534d42, // CIFS
  0xfe534d42, // SMB2
  0x65735546, // FUSE: s3fs, Mountpoint for S3
  0x0bd00bd0, // Lustre: FSx
  0x01021997, // 9P
  0x00c36400 // Ceph
]);
/** And of local ones. */
const LOCAL_FS = new Set([
  0xef53, // ext2/3/4: EBS
  0x58465342, // XFS
  0x9123683e, // Btrfs
  0x01021994, // tmpfs
  0x858458f6, // ramfs
  0x794c7630, // overlayfs: a container's own layer
  0xf2f52010, // F2FS
  0x2fc12fc1 // ZFS
]);

export type FileSystemKind = 'local' | 'network' | 'unknown';

export function fileSystemKind(type: number | bigint): FileSystemKind {
  const magic = Number(type);
  return LOCAL_FS.has(magic)
    ? 'local'
    : NETWORK_FS.has(magic)
      ? 'network'
      : 'unknown';
}

/**
 * Sets how this run writes small files, by the file system `target` (or its nearest existing
 * parent) is on. On a local one a slow average never turns the synchronous way off: it is the
 * disk's writeback holding every writer up, which the asynchronous way does not escape (an S3
 * restore of the benchmark home onto this machine's disk took 6.2-9.2 s once it had turned them
 * off, 5.9-6.7 s when it did not).
 */
export function judgeSmallFileWrites(target: string): FileSystemKind {
  let kind: FileSystemKind = 'unknown';
  for (let path = target; ; path = dirname(path)) {
    try {
      kind = fileSystemKind(statfsSync(path).type);
      break;
    } catch {
      if (dirname(path) === path) {
        break;
      }
    }
  }
  Object.assign(stats, {
    files: 0,
    ms: 0,
    off: kind === 'network',
    local: kind === 'local'
  });
  return kind;
}

export function smallFileWritesOn(): boolean {
  return !stats.off;
}

/** Another thread found them slow here (ignored on a local file system). */
export function turnOffSmallFileWrites(): void {
  stats.off = !stats.local;
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
  if (
    !stats.local &&
    stats.files >= 32 &&
    stats.ms / stats.files > SLOW_FILE_MS
  ) {
    stats.off = true;
  }
}
