/**
 * The file-system calls of backup and restore, taking the engine's path strings (see byte-names.ts):
 * a path with a name that is not UTF-8 reaches the file system as its exact bytes.
 */
import {
  lstatSync,
  readdirSync,
  MakeDirectoryOptions,
  RmOptions,
  Stats,
  TimeLike
} from 'node:fs';
import * as fsp from 'node:fs/promises';
import { fsPath, nameFromBytes } from './byte-names';

export const lstat = (path: string) => fsp.lstat(fsPath(path));
export const stat = (path: string) => fsp.stat(fsPath(path));
export const open = (path: string, flags: string | number, mode?: number) =>
  fsp.open(fsPath(path), flags, mode);
export const mkdir = (path: string, options?: MakeDirectoryOptions) =>
  fsp.mkdir(fsPath(path), options);
export const rm = (path: string, options?: RmOptions) =>
  fsp.rm(fsPath(path), options);
export const rename = (from: string, to: string) =>
  fsp.rename(fsPath(from), fsPath(to));
export const chmod = (path: string, mode: number) =>
  fsp.chmod(fsPath(path), mode);
export const utimes = (path: string, atime: TimeLike, mtime: TimeLike) =>
  fsp.utimes(fsPath(path), atime, mtime);
export const lutimes = (path: string, atime: TimeLike, mtime: TimeLike) =>
  fsp.lutimes(fsPath(path), atime, mtime);
export const link = (existing: string, path: string) =>
  fsp.link(fsPath(existing), fsPath(path));
export const copyFile = (from: string, to: string) =>
  fsp.copyFile(fsPath(from), fsPath(to));
export const symlink = (target: string, path: string) =>
  fsp.symlink(fsPath(target), fsPath(path));

/** Link targets are bytes too. */
export async function readlink(path: string): Promise<string> {
  return nameFromBytes(
    await fsp.readlink(fsPath(path), { encoding: 'buffer' })
  );
}

/**
 * Folder entries, each name decoded losslessly: as strings (a Buffer per name costs several times
 * more), read again as bytes only where a name did not decode as UTF-8 (it holds U+FFFD then).
 * Synchronous while the file system answers fast, as lstatAll: on a local disk a promise costs
 * the main thread several times the call itself (bench/engine-choices.js).
 */
export async function readdir(path: string): Promise<string[]> {
  const started = performance.now();
  const names = statInParallel
    ? await fsp.readdir(fsPath(path))
    : readdirSync(fsPath(path));
  if (!statInParallel) {
    noteStatTimes(names.length + 1, performance.now() - started);
  }
  if (!names.some(name => name.includes('\ufffd'))) {
    return names;
  }
  const raw = await fsp.readdir(fsPath(path), { encoding: 'buffer' });
  return raw.map(nameFromBytes);
}

/**
 * Above this average per call (an lstat, or a folder entry listed), a file system is slow (network
 * storage): metadata calls go in parallel.
 */
const SLOW_STAT_MS = 0.2;
let statInParallel = false;
const statTimes = { calls: 0, ms: 0 };

/**
 * The lstat of many paths (a folder's entries), each a Stats or the error it gave. On a local disk
 * synchronous calls cost the main thread a fraction of what promises do (bench/engine-choices.js:
 * 1.5 against 6.5 µs each, times 100,000 files); on a file system where one call takes a network round trip (EFS cold),
 * a slow average switches every later batch to parallel asynchronous calls.
 */
export async function lstatAll(
  paths: string[]
): Promise<Array<Stats | NodeJS.ErrnoException>> {
  if (statInParallel) {
    return Promise.all(
      paths.map(path => lstat(path).catch((err: NodeJS.ErrnoException) => err))
    );
  }
  const started = performance.now();
  const out = paths.map(path => {
    try {
      return lstatSync(fsPath(path));
    } catch (err) {
      return err as NodeJS.ErrnoException;
    }
  });
  noteStatTimes(paths.length, performance.now() - started);
  return out;
}

function noteStatTimes(calls: number, ms: number): void {
  statTimes.calls += calls;
  statTimes.ms += ms;
  // Judged on the run so far, so that one hiccup in a small folder does not decide it.
  if (statTimes.calls >= 64 && statTimes.ms / statTimes.calls > SLOW_STAT_MS) {
    statInParallel = true;
  }
}
