/** A backup as one pipeline: scan -> read, chunk and deduplicate -> upload packs -> commit manifest. */
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import pLimit from 'p-limit';
import { Lock } from '../repository/lock';
import { isCompressible } from '../repository/format';
import { Repository } from '../repository/repository';
import { SnapshotManifest, SnapshotTotals } from '../repository/snapshots';
import { TreeEntry } from '../repository/trees';
import { VERSION } from '../version';
import { defaultCacheDir, FileCache } from './cache';
import { Chunker } from './chunker';
import { CancelledError, FileResult, saveFile, SMALL_FILE } from './read-file';
import { stampOf } from './read-small';
import { Excludes, IExcludeOptions } from './excludes';
import { batchesOf, FirstRead, READ_AHEAD_FROM, ReadAhead } from './read-ahead';
import {
  eta,
  IProgress,
  ProgressListener,
  throttled
} from '../progress/progress';
import { countSource, DirNode, listDir, rootNode, ScanNode } from './scan';

const LARGE_FILES_AT_ONCE = 2;

export interface IBackupOptions extends IExcludeOptions {
  source: string;
  cacheDir?: string;
  tags?: string[];
  profile?: string;
  space?: string;
  appType?: string;
  concurrency?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export { CancelledError };

export interface IBackupResult {
  snapshotId: string;
  manifest: SnapshotManifest;
  warnings: string[];
}

export async function backup(
  repo: Repository,
  options: IBackupOptions
): Promise<IBackupResult> {
  const started = Date.now();
  const source = resolve(options.source);
  const warnings: string[] = [];
  const warn = (message: string) => warnings.push(message);
  const report = throttled(options.onProgress);
  const progress: IProgress = {
    phase: 'scan',
    filesTotal: 0,
    bytesTotal: 0,
    filesDone: 0,
    bytesDone: 0,
    bytesNew: 0,
    bytesUploaded: 0
  };
  report(progress);

  const lock = await Lock.shared(repo.backend, `backup of ${source}`);
  try {
    await repo.loadIndex();
    const excludes = await Excludes.load(source, options);
    const root = await rootNode(source);
    // The counting pass only serves progress (totals, ETA): without a listener it is skipped.
    const plan = options.onProgress
      ? await countSource(source, root, excludes)
      : undefined;
    const cache = await FileCache.load(
      options.cacheDir ?? defaultCacheDir(),
      repo.config.id,
      source
    );
    const chunker = new Chunker(repo.config.chunker);
    const totals: SnapshotTotals = {
      files: 0,
      dirs: 0,
      bytes: 0,
      filesNew: 0,
      filesChanged: 0,
      filesUnchanged: 0,
      bytesAdded: 0,
      skipped: 0
    };
    Object.assign(progress, {
      phase: 'backup',
      filesTotal: plan?.fileCount ?? 0,
      bytesTotal: plan?.bytes ?? 0
    });
    report(progress);

    const limit = pLimit(options.concurrency ?? 8);
    // Started at the first folder with many small files to read: most backups need no thread.
    let reader: ReadAhead | undefined;
    let readerTried = false;
    const readAheadThread = () => {
      if (!readerTried) {
        readerTried = true;
        reader = ReadAhead.start();
      }
      return reader;
    };
    const largeFiles = pLimit(LARGE_FILES_AT_ONCE);
    const tick = () => {
      progress.bytesUploaded = repo.bytesUploaded;
      progress.etaSeconds = eta(
        started,
        progress.bytesDone,
        progress.bytesTotal
      );
      report(progress);
    };
    type FileNode = Extract<ScanNode, { kind: 'file' }>;
    /** The blobs of a file the cache knows unchanged, if the repository has them all. */
    const unchanged = (node: FileNode) => {
      const cached = cache.lookup(node.rel, stampOf(node.stat));
      return cached?.every(id => repo.hasBlob(id)) ? cached : undefined;
    };
    /** `cached`: what unchanged() gave for it, once, when its folder was listed. */
    const saveOne = async (
      node: FileNode,
      cached: string[] | undefined,
      ahead?: Promise<FirstRead>
    ): Promise<TreeEntry | undefined> => {
      if (options.signal?.aborted) {
        throw new CancelledError();
      }
      const stamp = stampOf(node.stat);
      const base = {
        name: node.name,
        type: 'file' as const,
        mode: node.stat.mode & 0o7777,
        ...(node.stat.nlink > 1
          ? { linkGroup: `${node.stat.dev}:${node.stat.ino}` }
          : {})
      };
      if (cached) {
        cache.rememberUnchanged(node.rel);
        totals.filesUnchanged++;
        totals.files++;
        totals.bytes += node.stat.size;
        progress.filesDone++;
        progress.bytesDone += node.stat.size;
        tick();
        return {
          ...base,
          mtime: node.stat.mtimeMs,
          size: node.stat.size,
          content: cached
        };
      }
      let result: FileResult;
      try {
        const path = join(source, node.rel);
        result = await saveFile(
          {
            repo,
            chunker,
            compressible: isCompressible(path),
            onBytes: (n, added) => {
              progress.bytesDone += n;
              progress.bytesNew += added;
              totals.bytesAdded += added;
              tick();
            },
            signal: options.signal
          },
          path,
          stamp,
          ahead
        );
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          warn(`${node.rel} vanished during the backup: skipped`);
        } else if (code === 'EACCES' || code === 'EPERM') {
          warn(`${node.rel}: permission denied: skipped`);
        } else if (code === 'ELOOP') {
          warn(
            `${node.rel} was replaced by a symbolic link during the backup: skipped`
          );
        } else {
          throw err;
        }
        progress.filesDone++;
        return undefined;
      }
      if (result.changedDuringBackup) {
        warn(
          `${node.rel} kept changing while it was read: stored as last read and marked as changed`
        );
      } else {
        cache.remember(node.rel, result.stamp, result.content);
      }
      if (cache.lookupPath(node.rel)) {
        totals.filesChanged++;
      } else {
        totals.filesNew++;
      }
      totals.files++;
      totals.bytes += result.size;
      progress.filesDone++;
      tick();
      return {
        ...base,
        mtime: result.stamp.mtimeMs,
        size: result.size,
        content: result.content,
        ...(result.changedDuringBackup ? { changedDuringBackup: true } : {})
      };
    };
    // Folder by folder, depth first: a folder is listed, its files saved in parallel, then its
    // tree; nothing of a saved folder stays in memory, so memory follows the widest folder.
    const saveDir = async (dir: DirNode): Promise<string> => {
      totals.dirs++;
      const children = await listDir(source, dir, excludes, warn);
      // The cache is asked once a file; a blob known now stays known for the rest of the backup.
      const cachedOf = new Map<ScanNode, string[] | undefined>();
      for (const child of children) {
        if (child.kind === 'file') {
          cachedOf.set(child, unchanged(child));
        }
      }
      // Small files that have to be read go to the read-ahead thread, batch by batch, where a
      // folder has many; the rest now. A batch's files are queued only once it is sent: every
      // file waiting for a slot can then finish, and give back the room a later batch waits for.
      const small = children.filter(
        (c): c is FileNode =>
          c.kind === 'file' && c.stat.size <= SMALL_FILE && !cachedOf.get(c)
      );
      const thread =
        small.length >= READ_AHEAD_FROM ? readAheadThread() : undefined;
      const readAhead = new Set<ScanNode>(thread ? small : []);
      const saving = children.map(
        async (child): Promise<TreeEntry | undefined> => {
          const meta = {
            name: child.name,
            mode: child.stat.mode & 0o7777,
            mtime: child.stat.mtimeMs
          };
          if (child.kind === 'file') {
            // A large file holds a read buffer of up to the largest chunk: only a few at once.
            const slots = child.stat.size > SMALL_FILE ? largeFiles : limit;
            return readAhead.has(child)
              ? undefined
              : slots(() => saveOne(child, cachedOf.get(child)));
          }
          if (child.kind === 'symlink') {
            return { ...meta, type: 'symlink', target: child.target };
          }
          return undefined;
        }
      );
      // Failures are awaited below; meanwhile (a batch waiting for room) they are not unhandled.
      saving.forEach(p => p.catch(() => undefined));
      const ahead = new Map<ScanNode, Promise<TreeEntry | undefined>>();
      if (thread) {
        for (const batch of batchesOf(small, f => f.stat.size)) {
          const sent = await thread.send({
            paths: batch.map(f => join(source, f.rel)),
            sizes: batch.map(f => f.stat.size)
          });
          const saves = batch.map((file, i) =>
            limit(() => saveOne(file, undefined, sent.read(i)))
          );
          saves.forEach((p, i) => {
            p.catch(() => undefined);
            ahead.set(batch[i], p);
          });
          void Promise.allSettled(saves).then(sent.done);
        }
      }
      const items = await Promise.all(
        children.map((child, i) => ahead.get(child) ?? saving[i])
      );
      // A few sibling folders at a time (each lists its own entries only while it is saved).
      const folders = pLimit(4);
      await Promise.all(
        children.map((child, i) =>
          child.kind === 'dir'
            ? folders(async () => {
                items[i] = {
                  name: child.name,
                  mode: child.stat.mode & 0o7777,
                  mtime: child.stat.mtimeMs,
                  type: 'dir',
                  subtree: await saveDir(child)
                };
              })
            : undefined
        )
      );
      return repo.saveTree({
        entries: items.filter((e): e is TreeEntry => e !== undefined)
      });
    };
    const tree = await saveDir(root).finally(() => reader?.close());
    progress.phase = 'commit';
    report(progress);
    await repo.flush();
    totals.skipped = warnings.filter(w => w.endsWith(': skipped')).length;
    const manifest: SnapshotManifest = {
      version: 1,
      time: new Date(started).toISOString(),
      host: hostname(),
      source,
      ...(options.profile ? { profile: options.profile } : {}),
      ...(options.space ? { space: options.space } : {}),
      ...(options.appType ? { appType: options.appType } : {}),
      tags: options.tags ?? [],
      tree,
      totals,
      program: `studio-backup ${VERSION}`,
      durationMs: Date.now() - started
    };
    await lock.confirmHeld(
      () => repo.stillListsWhatItReadAndWrote(),
      'This backup'
    );
    const snapshotId = await repo.saveSnapshot(manifest);
    await cache.save();
    progress.phase = 'done';
    progress.bytesUploaded = repo.bytesUploaded;
    report(progress);
    return { snapshotId, manifest, warnings };
  } finally {
    await lock.release().catch(() => undefined);
  }
}
