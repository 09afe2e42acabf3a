/** A Studio Backup repository: config, content-addressed blobs in packs, trees and snapshots. */
import pLimit from 'p-limit';
import { AlreadyExistsError, IBackend, NotFoundError } from './backend';
import {
  BlobIndex,
  BlobType,
  IBlobLocation,
  IndexFile,
  IPackedBlob,
  toIndexRows
} from './blobs';
import {
  decodeBlob,
  encodeBlob,
  FormatError,
  newConfig,
  packJson,
  packKey,
  parseConfig,
  RepositoryConfig,
  sha256,
  unpackJson
} from './format';
import { ISnapshotInfo, SnapshotManifest } from './snapshots';
import { serializeTree, Tree } from './trees';
import { listReferenceSnapshots } from './reference';

/** Sealed packs in memory at once (each about packSize bytes): bounds a backup's memory. */
const UPLOAD_CONCURRENCY = 2;
const MAX_BLOBS_PER_PACK = 10_000;
/**
 * A backup indexes what it uploaded every few packs (a checkpoint), so that after a kill the next
 * backup finds those blobs and uploads only what is missing. Prune keeps them for its grace period.
 */
const CHECKPOINT_PACKS = 4;

/** Room in a pack buffer beyond packSize: the blob that crosses packSize, and the trailer. */
const PACK_SLACK = 1024 * 1024;
const TRAILER_ROOM = 64 * 1024;

interface IOpenPack {
  buffer: Buffer;
  blobs: IPackedBlob[];
  size: number;
}

/** Whether a blob of `length` bytes still fits in the pack, with room for its trailer. */
function fits(pack: IOpenPack, length: number): boolean {
  return pack.size + length + TRAILER_ROOM <= pack.buffer.length;
}

/** Trees kept decoded: a long-lived reader (the agent) browses many snapshots, so the cache is bounded. */
const TREE_CACHE_ENTRIES = 4096;

export class Repository {
  readonly index = new BlobIndex();
  private readonly pending = new Map<string, BlobType>();
  /**
   * The packs being filled, one for file data and one for trees: blobs are copied into one buffer
   * (reused once its upload is done). Trees in packs of their own can be read in a few requests.
   */
  private readonly current: Partial<Record<BlobType, IOpenPack>> = {};
  /** Pack buffers whose upload is done, for the next packs: no 16 MiB of garbage per pack. */
  private readonly spareBuffers: Buffer[] = [];
  private readonly uploads = pLimit(UPLOAD_CONCURRENCY);
  private readonly inflight = new Set<Promise<void>>();
  private uploadError?: unknown;
  private written: IndexFile['packs'] = [];
  private readonly treeCache = new Map<string, Tree>();
  private readonly treeLoads = new Map<string, Promise<Tree>>();
  private readonly treePrefetch = pLimit(16);
  /** Index files read into `index`, and the refresh under way. */
  private readonly indexKeys = new Set<string>();
  private indexRefresh?: Promise<void>;
  private indexLoaded = false;
  /** Manifests already decoded: a snapshot never changes under its id. */
  private readonly manifests = new Map<string, SnapshotManifest>();
  private referenceOnly = false;
  /** Bytes of packs uploaded by this process. */
  bytesUploaded = 0;
  /** Ids of the packs uploaded by this process. */
  readonly packsWritten = new Set<string>();
  /** Index files that could not be read by loadIndex (each a one-line message). */
  readonly indexProblems: string[] = [];
  /** Keys of the index files written by this process. */
  readonly indexesWritten = new Set<string>();

  private constructor(
    readonly backend: IBackend,
    readonly config: RepositoryConfig
  ) {}

  /** Opens a repository; with `create`, initialises an empty location first (implicit init). */
  static async open(
    backend: IBackend,
    options: { create?: boolean } = {}
  ): Promise<Repository> {
    let bytes: Buffer;
    try {
      bytes = await backend.get('config');
    } catch (err) {
      if (!(err instanceof NotFoundError)) {
        throw err;
      }
      if (!options.create) {
        throw new FormatError(
          `No Studio Backup repository at ${backend.url}: run "studio-backup backup" to create one.`
        );
      }
      const config = newConfig();
      try {
        await backend.put(
          'config',
          Buffer.from(JSON.stringify(config, null, 2)),
          { ifAbsent: true }
        );
      } catch {
        // Another writer initialised it first: use theirs.
      }
      bytes = await backend.get('config');
    }
    return new Repository(backend, parseConfig(bytes, backend.url));
  }

  /** A location with no repository, for reading the reference LCC's copies there (see open.ts). */
  static overReferenceCopies(backend: IBackend): Repository {
    const repo = new Repository(backend, newConfig());
    repo.referenceOnly = true;
    return repo;
  }

  /** Opened over the reference LCC's copies only: there is no repository here (yet). */
  get overReferenceOnly(): boolean {
    return this.referenceOnly;
  }

  /** Reads every index file, the first time only (later calls are no-ops: see refreshIndex). */
  async loadIndex(): Promise<void> {
    if (!this.indexLoaded) {
      await this.refreshIndex();
    }
  }

  /** Whether loadIndex has run: a repository kept open then refreshes it (session.ts). */
  get hasIndex(): boolean {
    return this.indexLoaded;
  }

  /**
   * Whether every index file this process read or wrote, and every pack it uploaded, is still
   * listed. A prune deletes the index files it merged before any indexed pack, and deletes packs in
   * no index (to it, the uploads of a dead backup) as they are: while all are there, no prune
   * removed what this process counts on.
   */
  async stillListsWhatItReadAndWrote(): Promise<boolean> {
    const listed = new Set<string>();
    for await (const item of this.backend.list('index/')) {
      listed.add(item.key);
    }
    for await (const item of this.backend.list('data/')) {
      listed.add(item.key);
    }
    return [
      ...this.indexKeys,
      ...this.indexesWritten,
      ...[...this.packsWritten].map(packKey)
    ].every(key => listed.has(key));
  }

  /**
   * Reads the index files not read yet (one LIST, then only the new files), so a repository kept
   * open sees what later backups added. When a file read before is gone, a prune rewrote the
   * index: a reader then reads it all again. Concurrent calls share one refresh.
   */
  refreshIndex(): Promise<void> {
    this.indexRefresh ??= this.readNewIndexFiles().finally(() => {
      this.indexRefresh = undefined;
    });
    return this.indexRefresh;
  }

  private async readNewIndexFiles(): Promise<void> {
    const listed = new Set<string>();
    for await (const item of this.backend.list('index/')) {
      listed.add(item.key);
    }
    const rewritten = [...this.indexKeys].some(
      key => !listed.has(key) && !this.indexesWritten.has(key)
    );
    // A writer keeps what it knows: its own packs are in `index` and nowhere else yet.
    if (rewritten && this.packsWritten.size === 0) {
      this.index.clear();
      this.indexKeys.clear();
      this.indexProblems.length = 0;
    }
    const keys = [...listed].filter(
      key => !this.indexKeys.has(key) && !this.indexesWritten.has(key)
    );
    // Fetched eight at a time, each parsed and added as its turn comes, in the order listed: only
    // one file's parsed rows are in memory at once (each 100,000 blobs parse to some 40 MiB).
    const limit = pLimit(8);
    const fetched = keys.map(key =>
      limit(() => this.backend.get(key)).then(
        bytes => ({ bytes }),
        (err: unknown) => ({ err })
      )
    );
    for (const [i, key] of keys.entries()) {
      const got = await fetched[i];
      try {
        if ('err' in got) {
          throw got.err;
        }
        this.index.add(this.parseIndexFile(key, got.bytes));
        this.indexKeys.add(key);
      } catch (err) {
        // A damaged index must not hide what the other index files describe; a storage error
        // leaves the file unread, for the next call.
        if (!(err instanceof FormatError || err instanceof NotFoundError)) {
          throw err;
        }
        this.indexKeys.add(key);
        this.indexProblems.push(
          `${err.message.replace(/: run .*$/, '')}: run "studio-backup repair index".`
        );
      }
    }
    this.indexLoaded = true;
  }

  async readIndexFile(key: string): Promise<IndexFile> {
    return this.parseIndexFile(key, await this.backend.get(key));
  }

  private parseIndexFile(key: string, bytes: Buffer): IndexFile {
    const parsed = IndexFile.safeParse(unpackJson(bytes, `Index ${key}`));
    if (!parsed.success) {
      throw new FormatError(
        `Index ${key} is malformed: run "studio-backup check".`
      );
    }
    return parsed.data;
  }

  hasBlob(id: string): boolean {
    return this.index.has(id) || this.pending.has(id);
  }

  /** Stores a blob unless the repository already has it; returns whether it was new. */
  async saveBlob(
    type: BlobType,
    data: Buffer,
    compressible: boolean,
    id = sha256(data)
  ): Promise<{ id: string; added: boolean }> {
    this.throwUploadError();
    if (this.hasBlob(id)) {
      return { id, added: false };
    }
    this.pending.set(id, type);
    const { bytes, encoding } = await encodeBlob(
      data,
      compressible,
      this.config.version >= 2
    );
    // Every writer waits while the sealed packs fill the upload queue, not only the one that
    // sealed: memory stays within the pack being filled plus UPLOAD_CONCURRENCY + 1 sealed packs.
    await this.uploadRoom();
    while (this.current[type] && !fits(this.current[type], bytes.length)) {
      await this.sealPack(type);
    }
    const pack = (this.current[type] ??= this.openPack(bytes.length));
    pack.blobs.push({
      id,
      type,
      offset: pack.size,
      length: bytes.length,
      rawLength: data.length,
      encoding
    });
    // A copy: the caller may reuse `data` (a read buffer) once this returns.
    bytes.copy(pack.buffer, pack.size);
    pack.size += bytes.length;
    // Many tiny blobs also seal a pack, so that their bookkeeping does not pile up in memory.
    if (
      pack.size >= this.config.packSize ||
      pack.blobs.length >= MAX_BLOBS_PER_PACK
    ) {
      await this.sealPack(type);
    }
    return { id, added: true };
  }

  /** A pack buffer of the usual capacity (a spare one when there is), or larger for a huge blob. */
  private openPack(first: number): IOpenPack {
    const capacity = this.config.packSize + PACK_SLACK;
    const buffer =
      first + TRAILER_ROOM <= capacity
        ? (this.spareBuffers.pop() ?? Buffer.allocUnsafe(capacity))
        : Buffer.allocUnsafe(first + TRAILER_ROOM);
    return { buffer, blobs: [], size: 0 };
  }

  /** Uploads the pack being filled; waits when too many uploads are in flight (bounded memory). */
  private async sealPack(type: BlobType): Promise<void> {
    const pack = this.current[type];
    if (!pack || pack.blobs.length === 0) {
      return;
    }
    this.current[type] = undefined;
    const trailer = packJson({ blobs: toIndexRows(pack.blobs) });
    let buffer = pack.buffer;
    if (pack.size + trailer.length + 4 > buffer.length) {
      // Thousands of tiny blobs can outgrow the room kept for the trailer: a larger buffer.
      buffer = Buffer.allocUnsafe(pack.size + trailer.length + 4);
      pack.buffer.copy(buffer, 0, 0, pack.size);
    }
    trailer.copy(buffer, pack.size);
    buffer.writeUInt32BE(trailer.length, pack.size + trailer.length);
    const bytes = buffer.subarray(0, pack.size + trailer.length + 4);
    // Hashed here rather than on the thread pool: WebCrypto would copy the 16 MiB first, and
    // glibc keeps such copies resident (about 60 MiB more of RSS in a first backup).
    const id = sha256(bytes);
    const upload = this.uploads(async () => {
      await this.putOnce(packKey(id), bytes);
      // Only after a successful upload: a failed one may still be read by a retry in flight.
      if (
        buffer.length === this.config.packSize + PACK_SLACK &&
        this.spareBuffers.length <= UPLOAD_CONCURRENCY
      ) {
        this.spareBuffers.push(buffer);
      }
      this.bytesUploaded += bytes.length;
      this.packsWritten.add(id);
      this.written.push({ id, blobs: toIndexRows(pack.blobs) });
      if (this.written.length >= CHECKPOINT_PACKS) {
        await this.writeIndex();
      }
    }).then(
      () => void this.inflight.delete(upload),
      err => {
        this.inflight.delete(upload);
        this.uploadError ??= err;
      }
    );
    this.inflight.add(upload);
    await this.uploadRoom();
  }

  private async uploadRoom(): Promise<void> {
    while (this.inflight.size > UPLOAD_CONCURRENCY) {
      await Promise.race(this.inflight);
    }
    this.throwUploadError();
  }

  private throwUploadError(): void {
    if (this.uploadError) {
      throw this.uploadError;
    }
  }

  /** Uploads what is left and writes one index file for the packs of this session. */
  async flush(): Promise<void> {
    await this.sealPack('data');
    await this.sealPack('tree');
    await Promise.all(this.inflight);
    this.throwUploadError();
    await this.writeIndex();
    this.pending.clear();
  }

  /** One index file for the packs uploaded since the last one. */
  private async writeIndex(): Promise<void> {
    const packs = this.written.splice(0);
    if (packs.length === 0) {
      return;
    }
    const file: IndexFile = { version: 1, packs };
    const bytes = packJson(file);
    const key = `index/${sha256(bytes)}`;
    try {
      await this.putOnce(key, bytes);
      this.indexesWritten.add(key);
    } catch (err) {
      this.written.unshift(...packs);
      throw err;
    }
    this.index.add(file);
    // Indexed now: a first backup of 100,000 files no longer keeps every id twice until its end.
    for (const pack of packs) {
      for (const [id] of pack.blobs) {
        this.pending.delete(id);
      }
    }
  }

  /**
   * A blob's bytes, checked against its id. When the first place an index names does not hold them
   * (damaged, cut short, or a forged index's junk), the other places named are tried in turn.
   */
  async readBlob(id: string): Promise<Buffer> {
    const locations = this.index.locations(id);
    if (locations.length === 0) {
      throw new FormatError(
        `Blob ${id.slice(0, 12)} is not in any index: the repository is damaged, run "studio-backup check" (and "studio-backup repair index" if index files were lost).`
      );
    }
    let first: unknown;
    for (const loc of locations) {
      try {
        const bytes = await this.backend.getRange(
          packKey(loc.pack),
          loc.offset,
          loc.length
        );
        const data = this.verify(id, decodeBlob(bytes, loc.encoding));
        this.index.prefer(id, loc);
        return data;
      } catch (err) {
        first ??= err;
      }
    }
    throw first;
  }

  verify(id: string, data: Buffer): Buffer {
    if (sha256(data) !== id) {
      throw new FormatError(
        `Blob ${id.slice(0, 12)} is corrupted (hash mismatch): run "studio-backup check --read-data".`
      );
    }
    return data;
  }

  async saveTree(tree: Tree): Promise<string> {
    const bytes = serializeTree(tree);
    const { id } = await this.saveBlob('tree', bytes, true);
    return id;
  }

  /**
   * Starts loading these trees in the background (a walk fetches a folder's subfolders while it
   * goes through the folder): on S3 each tree is a request, and one at a time they add up.
   * Errors are left for the walk's own load to report.
   */
  prefetchTrees(ids: string[]): void {
    for (const id of ids) {
      if (!this.treeCache.has(id) && !this.treeLoads.has(id)) {
        void this.treePrefetch(() => this.loadTree(id)).catch(() => undefined);
      }
    }
  }

  async loadTree(id: string): Promise<Tree> {
    const cached = this.treeCache.get(id);
    if (cached) {
      // Most recently used last: the first key is the one to evict.
      this.treeCache.delete(id);
      this.treeCache.set(id, cached);
      return cached;
    }
    // One request per tree, however many ask for it at once.
    let load = this.treeLoads.get(id);
    if (!load) {
      load = this.readTree(id).finally(() => this.treeLoads.delete(id));
      this.treeLoads.set(id, load);
    }
    return load;
  }

  private async readTree(id: string): Promise<Tree> {
    return this.cacheTree(id, await this.readBlob(id));
  }

  /** Parses a tree blob's verified bytes and keeps it (the oldest tree goes past the bound). */
  private cacheTree(id: string, data: Buffer): Tree {
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch {
      json = undefined;
    }
    const parsed = Tree.safeParse(json);
    if (!parsed.success) {
      throw new FormatError(
        `Tree ${id.slice(0, 12)} is malformed: run "studio-backup check".`
      );
    }
    this.treeCache.set(id, parsed.data);
    if (this.treeCache.size > TREE_CACHE_ENTRIES) {
      this.treeCache.delete(this.treeCache.keys().next().value!);
    }
    return parsed.data;
  }

  /**
   * Reads every pack that holds only trees, whole, one request each, and keeps the trees in them:
   * a full restore or a walk then needs no request per folder (on S3, 1,500 folders were 1,500
   * requests). Only when all of them fit in the tree cache; anything that fails here is left to
   * the tree's own load, which reports it.
   */
  async preloadTreePacks(): Promise<void> {
    const byPack = new Map<string, Array<[string, IBlobLocation]>>();
    for (const [id, loc] of this.index.entries()) {
      if (loc.type === 'tree' && !this.treeCache.has(id)) {
        const list = byPack.get(loc.pack) ?? [];
        list.push([id, loc]);
        byPack.set(loc.pack, list);
      }
    }
    const treePacks = [...byPack].filter(
      ([pack, trees]) => this.index.packs.get(pack) === trees.length
    );
    const count = treePacks.reduce((n, [, trees]) => n + trees.length, 0);
    if (count === 0 || count + this.treeCache.size > TREE_CACHE_ENTRIES) {
      return;
    }
    const limit = pLimit(16);
    await Promise.all(
      treePacks.map(([pack, trees]) =>
        limit(async () => {
          const end = Math.max(...trees.map(([, l]) => l.offset + l.length));
          const bytes = await this.backend
            .getRange(packKey(pack), 0, end)
            .catch(() => undefined);
          for (const [id, loc] of trees) {
            try {
              const raw = bytes!.subarray(loc.offset, loc.offset + loc.length);
              this.cacheTree(
                id,
                this.verify(id, decodeBlob(raw, loc.encoding))
              );
            } catch {
              // Left to loadTree, which names the problem.
            }
          }
        })
      )
    );
  }

  async saveSnapshot(manifest: SnapshotManifest): Promise<string> {
    const bytes = packJson(manifest);
    const id = sha256(bytes);
    await this.putOnce(`snapshots/${id}`, bytes);
    return id;
  }

  /**
   * Writes a content-addressed object once (If-None-Match: *): the repository is append-only for
   * the agent, and the bucket policy may refuse any other write. An object already there under its
   * content's hash holds these very bytes, so that is a success.
   */
  async putOnce(key: string, bytes: Buffer): Promise<void> {
    try {
      await this.backend.put(key, bytes, { ifAbsent: true });
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) {
        throw err;
      }
    }
  }

  async loadSnapshot(id: string): Promise<SnapshotManifest> {
    const known = this.manifests.get(id);
    if (known) {
      return known;
    }
    const parsed = SnapshotManifest.safeParse(
      unpackJson(
        await this.backend.get(`snapshots/${id}`),
        `Snapshot ${id.slice(0, 8)}`
      )
    );
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new FormatError(
        `Snapshot ${id.slice(0, 8)} has a malformed manifest (${issue.path.join('.')}: ${issue.message}).`
      );
    }
    this.manifests.set(id, parsed.data);
    return parsed.data;
  }

  async snapshotIds(): Promise<string[]> {
    const ids: string[] = [];
    for await (const item of this.backend.list('snapshots/')) {
      ids.push(item.key.slice('snapshots/'.length));
    }
    return ids;
  }

  /**
   * Every snapshot, ours and the reference LCC's, newest first. A manifest that cannot be decoded is
   * listed as damaged (with its file's time) instead of hiding every other snapshot.
   */
  async listSnapshots(): Promise<ISnapshotInfo[]> {
    const items: Array<{ id: string; lastModified: Date }> = [];
    for await (const item of this.backend.list('snapshots/')) {
      items.push({
        id: item.key.slice('snapshots/'.length),
        lastModified: item.lastModified
      });
    }
    // Forgotten snapshots leave the cache with the listing.
    const present = new Set(items.map(item => item.id));
    for (const id of this.manifests.keys()) {
      if (!present.has(id)) {
        this.manifests.delete(id);
      }
    }
    const limit = pLimit(8);
    const ours = await Promise.all(
      items.map(({ id, lastModified }) =>
        limit(async (): Promise<ISnapshotInfo | undefined> => {
          const base = {
            id,
            shortId: id.slice(0, 8),
            kind: 'studio-backup' as const
          };
          try {
            const manifest = await this.loadSnapshot(id);
            return { ...base, time: manifest.time, complete: true, manifest };
          } catch (err) {
            if (err instanceof NotFoundError) {
              return undefined; // removed by a forget while we listed
            }
            if (!(err instanceof FormatError)) {
              throw err;
            }
            return {
              ...base,
              time: lastModified.toISOString(),
              complete: false,
              damaged: `${err.message} Remove it with "studio-backup repair snapshots".`
            };
          }
        })
      )
    );
    const reference = await listReferenceSnapshots(this.backend);
    return [
      ...ours.filter((s): s is ISnapshotInfo => s !== undefined),
      ...reference
    ].sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
  }
}
