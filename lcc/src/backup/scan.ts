/** Walks the source folder once (lstat only), applying the excludes: the plan of a backup. */
import { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Excludes } from './excludes';

export type ScanNode =
  | { kind: 'file'; name: string; rel: string; stat: Stats }
  | { kind: 'symlink'; name: string; rel: string; stat: Stats; target: string }
  | {
      kind: 'dir';
      name: string;
      rel: string;
      stat: Stats;
      children: ScanNode[];
    };

export interface IScanResult {
  root: Extract<ScanNode, { kind: 'dir' }>;
  files: Extract<ScanNode, { kind: 'file' }>[];
  bytes: number;
  dirs: number;
}

export async function scan(
  source: string,
  excludes: Excludes,
  warn: (message: string) => void
): Promise<IScanResult> {
  const files: IScanResult['files'] = [];
  let bytes = 0;
  let dirs = 0;

  const visit = async (
    dir: Extract<ScanNode, { kind: 'dir' }>
  ): Promise<void> => {
    dirs++;
    let names: string[];
    try {
      names = (await readdir(join(source, dir.rel))).sort();
    } catch (err) {
      warn(
        `cannot list ${dir.rel || '.'}: ${(err as NodeJS.ErrnoException).code ?? err}`
      );
      return;
    }
    const rels = names.map(name => (dir.rel ? `${dir.rel}/${name}` : name));
    const stats = await Promise.all(
      rels.map(rel =>
        lstat(join(source, rel)).catch((err: NodeJS.ErrnoException) => err)
      )
    );
    for (const [i, name] of names.entries()) {
      const rel = rels[i];
      const stat = stats[i];
      if (!(stat instanceof Stats)) {
        warn(
          `${rel} vanished or is unreadable (${stat.code ?? stat}): skipped`
        );
        continue;
      }
      if (excludes.excluded(rel, stat.isDirectory())) {
        continue;
      }
      if (stat.isDirectory()) {
        const child: Extract<ScanNode, { kind: 'dir' }> = {
          kind: 'dir',
          name,
          rel,
          stat,
          children: []
        };
        dir.children.push(child);
        await visit(child);
      } else if (stat.isFile()) {
        if (stat.size > excludes.maxFileSize) {
          warn(
            `${rel} is larger than the maximum file size (${stat.size} bytes): skipped`
          );
          continue;
        }
        const node = { kind: 'file' as const, name, rel, stat };
        dir.children.push(node);
        files.push(node);
        bytes += stat.size;
      } else if (stat.isSymbolicLink()) {
        try {
          dir.children.push({
            kind: 'symlink',
            name,
            rel,
            stat,
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
  };

  const rootStat = await checkSource(source);
  const root: IScanResult['root'] = {
    kind: 'dir',
    name: '',
    rel: '',
    stat: rootStat,
    children: []
  };
  await visit(root);
  return { root, files, bytes, dirs };
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
