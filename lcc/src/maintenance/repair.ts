/**
 * Repairs that need no lost data back: the index rebuilt from the packs' own trailers, and snapshot
 * manifests that cannot be read removed. Both run under the exclusive lock and have a dry run.
 */
import { IndexFile } from '../repository/blobs';
import { FormatError, packJson, sha256 } from '../repository/format';
import { Lock } from '../repository/lock';
import { Repository } from '../repository/repository';
import { readPackTrailer } from '../repository/packs';

export interface IRepairIndexResult {
  packsRead: number;
  blobs: number;
  /** Packs whose trailer could not be read: left in place, named here. */
  unreadable: Array<{ pack: string; error: string }>;
  indexFilesReplaced: number;
}

export async function repairIndex(
  repo: Repository,
  options: {
    dryRun?: boolean;
    onPack?: (done: number, total: number) => void;
  } = {}
): Promise<IRepairIndexResult> {
  const lock = options.dryRun
    ? undefined
    : await Lock.exclusive(repo.backend, 'repair index');
  try {
    const oldIndexes: string[] = [];
    for await (const item of repo.backend.list('index/')) {
      oldIndexes.push(item.key);
    }
    const packs = [];
    for await (const item of repo.backend.list('data/')) {
      packs.push(item);
    }
    const file: IndexFile = { version: 1, packs: [] };
    const rowsByPack: { rows?: Map<string, PackRows> } = {};
    const unreadable: IRepairIndexResult['unreadable'] = [];
    let blobs = 0;
    for (const [i, item] of packs.entries()) {
      const pack = item.key.slice(item.key.lastIndexOf('/') + 1);
      try {
        const rows = await readPackTrailer(repo.backend, item.key, item.size);
        file.packs.push({ id: pack, blobs: rows });
        blobs += rows.length;
      } catch (err) {
        unreadable.push({ pack, error: (err as Error).message });
        // A pack cut short has lost its trailer, not the blobs before the cut: what the old index
        // says of them is kept (each is still checked against its hash when it is read).
        const rows = (
          (await oldRowsOf(repo, oldIndexes, rowsByPack)).get(pack) ?? []
        ).filter(([, , offset, length]) => offset + length <= item.size);
        if (rows.length > 0) {
          file.packs.push({ id: pack, blobs: rows });
          blobs += rows.length;
        }
      }
      options.onPack?.(i + 1, packs.length);
    }
    if (!options.dryRun) {
      const bytes = packJson(file);
      const key = `index/${sha256(bytes)}`;
      await repo.putOnce(key, bytes);
      for (const old of oldIndexes.filter(k => k !== key)) {
        await repo.backend.delete(old);
      }
    }
    return {
      packsRead: file.packs.length,
      blobs,
      unreadable,
      indexFilesReplaced: oldIndexes.length
    };
  } finally {
    await lock?.release().catch(() => undefined);
  }
}

type PackRows = IndexFile['packs'][number]['blobs'];

/** The rows the old index files give for each pack (read once, the first time a trailer fails). */
async function oldRowsOf(
  repo: Repository,
  keys: string[],
  memo: { rows?: Map<string, PackRows> }
): Promise<Map<string, PackRows>> {
  if (!memo.rows) {
    const rows = new Map<string, PackRows>();
    for (const key of keys) {
      const file = await repo.readIndexFile(key).catch(() => undefined);
      for (const pack of file?.packs ?? []) {
        rows.set(pack.id, [...(rows.get(pack.id) ?? []), ...pack.blobs]);
      }
    }
    memo.rows = rows;
  }
  return memo.rows;
}

export interface IRepairSnapshotsResult {
  checked: number;
  removed: string[];
  reasons: Record<string, string>;
}

/** Removes the manifests that cannot be read (damaged or malformed); the data they used is left to prune. */
export async function repairSnapshots(
  repo: Repository,
  options: { dryRun?: boolean } = {}
): Promise<IRepairSnapshotsResult> {
  const lock = options.dryRun
    ? undefined
    : await Lock.exclusive(repo.backend, 'repair snapshots');
  try {
    const ids = await repo.snapshotIds();
    const removed: string[] = [];
    const reasons: Record<string, string> = {};
    for (const id of ids) {
      try {
        await repo.loadSnapshot(id);
      } catch (err) {
        if (!(err instanceof FormatError)) {
          throw err; // a read failure is not damage: never remove on a transient error
        }
        removed.push(id);
        reasons[id] = err.message;
        if (!options.dryRun) {
          await repo.backend.delete(`snapshots/${id}`);
        }
      }
    }
    return { checked: ids.length, removed, reasons };
  } finally {
    await lock?.release().catch(() => undefined);
  }
}
