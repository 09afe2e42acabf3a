/** What differs between two snapshots, or between a snapshot and a folder on disk; and every version of a path. */
import { lstat, readdir, readlink } from '../repository/local-fs';
import { join } from 'node:path';
import { NotFoundError } from '../repository/backend';
import { Repository } from '../repository/repository';
import { ISnapshotView, IViewEntry, openView, viewFor, walk } from './view';

export interface IDiffResult {
  added: string[];
  removed: string[];
  changed: string[];
}

type Listing = Map<string, IViewEntry>;

/** Every entry of a snapshot below `path` ('' for all); none when the snapshot has no such path. */
async function listView(view: ISnapshotView, path = ''): Promise<Listing> {
  const out: Listing = new Map();
  try {
    for await (const { rel, entry } of walk(view, path)) {
      out.set(rel, entry);
    }
  } catch (err) {
    if (!(err instanceof NotFoundError)) {
      throw err;
    }
  }
  return out;
}

/**
 * The current state of a folder, described like a snapshot (content compared by size and mtime);
 * with `under`, only that sub-folder (paths stay relative to `root`). What `excluded` names (the
 * backup's excludes: `.conda`, caches, ...) is neither listed nor walked.
 */
export async function listFolder(
  root: string,
  under = '',
  excluded: (rel: string, isDir: boolean) => boolean = () => false
): Promise<Listing> {
  const out: Listing = new Map();
  const add = async (rel: string): Promise<void> => {
    const stat = await lstat(join(root, rel)).catch(() => undefined);
    if (!stat) {
      return;
    }
    const type = stat.isDirectory()
      ? 'dir'
      : stat.isSymbolicLink()
        ? 'symlink'
        : 'file';
    if (rel !== under && excluded(rel, type === 'dir')) {
      return;
    }
    out.set(rel, {
      name: rel.split('/').pop()!,
      type,
      size: type === 'file' ? stat.size : 0,
      mtime: stat.mtimeMs,
      target: type === 'symlink' ? await readlink(join(root, rel)) : undefined,
      contentId: ''
    });
    if (type === 'dir') {
      const names = await readdir(join(root, rel)).catch(() => [] as string[]);
      for (const name of names) {
        await add(rel ? `${rel}/${name}` : name);
      }
    }
  };
  await add(under);
  // The root itself is no entry of a listing; a sub-folder is, as in a snapshot's walk.
  out.delete('');
  return out;
}

const BLOB_LIST = /^[0-9a-f]{64}(,[0-9a-f]{64})*$/;

/** Same content: by blob ids when both sides have them, otherwise by size and modification time. */
export function sameEntry(a: IViewEntry, b: IViewEntry): boolean {
  if (a.type !== b.type) {
    return false;
  }
  if (a.type === 'dir') {
    return true;
  }
  if (a.type === 'symlink') {
    return a.target === b.target;
  }
  if (BLOB_LIST.test(a.contentId) && BLOB_LIST.test(b.contentId)) {
    return a.contentId === b.contentId;
  }
  // Reference copies: the same ETag and size is the same content, whenever it was synced.
  if (a.contentId !== '' && a.contentId === b.contentId) {
    return true;
  }
  return (
    a.size === b.size &&
    a.mtime !== undefined &&
    b.mtime !== undefined &&
    Math.abs(a.mtime - b.mtime) < 1
  );
}

export function diffListings(
  before: Listing,
  after: Listing,
  excluded: (rel: string, isDir: boolean) => boolean = () => false
): IDiffResult {
  const result: IDiffResult = { added: [], removed: [], changed: [] };
  for (const [rel, entry] of after) {
    const old = before.get(rel);
    if (!old) {
      if (!excluded(rel, entry.type === 'dir')) {
        result.added.push(rel);
      }
    } else if (!sameEntry(old, entry)) {
      result.changed.push(rel);
    }
  }
  for (const rel of before.keys()) {
    if (!after.has(rel)) {
      result.removed.push(rel);
    }
  }
  for (const list of Object.values(result)) {
    list.sort();
  }
  return result;
}

/** Two snapshots; with `path`, only what lies below it (a folder's "what changed"). */
export async function diffSnapshots(
  repo: Repository,
  from: string,
  to: string,
  path = ''
): Promise<IDiffResult> {
  return diffListings(
    await listView(await openView(repo, from), path),
    await listView(await openView(repo, to), path)
  );
}

/** Snapshot vs folder, optionally below `path`; paths the backup would leave out are not reported as added. */
export async function diffWithFolder(
  repo: Repository,
  from: string,
  folder: string,
  excluded: (rel: string, isDir: boolean) => boolean,
  path = ''
): Promise<IDiffResult> {
  return diffListings(
    await listView(await openView(repo, from), path),
    await listFolder(folder, path, excluded),
    excluded
  );
}

export interface IVersion {
  snapshot: string;
  shortId: string;
  time: string;
  kind: 'studio-backup' | 'reference';
  type: IViewEntry['type'];
  size: number;
  mtime?: number;
}

/** Every snapshot that holds a different version of one path, newest first. */
export async function findVersions(
  repo: Repository,
  path: string
): Promise<IVersion[]> {
  const versions: IVersion[] = [];
  let newer: IViewEntry | undefined;
  for (const info of await repo.listSnapshots()) {
    const view = await viewFor(repo, info);
    const entry = await view.stat(path);
    if (!entry) {
      continue;
    }
    if (newer && sameEntry(newer, entry)) {
      continue;
    }
    newer = entry;
    versions.push({
      snapshot: info.id,
      shortId: info.shortId,
      time: info.time,
      kind: info.kind,
      type: entry.type,
      size: entry.size,
      mtime: entry.mtime
    });
  }
  return versions;
}
