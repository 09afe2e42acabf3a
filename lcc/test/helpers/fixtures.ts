/** Temporary homes and repositories for the engine tests, and a way to compare two trees. */
import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const made: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sb-${prefix}-`));
  made.push(dir);
  return dir;
}

export function cleanupTempDirs(): void {
  for (const dir of made.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function write(
  root: string,
  rel: string,
  content: string | Buffer
): string {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** Deterministic pseudo-random bytes, so tests are repeatable. */
export function randomish(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(String(seed)).digest();
  for (let i = 0; i < size; i += 32) {
    block.copy(out, i, 0, Math.min(32, size - i));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/**
 * A time to the microsecond, as a restore can set it: it rounds a stored time to its nearest
 * microsecond (restore/file-times.ts), so an original and its restored copy agree here, where a
 * millisecond rounding of the original's finer time could fall on the other side of a half.
 */
function microseconds(mtimeMs: number): number {
  return Math.round(mtimeMs * 1000);
}

/** path -> "file <sha> <mode> <mtime µs>" | "dir <mode>" | "link <target>", for comparing trees. */
export function describeTree(
  root: string,
  skip: (rel: string) => boolean = () => false
): Record<string, string> {
  const result: Record<string, string> = {};
  const visit = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      if (skip(child)) {
        continue;
      }
      const stat = lstatSync(join(root, child));
      const mode = (stat.mode & 0o7777).toString(8);
      if (stat.isSymbolicLink()) {
        result[child] = `link ${readlinkSync(join(root, child))}`;
      } else if (stat.isDirectory()) {
        result[child] = `dir ${mode}`;
        visit(child);
      } else {
        result[child] = `file ${createHash('sha256')
          .update(readFileSync(join(root, child)))
          .digest('hex')} ${mode} ${microseconds(stat.mtimeMs)}`;
      }
    }
  };
  visit('');
  return result;
}

/** A small home like a Studio user's: notebooks, data, a large file, a symlink, hidden folders. */
export function makeHome(root: string): void {
  write(
    root,
    'analysis.ipynb',
    JSON.stringify({ cells: [{ source: 'print(1)' }] })
  );
  write(
    root,
    'data/customers.csv',
    'id,name\n' +
      Array.from({ length: 500 }, (_, i) => `${i},name-${i}`).join('\n')
  );
  write(
    root,
    'data/same-as-customers.csv',
    readFileSync(join(root, 'data/customers.csv'))
  );
  write(root, 'models/checkpoint.bin', randomish(3 * 1024 * 1024 + 123, 1));
  write(root, 'project/.git/HEAD', 'ref: refs/heads/main\n');
  write(root, 'project/src/train.py', 'print("train")\n');
  write(root, 'empty.txt', '');
  write(root, 'with space (1).txt', 'spaces\n');
  write(root, '.cache/pip/wheel.whl', randomish(1000, 2));
  write(root, '.config/settings.json', '{}');
  write(root, 'lost+found/x', 'x');
  write(root, 'restored-files/old/a.txt', 'old');
  mkdirSync(join(root, 'empty-dir'));
}

/** makeHome, plus many folders (many tree reads) and files large enough to fill several packs. */
export function makeLargerHome(): string {
  const home = tempDir('home');
  makeHome(home);
  for (let i = 0; i < 30; i++) {
    write(home, `work/part-${i}/notes.md`, `# part ${i}\n`.repeat(20 + i));
    write(home, `work/part-${i}/sample.bin`, randomish(20_000 + i * 7_000, i));
  }
  write(home, 'models/a.bin', randomish(9 * 1024 * 1024 + 17, 101));
  write(home, 'models/b.bin', randomish(7 * 1024 * 1024 + 5, 102));
  return home;
}

/** What a backup leaves out of makeHome() by default, for comparing a restore with the home. */
export const excludedByDefault = (rel: string): boolean =>
  /^(\.cache|\.config|lost\+found|restored-files)(\/|$)/.test(rel);
