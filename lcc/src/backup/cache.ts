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

/** A row is one compact string "size mtimeMs ctimeMs ino id,id,..." (far smaller than an array, times 100k). */
function stampKey(stamp: IFileStamp): string {
  return `${stamp.size} ${stamp.mtimeMs} ${stamp.ctimeMs} ${stamp.ino}`;
}

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
  private readonly next = new Map<string, string>();

  private constructor(
    readonly path: string,
    private readonly previous: Map<string, string>
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
    const rows = new Map<string, string>();
    try {
      const parsed: unknown = JSON.parse(
        gunzipSync(await readFile(path)).toString('utf8')
      );
      for (const [file, row] of Object.entries(
        parsed as Record<string, unknown>
      )) {
        if (typeof row === 'string') {
          rows.set(file, row);
        }
      }
    } catch {
      // Missing or unreadable: start empty.
    }
    return new FileCache(path, rows);
  }

  lookup(path: string, stamp: IFileStamp): string[] | undefined {
    const row = this.previous.get(path);
    const key = stampKey(stamp);
    if (
      row !== undefined &&
      row.startsWith(key) &&
      row.charAt(key.length) === ' '
    ) {
      const ids = row.slice(key.length + 1);
      return ids === '' ? [] : ids.split(',');
    }
    return undefined;
  }

  /** Whether the previous backup saw this path at all (to tell changed files from new ones). */
  lookupPath(path: string): boolean {
    return this.previous.has(path);
  }

  remember(path: string, stamp: IFileStamp, content: string[]): void {
    this.next.set(path, `${stampKey(stamp)} ${content.join(',')}`);
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
