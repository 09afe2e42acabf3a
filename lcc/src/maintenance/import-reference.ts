/**
 * Turns the reference LCC's full copies (<repo>/<YYYY-MM-DD-HH-MM-SS>/, written by `aws s3 sync`)
 * into deduplicated snapshots of the repository at the same location.
 *
 * Each object is read straight from the bucket into the chunker (nothing is staged on disk); an
 * object whose ETag and size were already imported in this run is not read again. A copy keeps its
 * timestamp as the snapshot's time, and each file the only time the copy holds: the object's
 * LastModified, which is also what the reference's own restore (`aws s3 sync` down) gives it.
 * Copies are imported oldest first, one snapshot each, tagged "imported" and "reference:<ts>".
 *
 * Resumable: a copy with a snapshot tagged reference:<ts> is skipped; after a kill mid-copy, the
 * index files the repository writes every few packs (its checkpoints) tell the next run which blobs
 * are stored already, so their packs are not uploaded again.
 */
import { hostname } from 'node:os';
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { Chunker } from '../backup/chunker';
import { IBackend, IObjectInfo } from '../repository/backend';
import { FormatError, isCompressible } from '../repository/format';
import { Lock } from '../repository/lock';
import {
  listReferenceSnapshots,
  REFERENCE_TIMESTAMP,
  referenceMarker,
  referenceTime
} from '../repository/reference';
import { Repository } from '../repository/repository';
import {
  ISnapshotInfo,
  SnapshotManifest,
  SnapshotTotals
} from '../repository/snapshots';
import { TreeEntry } from '../repository/trees';
import { checkName } from '../browse/names';
import { IViewEntry, viewFor, walk } from '../browse/view';
import { VERSION } from '../version';

export const IMPORTED_TAG = 'imported';
/** Where the reference copies its home from ($HOME in Studio), and so where ours restore to. */
export const STUDIO_HOME = '/home/sagemaker-user';
const REPOSITORY_PREFIXES = [
  'config',
  'data/',
  'index/',
  'snapshots/',
  'locks/'
];
const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

export function referenceTag(ts: string): string {
  return `reference:${ts}`;
}

export interface IImportOptions {
  /** Where the copies are, when not at the repository's own location (another bucket or prefix). */
  copies?: IBackend;
  /** Only copies taken at or after this time: YYYY-MM-DD or YYYY-MM-DD-HH-MM-SS. */
  since?: string;
  dryRun?: boolean;
  /** Recorded in each manifest (the reference's layout: <prefix>/<profile>/<space>). */
  profile?: string;
  space?: string;
  concurrency?: number;
  onCopy?: (copy: IImportedCopy) => void;
}

export interface IImportedCopy {
  ts: string;
  status: 'imported' | 'already-imported' | 'incomplete' | 'would-import';
  /** Objects and bytes of the copy. */
  objects: number;
  bytes: number;
  snapshot?: string;
  /** Bytes this copy added to the repository (before compression). */
  bytesAdded?: number;
  warnings: string[];
}

export interface IImportResult {
  copies: IImportedCopy[];
  /** Bytes of the reference copies in scope (they stay until an admin deletes them). */
  copiesBytes: number;
  /** Bytes of the repository's own objects before and after the import. */
  repositoryBefore: number;
  repositoryAfter: number;
}

export function parseSince(since: string): string {
  if (!REFERENCE_TIMESTAMP.test(since) && !/^\d{4}-\d{2}-\d{2}$/.test(since)) {
    throw new Error(
      `--since ${since} is not a time: give YYYY-MM-DD or YYYY-MM-DD-HH-MM-SS (the copies' own format).`
    );
  }
  return since;
}

async function listAll(
  backend: IBackend,
  prefix: string
): Promise<IObjectInfo[]> {
  const items: IObjectInfo[] = [];
  for await (const item of backend.list(prefix)) {
    items.push(item);
  }
  return items;
}

/** Bytes of the repository's own objects at a location (the reference copies left out). */
export async function repositoryBytes(backend: IBackend): Promise<number> {
  let bytes = 0;
  for (const prefix of REPOSITORY_PREFIXES) {
    for await (const item of backend.list(prefix)) {
      if (prefix !== 'config' || item.key === 'config') {
        bytes += item.size;
      }
    }
  }
  return bytes;
}

/** Chunks a stream exactly as a backup chunks a file, so imported content deduplicates with later backups. */
async function saveStream(
  repo: Repository,
  chunker: Chunker,
  stream: Readable,
  compressible: boolean
): Promise<{ content: string[]; size: number; added: number }> {
  const content: string[] = [];
  let size = 0;
  let added = 0;
  let buffer = Buffer.alloc(0);
  const cutAll = async (final: boolean) => {
    for (let cut = chunker.cut(buffer, final); cut > 0;) {
      const saved = await repo.saveBlob(
        'data',
        Buffer.from(buffer.subarray(0, cut)),
        compressible
      );
      content.push(saved.id);
      size += cut;
      added += saved.added ? cut : 0;
      buffer = buffer.subarray(cut);
      cut = buffer.length > 0 ? chunker.cut(buffer, final) : 0;
    }
  };
  for await (const piece of stream as AsyncIterable<Buffer>) {
    buffer = buffer.length === 0 ? piece : Buffer.concat([buffer, piece]);
    if (buffer.length >= chunker.params.max) {
      await cutAll(false);
    }
  }
  await cutAll(true);
  return { content, size, added };
}

interface IFileContent {
  content: string[];
  size: number;
}

/** One copy: its objects become files, its key prefixes folders, then one snapshot. */
class CopyImporter {
  readonly warnings: string[] = [];
  readonly totals = Object.fromEntries(
    Object.keys(SnapshotTotals.shape).map(name => [name, 0])
  ) as SnapshotTotals;
  /** Path -> "<etag>:<size>" of this copy, to count what changed since the one before. */
  readonly identities = new Map<string, string>();
  private readonly dirs = new Map<string, TreeEntry[]>([['', []]]);
  private readonly dirTime: number;

  constructor(
    private readonly repo: Repository,
    private readonly source: IBackend,
    private readonly chunker: Chunker,
    /** Content by "<etag>:<size>", shared by the copies of one run. */
    private readonly seen: Map<string, IFileContent>,
    private readonly ts: string,
    private readonly previous: Map<string, string>
  ) {
    this.dirTime = Date.parse(referenceTime(ts));
  }

  private ensureDir(rel: string): TreeEntry[] {
    let entries = this.dirs.get(rel);
    if (!entries) {
      const cut = rel.lastIndexOf('/');
      this.ensureDir(cut < 0 ? '' : rel.slice(0, cut));
      entries = [];
      this.dirs.set(rel, entries);
    }
    return entries;
  }

  private async content(item: IObjectInfo, rel: string): Promise<IFileContent> {
    const key = item.etag ? `${item.etag}:${item.size}` : undefined;
    const known = key ? this.seen.get(key) : undefined;
    if (known && known.content.every(id => this.repo.hasBlob(id))) {
      return known;
    }
    const saved = await saveStream(
      this.repo,
      this.chunker,
      await this.source.getStream(item.key),
      isCompressible(rel)
    );
    if (saved.size !== item.size) {
      throw new FormatError(
        `${item.key} changed while it was imported (${saved.size} bytes read, ${item.size} listed): run the import again.`
      );
    }
    this.totals.bytesAdded += saved.added;
    if (key) {
      this.seen.set(key, saved);
    }
    return saved;
  }

  async addFile(item: IObjectInfo): Promise<void> {
    const rel = item.key.slice(this.ts.length + 1);
    if (rel === referenceMarker(this.ts) || rel === '' || rel.endsWith('/')) {
      return;
    }
    const parts = rel.split('/');
    try {
      parts.forEach(part => checkName(part, rel));
    } catch (err) {
      this.warnings.push(`${rel}: ${(err as Error).message}: skipped`);
      this.totals.skipped++;
      return;
    }
    const { content, size } = await this.content(item, rel);
    const identity = `${item.etag ?? item.lastModified.getTime()}:${size}`;
    const before = this.previous.get(rel);
    this.identities.set(rel, identity);
    this.totals.files++;
    this.totals.bytes += size;
    if (before === undefined) {
      this.totals.filesNew++;
    } else if (before === identity) {
      this.totals.filesUnchanged++;
    } else {
      this.totals.filesChanged++;
    }
    this.ensureDir(parts.slice(0, -1).join('/')).push({
      name: parts[parts.length - 1],
      type: 'file',
      mode: FILE_MODE,
      mtime: item.lastModified.getTime(),
      size,
      content
    });
  }

  /** Saves every folder's tree, deepest first; returns the root's. */
  async saveTrees(): Promise<string> {
    const depth = (rel: string) => (rel === '' ? 0 : rel.split('/').length);
    const order = [...this.dirs.keys()].sort((a, b) => depth(b) - depth(a));
    let root = '';
    for (const rel of order) {
      const id = await this.repo.saveTree({ entries: this.dirs.get(rel)! });
      if (rel === '') {
        root = id;
        continue;
      }
      const cut = rel.lastIndexOf('/');
      this.dirs.get(cut < 0 ? '' : rel.slice(0, cut))!.push({
        name: rel.slice(cut + 1),
        type: 'dir',
        mode: DIR_MODE,
        mtime: this.dirTime,
        subtree: id
      });
    }
    this.totals.dirs = this.dirs.size - 1;
    return root;
  }
}

/** Imported snapshots by the timestamp of their copy. */
export function importedCopies(
  snapshots: ISnapshotInfo[]
): Map<string, ISnapshotInfo> {
  const done = new Map<string, ISnapshotInfo>();
  for (const s of snapshots) {
    for (const tag of s.manifest?.tags ?? []) {
      if (tag.startsWith('reference:')) {
        done.set(tag.slice('reference:'.length), s);
      }
    }
  }
  return done;
}

/**
 * What an earlier run imported, by ETag: the objects of that copy matched with its snapshot's files,
 * so that a resumed or later run does not read again what did not change since.
 */
async function rememberImported(
  repo: Repository,
  source: IBackend,
  ts: string,
  snapshot: ISnapshotInfo,
  seen: Map<string, IFileContent>
): Promise<void> {
  const files = new Map<string, IViewEntry>();
  for await (const { rel, entry } of walk(await viewFor(repo, snapshot), '')) {
    files.set(rel, entry);
  }
  for await (const item of source.list(`${ts}/`)) {
    const entry = files.get(item.key.slice(ts.length + 1));
    if (item.etag && entry?.type === 'file' && entry.size === item.size) {
      seen.set(`${item.etag}:${item.size}`, {
        content: entry.contentId === '' ? [] : entry.contentId.split(','),
        size: entry.size
      });
    }
  }
}

async function openExisting(
  backend: IBackend
): Promise<Repository | undefined> {
  try {
    return await Repository.open(backend);
  } catch (err) {
    if (
      err instanceof FormatError &&
      err.message.startsWith('No Studio Backup repository at ')
    ) {
      return undefined;
    }
    throw err;
  }
}

export async function importReference(
  backend: IBackend,
  options: IImportOptions = {}
): Promise<IImportResult> {
  const since = options.since ? parseSince(options.since) : undefined;
  const source = options.copies ?? backend;
  const copies = (await listReferenceSnapshots(source))
    .filter(c => !since || c.id >= since)
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const repositoryBefore = await repositoryBytes(backend);
  const existing = await openExisting(backend);
  const done = importedCopies(existing ? await existing.listSnapshots() : []);
  const result: IImportResult = {
    copies: [],
    copiesBytes: 0,
    repositoryBefore,
    repositoryAfter: repositoryBefore
  };
  const report = (copy: IImportedCopy) => {
    result.copies.push(copy);
    options.onCopy?.(copy);
  };
  const pending: Array<{ ts: string; items: IObjectInfo[] }> = [];
  for (const copy of copies) {
    const items = await listAll(source, `${copy.id}/`);
    const bytes = items.reduce((sum, item) => sum + item.size, 0);
    result.copiesBytes += bytes;
    const base = { ts: copy.id, objects: items.length, bytes, warnings: [] };
    if (!copy.complete) {
      report({
        ...base,
        status: 'incomplete',
        warnings: [
          `copy ${copy.id} has no ${referenceMarker(copy.id)} marker (the reference's sync did not finish): not imported`
        ]
      });
    } else if (done.has(copy.id)) {
      report({ ...base, status: 'already-imported' });
    } else if (options.dryRun) {
      report({ ...base, status: 'would-import' });
    } else {
      pending.push({ ts: copy.id, items });
    }
  }
  if (pending.length === 0) {
    return result;
  }
  const repo = existing ?? (await Repository.open(backend, { create: true }));
  const lock = await Lock.shared(backend, 'import of the reference copies');
  try {
    await repo.loadIndex();
    const chunker = new Chunker(repo.config.chunker);
    const seen = new Map<string, IFileContent>();
    const before = [...done.keys()].filter(ts => ts < pending[0].ts).sort();
    const last = before[before.length - 1];
    if (last) {
      await rememberImported(repo, source, last, done.get(last)!, seen);
    }
    const limit = pLimit(options.concurrency ?? 8);
    let previous = new Map<string, string>();
    for (const { ts, items } of pending) {
      const started = Date.now();
      const importer = new CopyImporter(
        repo,
        source,
        chunker,
        seen,
        ts,
        previous
      );
      await Promise.all(items.map(item => limit(() => importer.addFile(item))));
      const root = await importer.saveTrees();
      await repo.flush();
      const totals = importer.totals;
      previous = importer.identities;
      const manifest: SnapshotManifest = {
        version: 1,
        time: referenceTime(ts),
        host: hostname(),
        source: STUDIO_HOME,
        ...(options.profile ? { profile: options.profile } : {}),
        ...(options.space ? { space: options.space } : {}),
        tags: [IMPORTED_TAG, referenceTag(ts)],
        tree: root,
        totals,
        program: `studio-backup ${VERSION} import-reference`,
        durationMs: Date.now() - started
      };
      await lock.confirmHeld(
        () => repo.stillListsWhatItReadAndWrote(),
        'The import'
      );
      const snapshot = await repo.saveSnapshot(manifest);
      report({
        ts,
        status: 'imported',
        objects: items.length,
        bytes: items.reduce((sum, item) => sum + item.size, 0),
        snapshot,
        bytesAdded: totals.bytesAdded,
        warnings: importer.warnings
      });
    }
  } finally {
    await lock.release().catch(() => undefined);
  }
  result.repositoryAfter = await repositoryBytes(backend);
  return result;
}
