/**
 * A read-only view of one snapshot, ours (trees and blobs) or the reference LCC's (plain objects),
 * so that ls, restore, diff and find treat both alike.
 */
import { Readable } from 'node:stream';
import { NotFoundError } from '../repository/backend';
import { FormatError } from '../repository/format';
import { referenceMarker, REFERENCE_TIMESTAMP } from '../repository/reference';
import { Repository } from '../repository/repository';
import { ISnapshotInfo } from '../repository/snapshots';
import { TreeEntry } from '../repository/trees';
import { checkName, normaliseRelative, UnsafePathError } from './names';

export interface IViewEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink';
  size: number;
  mode?: number;
  mtime?: number;
  target?: string;
  /** Identity of the content: blob ids for ours, ETag and size (or the key) for reference copies. */
  contentId: string;
  changedDuringBackup?: boolean;
  /** Hard links of one file share a group within a snapshot. */
  linkGroup?: string;
}

export interface ISnapshotView {
  readonly info: ISnapshotInfo;
  /** Our snapshots expose their repository, so restore can read blobs pack by pack. */
  readonly repository?: Repository;
  /** Entries of one folder ("" is the root); undefined when there is no such folder. */
  listDir(rel: string): Promise<IViewEntry[] | undefined>;
  /** The entry at a path ("" is the root folder). */
  stat(rel: string): Promise<IViewEntry | undefined>;
  read(rel: string, entry: IViewEntry): Promise<Readable>;
}

function fromTree(entry: TreeEntry): IViewEntry {
  return {
    name: entry.name,
    type: entry.type,
    size: entry.size ?? 0,
    mode: entry.mode,
    mtime: entry.mtime,
    target: entry.target,
    contentId:
      entry.type === 'dir'
        ? (entry.subtree ?? '')
        : (entry.content ?? []).join(',') || (entry.target ?? ''),
    changedDuringBackup: entry.changedDuringBackup,
    ...(entry.linkGroup ? { linkGroup: entry.linkGroup } : {})
  };
}

class OurView implements ISnapshotView {
  constructor(
    readonly info: ISnapshotInfo,
    private readonly repo: Repository,
    private readonly root: string
  ) {}

  get repository(): Repository {
    return this.repo;
  }

  private async tree(rel: string): Promise<TreeEntry[] | undefined> {
    let tree = await this.repo.loadTree(this.root);
    let where = '';
    for (const part of rel === '' ? [] : rel.split('/')) {
      const entry = tree.entries.find(e => e.name === part);
      if (!entry || entry.type !== 'dir' || !entry.subtree) {
        return undefined;
      }
      where = where ? `${where}/${part}` : part;
      tree = await this.repo.loadTree(entry.subtree);
    }
    const names = new Set<string>();
    for (const entry of tree.entries) {
      checkName(entry.name, where);
      if (names.has(entry.name)) {
        throw new UnsafePathError(
          `Refusing to restore: the snapshot names ${JSON.stringify(entry.name)} twice in ${where || '/'}; nothing was written.`
        );
      }
      names.add(entry.name);
    }
    return tree.entries;
  }

  async listDir(rel: string): Promise<IViewEntry[] | undefined> {
    return (await this.tree(rel))?.map(fromTree);
  }

  async stat(rel: string): Promise<IViewEntry | undefined> {
    if (rel === '') {
      return { name: '', type: 'dir', size: 0, contentId: this.root };
    }
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    return (await this.listDir(parent))?.find(e => e.name === name);
  }

  async read(rel: string, entry: IViewEntry): Promise<Readable> {
    const ids = entry.contentId === '' ? [] : entry.contentId.split(',');
    const repo = this.repo;
    return Readable.from(
      (async function* () {
        for (const id of ids) {
          yield await repo.readBlob(id);
        }
      })()
    );
  }
}

/** The reference LCC's plain copy under <ts>/, read through object listings. */
class ReferenceView implements ISnapshotView {
  private entries?: Map<string, IViewEntry[]>;

  constructor(
    readonly info: ISnapshotInfo,
    private readonly repo: Repository
  ) {}

  private async load(): Promise<Map<string, IViewEntry[]>> {
    if (this.entries) {
      return this.entries;
    }
    const dirs = new Map<string, IViewEntry[]>([['', []]]);
    const ensureDir = (rel: string): void => {
      if (dirs.has(rel)) {
        return;
      }
      const parent = rel.includes('/')
        ? rel.slice(0, rel.lastIndexOf('/'))
        : '';
      ensureDir(parent);
      const name = rel.slice(rel.lastIndexOf('/') + 1);
      dirs.get(parent)!.push({ name, type: 'dir', size: 0, contentId: rel });
      dirs.set(rel, []);
    };
    const base = `${this.info.id}/`;
    for await (const item of this.repo.backend.list(base)) {
      const rel = item.key.slice(base.length);
      if (rel === referenceMarker(this.info.id) || rel.endsWith('/')) {
        continue;
      }
      const parts = rel.split('/');
      parts.forEach(part => checkName(part, rel));
      const parent = parts.slice(0, -1).join('/');
      ensureDir(parent);
      dirs.get(parent)!.push({
        name: parts[parts.length - 1],
        type: 'file',
        size: item.size,
        mode: 0o644,
        mtime: item.lastModified.getTime(),
        // The same bytes synced again have the same ETag, so diff and find see them unchanged.
        contentId: item.etag ? `${item.etag}:${item.size}` : item.key
      });
    }
    for (const list of dirs.values()) {
      list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    this.entries = dirs;
    return dirs;
  }

  async listDir(rel: string): Promise<IViewEntry[] | undefined> {
    return (await this.load()).get(rel);
  }

  async stat(rel: string): Promise<IViewEntry | undefined> {
    if (rel === '') {
      return { name: '', type: 'dir', size: 0, contentId: '' };
    }
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    return (await this.listDir(parent))?.find(e => e.name === name);
  }

  read(rel: string): Promise<Readable> {
    return this.repo.backend.getStream(`${this.info.id}/${rel}`);
  }
}

/**
 * Finds a snapshot by id, unique id prefix, reference timestamp, "latest", or "latest@<profile>":
 * the newest snapshot taken by that user profile (one the backend copied in from a former profile).
 */
export async function resolveSnapshot(
  repo: Repository,
  ref: string
): Promise<ISnapshotInfo> {
  const listed = await repo.listSnapshots();
  const all = listed.filter(s => !s.damaged);
  if (all.length === 0 && listed.length > 0) {
    throw new FormatError(
      `Every snapshot in ${repo.backend.url} is damaged: run "studio-backup repair snapshots".`
    );
  }
  if (all.length === 0) {
    throw new FormatError(
      `The repository at ${repo.backend.url} has no snapshots yet: run "studio-backup backup" first.`
    );
  }
  if (ref === 'latest') {
    return (
      all.find(s => s.kind === 'studio-backup') ??
      all.find(s => s.complete) ??
      all[0]
    );
  }
  if (ref.startsWith('latest@')) {
    const profile = ref.slice('latest@'.length);
    const found = all.find(s => s.manifest?.profile === profile);
    if (!found) {
      throw new FormatError(
        `No snapshot taken by the profile ${profile} in ${repo.backend.url}: its snapshots were not copied here.`
      );
    }
    return found;
  }
  const damaged = listed.find(s => s.damaged && s.id.startsWith(ref));
  if (damaged && ref.length >= 8) {
    throw new FormatError(damaged.damaged!);
  }
  const matches = all.filter(
    s =>
      s.id === ref ||
      (REFERENCE_TIMESTAMP.test(ref) ? false : s.id.startsWith(ref))
  );
  if (matches.length === 0) {
    throw new FormatError(
      `No snapshot ${ref} in ${repo.backend.url}: run "studio-backup snapshots" to list them.`
    );
  }
  if (matches.length > 1) {
    throw new FormatError(
      `The snapshot id ${ref} is ambiguous (${matches.length} snapshots start with it): give more characters.`
    );
  }
  return matches[0];
}

export async function openView(
  repo: Repository,
  ref: string
): Promise<ISnapshotView> {
  return viewFor(repo, await resolveSnapshot(repo, ref));
}

export async function viewFor(
  repo: Repository,
  info: ISnapshotInfo
): Promise<ISnapshotView> {
  if (info.kind === 'reference') {
    return new ReferenceView(info, repo);
  }
  await repo.loadIndex();
  return new OurView(info, repo, info.manifest!.tree);
}

/**
 * Every entry below `rel` (depth first, folders before their content), with its path. With
 * `onDamaged`, a folder whose listing cannot be read is reported and skipped, and the walk goes on;
 * an unsafe name still stops it.
 */
export async function* walk(
  view: ISnapshotView,
  rel: string,
  onDamaged?: (rel: string, err: Error) => void
): AsyncIterable<{ rel: string; entry: IViewEntry }> {
  const path = normaliseRelative(rel);
  const top = await view.stat(path);
  if (!top) {
    throw new NotFoundError(path);
  }
  if (path !== '') {
    yield { rel: path, entry: top };
  }
  if (top.type !== 'dir') {
    return;
  }
  const visit = async function* (
    dir: string
  ): AsyncIterable<{ rel: string; entry: IViewEntry }> {
    let entries: IViewEntry[];
    try {
      entries = (await view.listDir(dir)) ?? [];
    } catch (err) {
      if (!onDamaged || err instanceof UnsafePathError) {
        throw err;
      }
      onDamaged(dir, err as Error);
      return;
    }
    view.repository?.prefetchTrees(
      entries.filter(e => e.type === 'dir' && e.contentId).map(e => e.contentId)
    );
    for (const entry of entries) {
      const child = dir ? `${dir}/${entry.name}` : entry.name;
      yield { rel: child, entry };
      if (entry.type === 'dir') {
        yield* visit(child);
      }
    }
  };
  yield* visit(path);
}
