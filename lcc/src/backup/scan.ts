/** Walks the source folder once (lstat only), applying the excludes: the plan of a backup. */
import { Stats } from 'node:fs';
import { lstat, lstatAll, readdir, readlink } from '../repository/local-fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { Excludes } from './excludes';

/** Only what a backup needs of a stat (a full fs.Stats costs several times more, times 100k files). */
export interface ISlimStat {
  mode: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  /** Hard links: how many names the file has, on which device. */
  nlink: number;
  dev: number;
}

function slim(stat: Stats): ISlimStat {
  return {
    mode: stat.mode,
    size: stat.size,
    mtimeMs: stat.mtimeMs,
    ctimeMs: stat.ctimeMs,
    ino: stat.ino,
    nlink: stat.nlink,
    dev: stat.dev
  };
}

export type ScanNode =
  | { kind: 'file'; name: string; rel: string; stat: ISlimStat }
  | {
      kind: 'symlink';
      name: string;
      rel: string;
      stat: ISlimStat;
      target: string;
    }
  | { kind: 'dir'; name: string; rel: string; stat: ISlimStat };

export type DirNode = Extract<ScanNode, { kind: 'dir' }>;

/**
 * Lists one folder: its entries with their lstat, excludes applied, unsupported kinds reported.
 * Folders are listed one at a time (depth first), so memory follows the widest folder.
 */
export async function listDir(
  source: string,
  dir: DirNode,
  excludes: Excludes,
  warn: (message: string) => void
): Promise<ScanNode[]> {
  const children: ScanNode[] = [];
  let names: string[];
  try {
    names = (await readdir(join(source, dir.rel))).sort();
  } catch (err) {
    warn(
      `cannot list ${dir.rel || '.'}: ${(err as NodeJS.ErrnoException).code ?? err}`
    );
    return children;
  }
  const rels = names.map(name => (dir.rel ? `${dir.rel}/${name}` : name));
  const stats = await lstatAll(rels.map(rel => join(source, rel)));
  for (const [i, name] of names.entries()) {
    const rel = rels[i];
    const stat = stats[i];
    if (!(stat instanceof Stats)) {
      warn(`${rel} vanished or is unreadable (${stat.code ?? stat}): skipped`);
      continue;
    }
    if (excludes.excluded(rel, stat.isDirectory())) {
      continue;
    }
    if (stat.isDirectory()) {
      children.push({ kind: 'dir', name, rel, stat: slim(stat) });
    } else if (stat.isFile()) {
      if (stat.size > excludes.maxFileSize) {
        warn(
          `${rel} is larger than the maximum file size (${stat.size} bytes): skipped`
        );
        continue;
      }
      children.push({ kind: 'file', name, rel, stat: slim(stat) });
    } else if (stat.isSymbolicLink()) {
      try {
        children.push({
          kind: 'symlink',
          name,
          rel,
          stat: slim(stat),
          target: await readlink(join(source, rel))
        });
      } catch (err) {
        warn(
          `${rel}: cannot read the link (${(err as NodeJS.ErrnoException).code ?? err}): skipped`
        );
      }
    } else {
      const what = stat.isSocket()
        ? 'a socket'
        : stat.isFIFO()
          ? 'a FIFO'
          : 'a device';
      warn(`${rel} is ${what}: skipped`);
    }
  }
  return children;
}

export interface IScanTotals {
  fileCount: number;
  bytes: number;
  dirs: number;
}

/** A first, counting pass (lstat only, nothing kept), so that progress can show totals and an ETA. */
export async function countSource(
  source: string,
  root: DirNode,
  excludes: Excludes
): Promise<IScanTotals> {
  const totals: IScanTotals = { fileCount: 0, bytes: 0, dirs: 0 };
  // A few folders are listed at a time (the limit wraps the listing only, never the recursion).
  const listing = pLimit(4);
  const visit = async (dir: DirNode): Promise<void> => {
    totals.dirs++;
    const subdirs: DirNode[] = [];
    const children = await listing(() =>
      listDir(source, dir, excludes, () => undefined)
    );
    for (const child of children) {
      if (child.kind === 'dir') {
        subdirs.push(child);
      } else if (child.kind === 'file') {
        totals.fileCount++;
        totals.bytes += child.stat.size;
      }
    }
    // Sibling folders are counted at once: the walk is bound by file-system latency, not CPU.
    await Promise.all(subdirs.map(visit));
  };
  await visit(root);
  return totals;
}

export async function rootNode(source: string): Promise<DirNode> {
  return {
    kind: 'dir',
    name: '',
    rel: '',
    stat: slim(await checkSource(source))
  };
}

/** The folder to back up must exist and be a folder; checked before the repository is touched. */
export async function checkSource(source: string): Promise<Stats> {
  const stat = await lstat(source).catch(() => undefined);
  if (!stat) {
    throw new Error(
      `The folder to back up, ${source}, does not exist: pass --source DIR.`
    );
  }
  if (!stat.isDirectory()) {
    throw new Error(`${source} is not a folder: pass --source DIR.`);
  }
  return stat;
}
