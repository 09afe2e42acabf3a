/**
 * Garbage collection under the exclusive lock: keeps every blob that a snapshot references,
 * repacks mostly-unused packs, and deletes only packs older than the grace period.
 *
 * Prune never guesses. Before it deletes anything it must have read every index file, every
 * snapshot manifest and every tree of every snapshot, and found every blob in use in an index and
 * in a pack that exists. Any failure stops it with nothing deleted.
 */
import {
  fromIndexRows,
  IndexFile,
  IPackedBlob,
  toIndexRows
} from '../repository/blobs';
import pLimit from 'p-limit';
import { decodeBlob, packJson, packKey, sha256 } from '../repository/format';
import { Lock } from '../repository/lock';
import { Repository } from '../repository/repository';
import { walkSnapshots } from './walk';

export interface IPruneOptions {
  /** Packs younger than this are never deleted (a running backup's uploads may be about to be indexed). */
  graceMs?: number;
  /** Repack a pack when at least this fraction of its bytes is unused. */
  repackThreshold?: number;
  dryRun?: boolean;
  log?: (line: string) => void;
}

export interface IPrunePack {
  id: string;
  size: number;
  action: 'delete' | 'repack';
  /** Bytes of the pack still in use (written to a new pack when repacked). */
  usedBytes: number;
}

export interface IPruneResult {
  packsDeleted: number;
  packsRepacked: number;
  bytesFreed: number;
  blobsKept: number;
  blobsRemoved: number;
  /** What is (or, with dryRun, would be) deleted or repacked. */
  packs: IPrunePack[];
}

export const DEFAULT_GRACE_MS = 60 * 60 * 1000;

export class PruneStoppedError extends Error {
  constructor(reason: string) {
    super(`Prune stopped before deleting anything: ${reason}`);
  }
}

/** What one pack holds according to the index files, and which of it is still needed. */
interface IPackUse {
  blobs: IPackedBlob[];
  keep: IPackedBlob[];
  usedBytes: number;
  totalBytes: number;
}

async function stopOnError<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof PruneStoppedError) {
      throw err;
    }
    throw new PruneStoppedError(`${what}: ${(err as Error).message}`);
  }
}

/**
 * A prune paused for longer than its lock lasts may have been taken for dead: a backup may have
 * started, or another prune run, on what this one read before. It deletes nothing more.
 */
function stopIfLapsed(lock: Lock): void {
  if (!lock.heldThroughout()) {
    throw new PruneStoppedError(
      `prune was paused for ${lock.minutesUnrefreshed()} minutes, longer than its lock lasts, and stopped before deleting anything more: run it again.`
    );
  }
}

export async function prune(
  repo: Repository,
  options: IPruneOptions = {}
): Promise<IPruneResult> {
  const log = options.log ?? (() => undefined);
  const grace = options.graceMs ?? DEFAULT_GRACE_MS;
  const lock = await Lock.exclusive(repo.backend, 'prune', log);
  try {
    const { indexKeys, uses, used, stored } = await stopOnError(
      'the repository could not be read whole',
      () => findUsedBlobs(repo)
    );
    const old = (pack: string) =>
      Date.now() - stored.get(pack)!.lastModified.getTime() >= grace;
    const threshold = options.repackThreshold ?? 0.3;

    const plan: IPrunePack[] = [];
    const keptPacks: IndexFile['packs'] = [];
    for (const [pack, use] of uses) {
      if (!stored.has(pack)) {
        continue; // indexed but gone, and nothing in use there (checked above): drop it from the index
      }
      const size = stored.get(pack)!.size;
      if (use.keep.length === 0 && old(pack)) {
        plan.push({ id: pack, size, action: 'delete', usedBytes: 0 });
      } else if (
        use.keep.length > 0 &&
        use.totalBytes - use.usedBytes >= threshold * use.totalBytes &&
        old(pack)
      ) {
        plan.push({
          id: pack,
          size,
          action: 'repack',
          usedBytes: use.usedBytes
        });
      } else {
        // Every blob stays listed, used or not, so that a later prune still sees what it can free.
        keptPacks.push({ id: pack, blobs: toIndexRows(use.blobs) });
      }
    }
    // Packs in no index: the uploads of a backup that died, deleted once past the grace period.
    for (const [pack, info] of stored) {
      if (!uses.has(pack) && old(pack)) {
        plan.push({
          id: pack,
          size: info.size,
          action: 'delete',
          usedBytes: 0
        });
      }
    }
    const result: IPruneResult = {
      packsDeleted: plan.length,
      packsRepacked: plan.filter(p => p.action === 'repack').length,
      bytesFreed: plan.reduce((n, p) => n + p.size - p.usedBytes, 0),
      blobsKept: used.size,
      blobsRemoved: [...repo.index.entries()].filter(([id]) => !used.has(id))
        .length,
      packs: plan
    };
    if (options.dryRun || plan.length === 0) {
      return result;
    }

    // 1. Rewrite the used blobs of the repacked packs into new packs (indexed by their own file).
    const fresh = await Repository.open(repo.backend);
    for (const pack of plan.filter(p => p.action === 'repack')) {
      const bytes = await repo.backend.get(packKey(pack.id));
      for (const blob of uses.get(pack.id)!.keep) {
        const data = decodeBlob(
          bytes.subarray(blob.offset, blob.offset + blob.length),
          blob.encoding
        );
        if (sha256(data) !== blob.id) {
          throw new PruneStoppedError(
            `blob ${blob.id.slice(0, 12)} in pack ${pack.id.slice(0, 12)} is corrupted: run "studio-backup check --read-data".`
          );
        }
        await fresh.saveBlob(blob.type, data, true, blob.id);
      }
    }
    await fresh.flush();
    // 2. One new index with every pack that stays, then 3. drop the old indexes, then 4. the packs.
    const merged: IndexFile = { version: 1, packs: keptPacks };
    const bytes = packJson(merged);
    const newIndex = `index/${sha256(bytes)}`;
    await repo.putOnce(newIndex, bytes);
    // An index file named by its content can be one this run just wrote again (same packs, same
    // bytes, same key): that one stays.
    for (const key of indexKeys) {
      if (key !== newIndex && !fresh.indexesWritten.has(key)) {
        stopIfLapsed(lock);
        await repo.backend.delete(key);
      }
    }
    await repo.backend.removeStaleTemporaries?.(grace);
    for (const pack of plan) {
      // A repack can write a pack byte for byte equal to one it planned to delete (a prune that
      // stopped after its repack, run again): that pack is now the home of live blobs.
      if (!fresh.packsWritten.has(pack.id)) {
        stopIfLapsed(lock);
        await repo.backend.delete(packKey(pack.id));
      }
    }
    log(
      `prune: ${result.packsDeleted} packs deleted (${result.packsRepacked} repacked), ${result.blobsRemoved} unused blobs dropped`
    );
    return result;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/** The first of a blob's copies whose bytes hash to its id (a read that fails counts as not). */
async function firstIntact<T extends { blob: IPackedBlob; pack: string }>(
  repo: Repository,
  copies: T[]
): Promise<T | undefined> {
  for (const copy of copies) {
    const { blob } = copy;
    const bytes = await repo.backend
      .getRange(packKey(copy.pack), blob.offset, blob.length)
      .catch(() => undefined);
    try {
      if (bytes && sha256(decodeBlob(bytes, blob.encoding)) === blob.id) {
        return copy;
      }
    } catch {
      // Not a blob at all there: the next copy.
    }
  }
  return undefined;
}

/**
 * Reads everything prune's decision rests on; throws on any gap. A blob in several packs is kept in
 * the newest one that exists; its other copies count as unused.
 */
async function findUsedBlobs(repo: Repository) {
  const indexKeys: string[] = [];
  const uses = new Map<string, IPackUse>();
  for await (const item of repo.backend.list('index/')) {
    indexKeys.push(item.key);
    const file = await repo.readIndexFile(item.key);
    repo.index.add(file);
    for (const pack of file.packs) {
      const use = uses.get(pack.id) ?? {
        blobs: [],
        keep: [],
        usedBytes: 0,
        totalBytes: 0
      };
      const known = new Set(use.blobs.map(b => b.id));
      for (const blob of fromIndexRows(pack.blobs)) {
        if (!known.has(blob.id)) {
          use.blobs.push(blob);
          use.totalBytes += blob.length;
        }
      }
      uses.set(pack.id, use);
    }
  }
  const stored = new Map<string, { size: number; lastModified: Date }>();
  for await (const item of repo.backend.list('data/')) {
    stored.set(item.key.slice(item.key.lastIndexOf('/') + 1), {
      size: item.size,
      lastModified: item.lastModified
    });
  }
  const snapshots: Array<{ id: string; tree: string }> = [];
  for (const id of await repo.snapshotIds()) {
    const manifest = await stopOnError(
      `snapshot ${id.slice(0, 8)} cannot be read (run "studio-backup repair snapshots" to remove a damaged one)`,
      () => repo.loadSnapshot(id)
    );
    snapshots.push({ id, tree: manifest.tree });
  }
  const used = new Set<string>();
  const repairHint = (count: number, first: string) =>
    new PruneStoppedError(
      `${count} blobs in use are in no index (first: ${first.slice(0, 12)}): run "studio-backup repair index", then prune again.`
    );
  await stopOnError('a folder of a snapshot cannot be read', async () => {
    try {
      await walkSnapshots(repo, snapshots, blob => used.add(blob));
    } catch (err) {
      const unindexed = [...used].filter(id => !repo.index.has(id));
      throw unindexed.length > 0
        ? repairHint(unindexed.length, unindexed[0])
        : err;
    }
  });

  // A blob in several packs lives on in the newest copy that holds its bytes. A prune stopped after
  // its repack leaves the kept blobs in both the old packs and the new: the new ones then stay
  // whole and the old ones go, so the next prune finishes the work instead of repacking again.
  // The copy kept is read and hashed first, because the others are what prune deletes and an index
  // file is only a claim: a session that may append could name a pack of junk in one.
  const newestFirst = [...uses]
    .filter(([pack]) => stored.has(pack))
    .sort(
      ([a], [b]) =>
        stored.get(b)!.lastModified.getTime() -
          stored.get(a)!.lastModified.getTime() || (a < b ? -1 : a > b ? 1 : 0)
    );
  const copies = new Map<
    string,
    Array<{ use: IPackUse; blob: IPackedBlob; pack: string }>
  >();
  for (const [pack, use] of newestFirst) {
    for (const blob of use.blobs) {
      if (used.has(blob.id)) {
        const list = copies.get(blob.id) ?? [];
        list.push({ use, blob, pack });
        copies.set(blob.id, list);
      }
    }
  }
  const home = new Map<string, string>();
  const limit = pLimit(8);
  await Promise.all(
    [...copies].map(([id, list]) =>
      limit(async () => {
        let kept = list[0];
        if (list.length > 1) {
          const intact = await firstIntact(repo, list);
          if (!intact) {
            throw new PruneStoppedError(
              `blob ${id.slice(0, 12)} is listed in ${list.length} packs and none holds its bytes: run "studio-backup check --read-data".`
            );
          }
          kept = intact;
        }
        home.set(id, kept.pack);
        kept.use.keep.push(kept.blob);
        kept.use.usedBytes += kept.blob.length;
      })
    )
  );
  // A repack writes a pack's kept blobs in the order they lie in it.
  for (const use of uses.values()) {
    use.keep.sort((a, b) => a.offset - b.offset);
  }
  const unindexed = [...used].filter(id => !repo.index.has(id));
  if (unindexed.length > 0) {
    throw repairHint(unindexed.length, unindexed[0]);
  }
  const lost = [...used].filter(id => !home.has(id));
  if (lost.length > 0) {
    throw new PruneStoppedError(
      `${lost.length} blobs in use are in packs that are missing (first: ${lost[0].slice(0, 12)}): run "studio-backup check" to see which snapshots they break.`
    );
  }
  return { indexKeys, uses, used, stored };
}
