/** Verifies a repository: manifests, indexes and references; with readData, every byte of every pack. */
import pLimit from 'p-limit';
import { decodeBlob, packKey, sha256 } from '../repository/format';
import { Repository } from '../repository/repository';
import { walkSnapshots } from './walk';

export interface ICheckProblem {
  kind:
    | 'snapshot'
    | 'index'
    | 'missing-pack'
    | 'missing-blob'
    | 'corrupt-blob'
    | 'corrupt-pack'
    | 'tree';
  message: string;
}

export interface ICheckResult {
  snapshots: number;
  packs: number;
  blobs: number;
  bytesRead: number;
  problems: ICheckProblem[];
}

export async function check(
  repo: Repository,
  options: {
    readData?: boolean;
    onPack?: (done: number, total: number) => void;
  } = {}
): Promise<ICheckResult> {
  const problems: ICheckProblem[] = [];
  for await (const item of repo.backend.list('index/')) {
    try {
      repo.index.add(await repo.readIndexFile(item.key));
    } catch (err) {
      problems.push({ kind: 'index', message: (err as Error).message });
    }
  }
  const stored = new Map<string, number>();
  for await (const item of repo.backend.list('data/')) {
    stored.set(item.key.slice(item.key.lastIndexOf('/') + 1), item.size);
  }
  const snapshots: Array<{ id: string; tree: string }> = [];
  for (const id of await repo.snapshotIds()) {
    try {
      snapshots.push({ id, tree: (await repo.loadSnapshot(id)).tree });
    } catch (err) {
      problems.push({ kind: 'snapshot', message: (err as Error).message });
    }
  }

  const bad = new Map<string, string>();
  // A pack must hold every byte its index rows name, and its 4-byte trailer length after them.
  const needed = new Map<string, number>();
  for (const [, loc] of repo.index.entries()) {
    needed.set(
      loc.pack,
      Math.max(needed.get(loc.pack) ?? 0, loc.offset + loc.length + 4)
    );
  }
  for (const [pack, size] of needed) {
    const actual = stored.get(pack);
    if (actual !== undefined && actual < size) {
      problems.push({
        kind: 'corrupt-pack',
        message: `pack ${pack.slice(0, 12)} is truncated (${actual} bytes, its index needs at least ${size})`
      });
    }
  }
  for (const [id, loc] of repo.index.entries()) {
    const actual = stored.get(loc.pack);
    if (actual === undefined) {
      bad.set(id, `pack ${loc.pack.slice(0, 12)} is missing`);
    } else if (actual < loc.offset + loc.length) {
      bad.set(
        id,
        `blob ${id.slice(0, 12)} lies past the end of truncated pack ${loc.pack.slice(0, 12)}`
      );
    }
  }
  let bytesRead = 0;
  if (options.readData) {
    const byPack = new Map<
      string,
      Array<[string, ReturnType<typeof repo.index.get>]>
    >();
    for (const [id, loc] of repo.index.entries()) {
      if (stored.has(loc.pack)) {
        byPack.set(loc.pack, [...(byPack.get(loc.pack) ?? []), [id, loc]]);
      }
    }
    let done = 0;
    const limit = pLimit(4);
    await Promise.all(
      [...byPack.entries()].map(([pack, blobs]) =>
        limit(async () => {
          const bytes = await repo.backend.get(packKey(pack));
          bytesRead += bytes.length;
          if (sha256(bytes) !== pack) {
            problems.push({
              kind: 'corrupt-pack',
              message: `pack ${pack.slice(0, 12)} does not match its hash`
            });
          }
          for (const [id, loc] of blobs) {
            try {
              const data = decodeBlob(
                bytes.subarray(loc!.offset, loc!.offset + loc!.length),
                loc!.encoding
              );
              if (sha256(data) !== id) {
                bad.set(
                  id,
                  `blob ${id.slice(0, 12)} in pack ${pack.slice(0, 12)} is corrupted`
                );
              }
            } catch {
              bad.set(
                id,
                `blob ${id.slice(0, 12)} in pack ${pack.slice(0, 12)} cannot be decoded`
              );
            }
          }
          options.onPack?.(++done, byPack.size);
        })
      )
    );
  }

  // Which snapshots and paths each problem breaks.
  const broken = new Map<string, Set<string>>();
  await walkSnapshots(
    repo,
    snapshots,
    (blob, kind, snapshot, path) => {
      const why = !repo.index.has(blob)
        ? `blob ${blob.slice(0, 12)} is not in any index`
        : bad.get(blob);
      if (why) {
        const key = `${why}`;
        broken.set(
          key,
          (broken.get(key) ?? new Set()).add(
            `${snapshot.slice(0, 8)}:${path || '/'}`
          )
        );
      }
    },
    {
      everyPath: bad.size > 0,
      onError: (snapshot, path, err) =>
        problems.push({
          kind: 'tree',
          message: `snapshot ${snapshot.slice(0, 8)}: folder ${path || '/'}: ${err.message}`
        })
    }
  );
  for (const [why, where] of broken) {
    const kind =
      why.includes('missing') ||
      why.includes('not in any index') ||
      why.includes('truncated')
        ? 'missing-blob'
        : 'corrupt-blob';
    const list = [...where];
    problems.push({
      kind,
      message: `${why}: breaks ${list.slice(0, 10).join(', ')}${list.length > 10 ? ` and ${list.length - 10} more` : ''}`
    });
  }
  return {
    snapshots: snapshots.length,
    packs: stored.size,
    blobs: repo.index.size,
    bytesRead,
    problems
  };
}
