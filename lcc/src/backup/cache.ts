/**
 * The local file cache: (path, size, mtime, ctime, inode) -> content blob ids, so an unchanged file
 * is neither read nor uploaded. Only an optimisation: a missing or damaged cache costs a re-read.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sha256 } from '../repository/format';

export interface IFileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

type Row = [
  size: number,
  mtimeMs: number,
  ctimeMs: number,
  ino: number,
  content: string[]
];

export function defaultCacheDir(): string {
  return (
    process.env.STUDIO_BACKUP_CACHE_DIR ||
    join(
      process.env.XDG_CACHE_HOME || join(homedir(), '.cache'),
      'studio-backup'
    )
  );
}

export class FileCache {
  private readonly next = new Map<string, Row>();

  private constructor(
    readonly path: string,
    private readonly previous: Map<string, Row>
  ) {}

  /** One cache per repository and source folder. */
  static async load(
    dir: string,
    repositoryId: string,
    source: string
  ): Promise<FileCache> {
    const path = join(
      dir,
      `${repositoryId}-${sha256(source).slice(0, 16)}.json.gz`
    );
    let rows = new Map<string, Row>();
    try {
      rows = new Map(
        Object.entries(
          JSON.parse(gunzipSync(await readFile(path)).toString('utf8'))
        )
      );
    } catch {
      // Missing or unreadable: start empty.
    }
    return new FileCache(path, rows);
  }

  lookup(path: string, stamp: IFileStamp): string[] | undefined {
    const row = this.previous.get(path);
    if (
      row &&
      row[0] === stamp.size &&
      row[1] === stamp.mtimeMs &&
      row[2] === stamp.ctimeMs &&
      row[3] === stamp.ino
    ) {
      return row[4];
    }
    return undefined;
  }

  /** Whether the previous backup saw this path at all (to tell changed files from new ones). */
  lookupPath(path: string): boolean {
    return this.previous.has(path);
  }

  remember(path: string, stamp: IFileStamp, content: string[]): void {
    this.next.set(path, [
      stamp.size,
      stamp.mtimeMs,
      stamp.ctimeMs,
      stamp.ino,
      content
    ]);
  }

  /** Keeps only the files seen in this backup. Failing to save is not an error. */
  async save(): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.tmp`;
      await writeFile(
        tmp,
        gzipSync(JSON.stringify(Object.fromEntries(this.next)), { level: 1 })
      );
      await rename(tmp, this.path);
    } catch {
      // The cache is an optimisation only.
    }
  }
}
