/**
 * Garbage collection under the exclusive lock: keeps every blob that a snapshot references,
 * repacks mostly-unused packs, and deletes only packs older than the grace period.
 */
import { IndexFile, IPackedBlob, toIndexRows } from '../repository/blobs';
import { decodeBlob, packJson, packKey, sha256 } from '../repository/format';
import { Lock } from '../repository/lock';
import { Repository } from '../repository/repository';
import { walkSnapshots } from './walk';

export interface IPruneOptions {
  /** Packs younger than this are never deleted (a crashed backup's uploads may be about to be indexed). */
  graceMs?: number;
  /** Repack a pack when at least this fraction of its bytes is unused. */
  repackThreshold?: number;
  dryRun?: boolean;
  log?: (line: string) => void;
}

export interface IPruneResult {
  packsDeleted: number;
  packsRepacked: number;
  bytesFreed: number;
  blobsKept: number;
  blobsRemoved: number;
}

export const DEFAULT_GRACE_MS = 60 * 60 * 1000;

export async function prune(
  repo: Repository,
  options: IPruneOptions = {}
): Promise<IPruneResult> {
  const log = options.log ?? (() => undefined);
  const grace = options.graceMs ?? DEFAULT_GRACE_MS;
  const lock = await Lock.exclusive(repo.backend, 'prune', log);
  try {
    const indexKeys: string[] = [];
    for await (const item of repo.backend.list('index/')) {
      indexKeys.push(item.key);
      repo.index.add(await repo.readIndexFile(item.key));
    }
    const snapshots = [];
    for (const id of await repo.snapshotIds()) {
      snapshots.push({ id, tree: (await repo.loadSnapshot(id)).tree });
    }
    const used = new Set<string>();
    await walkSnapshots(repo, snapshots, blob => used.add(blob));

    const packs = new Map<string, { size: number; lastModified: Date }>();
    for await (const item of repo.backend.list('data/')) {
      packs.set(item.key.slice(item.key.lastIndexOf('/') + 1), {
        size: item.size,
        lastModified: item.lastModified
      });
    }
    const old = (pack: string) => {
      const info = packs.get(pack);
      return (
        info !== undefined && Date.now() - info.lastModified.getTime() >= grace
      );
    };

    // Per pack: which indexed blobs are still used.
    const content = new Map<
      string,
      { keep: IPackedBlob[]; dropBytes: number; totalBytes: number }
    >();
    for (const [id, loc] of repo.index.entries()) {
      const entry = content.get(loc.pack) ?? {
        keep: [],
        dropBytes: 0,
        totalBytes: 0
      };
      entry.totalBytes += loc.length;
      if (used.has(id)) {
        entry.keep.push({ id, ...loc });
      } else {
        entry.dropBytes += loc.length;
      }
      content.set(loc.pack, entry);
    }

    const toDelete = new Set<string>();
    const toRepack: string[] = [];
    const keptPacks: IndexFile['packs'] = [];
    for (const [pack, c] of content) {
      if (!packs.has(pack)) {
        continue;
      }
      if (c.keep.length === 0 && old(pack)) {
        toDelete.add(pack);
      } else if (
        c.keep.length > 0 &&
        c.dropBytes >= (options.repackThreshold ?? 0.3) * c.totalBytes &&
        old(pack)
      ) {
        toRepack.push(pack);
      } else {
        keptPacks.push({
          id: pack,
          blobs: toIndexRows(c.keep.length > 0 ? c.keep : [])
        });
      }
    }
    // Packs in no index: a crashed backup's uploads, deleted once past the grace period.
    for (const pack of packs.keys()) {
      if (!content.has(pack) && old(pack)) {
        toDelete.add(pack);
      }
    }
    const result: IPruneResult = {
      packsDeleted: toDelete.size + toRepack.length,
      packsRepacked: toRepack.length,
      bytesFreed: [...toDelete, ...toRepack].reduce(
        (n, p) => n + (packs.get(p)?.size ?? 0),
        0
      ),
      blobsKept: used.size,
      blobsRemoved: [...repo.index.entries()].filter(([id]) => !used.has(id))
        .length
    };
    if (options.dryRun) {
      return result;
    }

    // 1. Rewrite the used blobs of the repacked packs into new packs.
    const fresh = await Repository.open(repo.backend);
    for (const pack of toRepack) {
      const bytes = await repo.backend.get(packKey(pack));
      for (const blob of content.get(pack)!.keep) {
        const data = decodeBlob(
          bytes.subarray(blob.offset, blob.offset + blob.length),
          blob.encoding
        );
        if (sha256(data) !== blob.id) {
          throw new Error(
            `Blob ${blob.id.slice(0, 12)} in pack ${pack.slice(0, 12)} is corrupted: run "studio-backup check --read-data" before pruning.`
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
    await repo.backend.put(newIndex, bytes);
    for (const key of indexKeys) {
      if (key !== newIndex) {
        await repo.backend.delete(key);
      }
    }
    for (const pack of [...toDelete, ...toRepack]) {
      await repo.backend.delete(packKey(pack));
    }
    log(
      `prune: ${result.packsDeleted} packs deleted (${result.packsRepacked} repacked), ${result.blobsRemoved} unused blobs dropped`
    );
    return result;
  } finally {
    await lock.release().catch(() => undefined);
  }
}
