/** A restore as one pipeline: read the snapshot's entries -> verify paths -> plan -> write (temp file + rename). */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import {
  chmod,
  lstat,
  copyFile,
  link,
  lutimes,
  mkdir,
  open,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  utimes
} from '../repository/local-fs';
import { dirname, extname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import { NotFoundError, StorageError } from '../repository/backend';
import { sha256 } from '../repository/format';
import { bytesOfName, fsPath } from '../repository/byte-names';

/** The longest name (in bytes) Linux file systems take. */
const NAME_MAX = 255;
import {
  eta,
  IProgress,
  ProgressListener,
  throttled
} from '../progress/progress';
import { ISnapshotView, IViewEntry, walk } from '../browse/view';
import { writePackedFiles } from './pack-writer';
import { normaliseRelative, UnsafePathError } from '../browse/names';
import { checkNoSymlinkBetween, isInside, resolvesInside } from './paths';
import { removeStaleTemps, tempPathIn } from './temp-files';
import { fsTime } from './file-times';
import { judgeSmallFileWrites } from './small-file';

export type ConflictMode = 'skip' | 'overwrite' | 'rename';

export interface IRestoreOptions {
  paths: string[];
  target: string;
  /**
   * The folder the target lies in that the restore may trust (the home, for a restore into
   * restored-files/): no folder from here down to what is written may be a symlink. Default: target.
   */
  root?: string;
  conflict: ConflictMode;
  /** Restore setuid/setgid bits as stored (off: they are dropped). */
  keepSetid?: boolean;
  /** Read back every file written and compare it with the snapshot (restic's --verify). */
  verify?: boolean;
  dryRun?: boolean;
  /** Recreate symlinks whose target lies outside the restore target (off: they are skipped and reported). */
  allowExternalSymlinks?: boolean;
  onProgress?: ProgressListener;
  concurrency?: number;
  /** Threads that decode and write (0: none); by default two for a large restore (pack-writer.ts). */
  writers?: number;
}

export type RestoreAction =
  'restore' | 'overwrite' | 'skip' | 'rename' | 'unchanged';

export interface IPlannedItem {
  rel: string;
  entry: IViewEntry;
  action: RestoreAction;
  /** Where it is written (differs from rel for "rename"). */
  dest: string;
}

export interface IRestoreResult {
  items: IPlannedItem[];
  counts: Record<RestoreAction, number>;
  bytes: number;
  warnings: string[];
  /** Files left out because their content is damaged or could not be read (the file in place is untouched). */
  damaged: string[];
  /** With verify: how many files were read back, and those that differ from the snapshot. */
  verified?: { files: number; mismatches: string[] };
}

/** Ranged reads in flight while restoring from our packs (each at most MAX_SPAN bytes of pack-writer). */
const RANGED_READS = 16;

export class NotInSnapshotError extends Error {}

function renamed(rel: string, when: Date): string {
  const stamp = when
    .toISOString()
    .slice(0, 19)
    .replace('T', ' ')
    .replace(/:/g, '-');
  const ext = extname(rel);
  const stem = ext ? rel.slice(0, -ext.length) : rel;
  return `${stem} (restored ${stamp})${ext}`;
}

async function existing(path: string) {
  return lstat(path).catch(() => undefined);
}

export async function planRestore(
  view: ISnapshotView,
  options: IRestoreOptions
): Promise<IRestoreResult> {
  const target = resolve(options.target);
  const warnings: string[] = [];
  const damaged: string[] = [];
  const tooLong: string[] = [];
  const items: IPlannedItem[] = [];
  const seen = new Set<string>();
  const absent = new Set<string>();
  const when = new Date(view.info.time);
  const paths =
    options.paths.length > 0 ? options.paths.map(normaliseRelative) : [''];
  if (options.paths.length === 0) {
    // The whole snapshot: its folders' trees in a few whole-pack reads, not one request each.
    await view.repository?.preloadTreePacks();
  }
  for (const path of paths) {
    try {
      const onDamaged = (rel: string, err: Error) => {
        damaged.push(rel || '/');
        warnings.push(
          `${rel || '/'} was not restored: its folder listing cannot be read (${err.message})`
        );
      };
      for await (const { rel, entry } of walk(view, path, onDamaged)) {
        if (seen.has(rel)) {
          continue;
        }
        seen.add(rel);
        const name = rel.slice(rel.lastIndexOf('/') + 1);
        if (bytesOfName(name).length > NAME_MAX) {
          tooLong.push(rel);
          warnings.push(
            `${rel} was not restored: its name is longer than ${NAME_MAX} bytes, the most a Linux file system takes`
          );
          continue;
        }
        if (tooLong.some(t => rel.startsWith(`${t}/`))) {
          continue;
        }
        const dest = join(target, ...rel.split('/'));
        if (!isInside(target, dest)) {
          throw new UnsafePathError(
            `Refusing to restore ${rel}: it would land outside ${target}; nothing was written.`
          );
        }
        // Below a folder that is not there, nothing is: no lstat for each file of a new folder.
        const parentRel = rel.includes('/')
          ? rel.slice(0, rel.lastIndexOf('/'))
          : '';
        const current = absent.has(parentRel)
          ? undefined
          : await existing(dest);
        if (!current && entry.type === 'dir') {
          absent.add(rel);
        }
        let action: RestoreAction = 'restore';
        if (entry.type === 'dir') {
          action = current?.isDirectory()
            ? 'unchanged'
            : current
              ? options.conflict
              : 'restore';
        } else if (current) {
          const same =
            entry.type === 'file' &&
            current.isFile() &&
            current.size === entry.size &&
            entry.mtime !== undefined &&
            Math.abs(current.mtimeMs - entry.mtime) < 1;
          action = same
            ? 'unchanged'
            : options.conflict === 'skip'
              ? 'skip'
              : options.conflict;
        }
        items.push({
          rel,
          entry,
          action,
          dest: action === 'rename' ? renamed(rel, when) : rel
        });
      }
    } catch (err) {
      if (err instanceof NotFoundError) {
        throw new NotInSnapshotError(
          `${path || '/'} is not in snapshot ${view.info.shortId}: check the path with "studio-backup ls".`
        );
      }
      throw err;
    }
  }
  // A folder whose listing cannot be read is not created: it is named, not restored empty.
  const unreadable = new Set(damaged);
  items.splice(0, items.length, ...items.filter(i => !unreadable.has(i.rel)));
  if (!options.allowExternalSymlinks) {
    await dropExternalLinks(target, items, warnings);
  }
  const counts: Record<RestoreAction, number> = {
    restore: 0,
    overwrite: 0,
    skip: 0,
    rename: 0,
    unchanged: 0
  };
  let bytes = 0;
  for (const item of items) {
    if (item.entry.type !== 'dir') {
      counts[item.action]++;
      if (item.action !== 'skip' && item.action !== 'unchanged') {
        bytes += item.entry.size;
      }
    }
  }
  for (const problem of view.repository?.indexProblems ?? []) {
    warnings.push(problem);
  }
  return { items, counts, bytes, warnings, damaged };
}

/**
 * Files that were hard links of one another when backed up (same link group): the first is
 * written, the others become links to it. A group with one member here is a plain file.
 */
function linkGroups(files: IPlannedItem[]): {
  primary: IPlannedItem[];
  links: Array<[IPlannedItem, IPlannedItem]>;
} {
  const first = new Map<string, IPlannedItem>();
  const primary: IPlannedItem[] = [];
  const links: Array<[IPlannedItem, IPlannedItem]> = [];
  for (const item of files) {
    const group = item.entry.linkGroup;
    const leader = group === undefined ? undefined : first.get(group);
    if (leader && leader.entry.contentId === item.entry.contentId) {
      links.push([item, leader]);
      continue;
    }
    if (group !== undefined && !leader) {
      first.set(group, item);
    }
    primary.push(item);
  }
  return { primary, links };
}

/** Leaves out the links that really lead outside the target, following the links the restore makes. */
async function dropExternalLinks(
  target: string,
  items: IPlannedItem[],
  warnings: string[]
): Promise<void> {
  const planned = new Map(
    items
      .filter(i => i.entry.type === 'symlink')
      .map(i => [join(target, ...i.rel.split('/')), i.entry.target ?? ''])
  );
  const linkAt = async (path: string) => {
    if (planned.has(path)) {
      return planned.get(path);
    }
    const found = await lstat(path).catch(() => undefined);
    return found?.isSymbolicLink() ? readlink(path) : undefined;
  };
  const external = new Set<IPlannedItem>();
  for (const item of items.filter(i => i.entry.type === 'symlink')) {
    const link = join(target, ...item.rel.split('/'));
    if (
      !(await resolvesInside(target, link, item.entry.target ?? '', linkAt))
    ) {
      external.add(item);
      warnings.push(
        `${item.rel} is a symbolic link to ${item.entry.target}, outside the restore target: skipped`
      );
    }
  }
  const kept = items.filter(i => !external.has(i));
  items.splice(0, items.length, ...kept);
}

function modeOf(entry: IViewEntry, fallback: number, keepSetid?: boolean) {
  return (entry.mode ?? fallback) & (keepSetid ? 0o7777 : 0o1777);
}

async function writeFile(
  view: ISnapshotView,
  item: IPlannedItem,
  path: string,
  mode: number,
  onBytes: (n: number) => void
): Promise<void> {
  const tmp = tempPathIn(dirname(path));
  try {
    const source = await view.read(item.rel, item.entry);
    source.on('data', (chunk: Buffer) => onBytes(chunk.length));
    await pipeline(
      source,
      createWriteStream(fsPath(tmp), { flags: 'wx', mode: 0o600 })
    );
    const written = (await stat(tmp)).size;
    if (written !== item.entry.size) {
      throw Object.assign(
        new Error(
          `${item.rel}: ${written} of ${item.entry.size} bytes written`
        ),
        { code: 'ENOSPC' }
      );
    }
    await chmod(tmp, mode);
    if (item.entry.mtime !== undefined) {
      // Seconds as a number keep the sub-millisecond part that a Date would drop.
      await utimes(tmp, fsTime(item.entry.mtime), fsTime(item.entry.mtime));
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new StorageError(
        `No space left on the device while restoring ${item.rel}: free some space and retry; no file was left half-written.`,
        'no-space'
      );
    }
    throw err;
  }
}

/**
 * Makes the plan's folders, parents before children (a level at a time, the folders of a level in
 * parallel), replacing what `overwrite` replaces. Returns each folder made: 'new' when it was not
 * there before this restore, 'there' otherwise.
 */
async function makeFolders(
  target: string,
  dirs: IPlannedItem[]
): Promise<Map<string, 'new' | 'there'>> {
  const made = new Map<string, 'new' | 'there'>();
  const levels = new Map<number, IPlannedItem[]>();
  for (const item of dirs) {
    const depth = item.dest.split('/').length;
    const level = levels.get(depth) ?? [];
    level.push(item);
    levels.set(depth, level);
  }
  const limit = pLimit(16);
  for (const depth of [...levels.keys()].sort((a, b) => a - b)) {
    await Promise.all(
      levels.get(depth)!.map(item =>
        limit(async () => {
          const path = join(target, ...item.dest.split('/'));
          if (item.action === 'overwrite') {
            const current = await existing(path);
            if (current && !current.isDirectory()) {
              await rm(path, { force: true });
            }
          }
          await mkdir(path, { recursive: true });
          // 'restore': not there when planned (planRestore); 'overwrite': what was there is gone.
          made.set(
            path,
            item.action === 'restore' || item.action === 'overwrite'
              ? 'new'
              : 'there'
          );
        })
      )
    );
  }
  return made;
}

/** Plans, then writes unless dry-run. Every file goes to a temporary name first and is renamed into place. */
export async function restore(
  view: ISnapshotView,
  options: IRestoreOptions
): Promise<IRestoreResult> {
  const plan = await planRestore(view, options);
  if (options.dryRun) {
    return plan;
  }
  const target = resolve(options.target);
  const root = resolve(options.root ?? options.target);
  if (!isInside(root, target)) {
    throw new UnsafePathError(
      `The restore target ${target} is not inside ${root}.`
    );
  }
  const started = Date.now();
  const report = throttled(options.onProgress);
  const toWrite = plan.items.filter(
    i => i.action !== 'skip' && i.action !== 'unchanged'
  );
  const progress: IProgress = {
    phase: 'restore',
    filesTotal: toWrite.filter(i => i.entry.type !== 'dir').length,
    bytesTotal: plan.bytes,
    filesDone: 0,
    bytesDone: 0,
    bytesNew: 0,
    bytesUploaded: 0
  };
  report(progress);
  // Judged before anything is created: mkdir would follow a planted link.
  await checkNoSymlinkBetween(root, target, 'into it');
  // Once per folder, not once per file: the files of a folder share its ancestors (and each
  // ancestor is looked at once).
  const checked = new Set<string>();
  const known = new Map<string, boolean>();
  for (const item of toWrite) {
    const folder = dirname(join(target, ...item.dest.split('/')));
    if (!checked.has(folder)) {
      checked.add(folder);
      await checkNoSymlinkBetween(target, folder, item.rel, known);
    }
  }
  await mkdir(target, { recursive: true });
  const made = await makeFolders(
    target,
    plan.items.filter(i => i.entry.type === 'dir' && i.action !== 'skip')
  );
  const files = toWrite.filter(i => i.entry.type !== 'dir');
  const onBytes = (n: number) => {
    progress.bytesDone += n;
    progress.etaSeconds = eta(started, progress.bytesDone, progress.bytesTotal);
    report(progress);
  };
  for (const item of files.filter(i => i.action === 'overwrite')) {
    const path = join(target, ...item.dest.split('/'));
    if (
      item.entry.type === 'symlink' ||
      (await existing(path))?.isDirectory()
    ) {
      await rm(path, { recursive: true, force: true });
    }
  }
  const { primary: regular, links } = linkGroups(
    files.filter(i => i.entry.type === 'file')
  );
  // A path restored on its own may sit in folders the plan did not create.
  const parents = new Set(
    files.map(i => dirname(join(target, ...i.dest.split('/'))))
  );
  const folders = pLimit(16);
  await Promise.all(
    [...parents]
      .filter(parent => !made.has(parent))
      .map(parent => folders(() => mkdir(parent, { recursive: true })))
  );
  // A folder this restore made holds nothing a killed one left.
  await removeStaleTemps(
    [...parents].filter(parent => made.get(parent) !== 'new')
  );
  if (view.repository) {
    // Our snapshots: blobs fetched pack by pack, in few large reads.
    judgeSmallFileWrites(target);
    const damaged = await writePackedFiles(
      view.repository,
      regular.map(item => ({
        rel: item.rel,
        path: join(target, ...item.dest.split('/')),
        blobs:
          item.entry.contentId === '' ? [] : item.entry.contentId.split(','),
        size: item.entry.size,
        mode: modeOf(item.entry, 0o644, options.keepSetid),
        mtime: item.entry.mtime
      })),
      onBytes,
      options.concurrency ?? RANGED_READS,
      { writers: options.writers }
    );
    for (const [rel, why] of damaged) {
      plan.damaged.push(rel);
      plan.warnings.push(`${rel} was not restored: ${why}`);
    }
    progress.filesDone += regular.length - damaged.size;
  } else {
    const limit = pLimit(options.concurrency ?? 8);
    await Promise.all(
      regular.map(item =>
        limit(async () => {
          await writeFile(
            view,
            item,
            join(target, ...item.dest.split('/')),
            modeOf(item.entry, 0o644, options.keepSetid),
            onBytes
          );
          progress.filesDone++;
          report(progress);
        })
      )
    );
  }
  // Hard links: the other names of a file written above, each made atomically (temp + rename).
  for (const [item, first] of links) {
    if (plan.damaged.includes(first.rel)) {
      plan.damaged.push(item.rel);
      plan.warnings.push(
        `${item.rel} was not restored: it is a hard link of ${first.rel}, which is damaged`
      );
      continue;
    }
    const path = join(target, ...item.dest.split('/'));
    const tmp = tempPathIn(dirname(path));
    await link(join(target, ...first.dest.split('/')), tmp).catch(() =>
      copyFile(join(target, ...first.dest.split('/')), tmp)
    );
    await rename(tmp, path);
    progress.filesDone++;
  }
  // Links last: no file of this restore is ever written through a link it made.
  for (const item of files.filter(i => i.entry.type === 'symlink')) {
    const path = join(target, ...item.dest.split('/'));
    await symlink(item.entry.target ?? '', path);
    if (item.entry.mtime !== undefined) {
      const t = fsTime(item.entry.mtime);
      await lutimes(path, t, t).catch(() => undefined);
    }
    progress.filesDone++;
  }
  // Folder times last, deepest first, since writing into a folder changes its mtime.
  const dirs = plan.items.filter(
    i =>
      i.entry.type === 'dir' &&
      i.action !== 'skip' &&
      i.entry.mtime !== undefined
  );
  for (const item of dirs.reverse()) {
    const path = join(target, ...item.dest.split('/'));
    const t = fsTime(item.entry.mtime!);
    await chmod(path, modeOf(item.entry, 0o755, options.keepSetid)).catch(
      () => undefined
    );
    await utimes(path, t, t).catch(() => undefined);
  }
  if (options.verify) {
    const written = regular.filter(i => !plan.damaged.includes(i.rel));
    plan.verified = { files: written.length, mismatches: [] };
    for (const item of written) {
      const path = join(target, ...item.dest.split('/'));
      if (!(await sameContent(view, item, path))) {
        plan.verified.mismatches.push(item.rel);
        plan.warnings.push(
          `${item.rel} does not match the snapshot after the restore`
        );
      }
    }
  }
  progress.phase = 'done';
  report(progress);
  return plan;
}

/** Hashes the restored file and the snapshot's content, piece by piece (never the whole file in memory). */
async function sameContent(
  view: ISnapshotView,
  item: IPlannedItem,
  path: string
): Promise<boolean> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) {
    return false;
  }
  try {
    if ((await handle.stat()).size !== item.entry.size) {
      return false;
    }
    if (view.repository) {
      const repo = view.repository;
      let offset = 0;
      for (const id of item.entry.contentId === ''
        ? []
        : item.entry.contentId.split(',')) {
        const length = repo.index.get(id)?.rawLength ?? -1;
        const piece = Buffer.alloc(Math.max(length, 0));
        const { bytesRead } = await handle.read(piece, 0, piece.length, offset);
        if (length < 0 || bytesRead !== length || sha256(piece) !== id) {
          return false;
        }
        offset += length;
      }
      return offset === item.entry.size;
    }
    const [mine, theirs] = [createHash('sha256'), createHash('sha256')];
    for await (const chunk of handle.createReadStream({ autoClose: false })) {
      mine.update(chunk as Buffer);
    }
    for await (const chunk of await view.read(item.rel, item.entry)) {
      theirs.update(chunk as Buffer);
    }
    return mine.digest('hex') === theirs.digest('hex');
  } finally {
    await handle.close();
  }
}
