/**
 * The file-system calls of backup and restore, taking the engine's path strings (see byte-names.ts):
 * a path with a name that is not UTF-8 reaches the file system as its exact bytes.
 */
import { MakeDirectoryOptions, RmOptions, TimeLike } from 'node:fs';
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

/** Folder entries, each name decoded losslessly. */
export async function readdir(path: string): Promise<string[]> {
  const names = await fsp.readdir(fsPath(path), { encoding: 'buffer' });
  return names.map(nameFromBytes);
}
