/** Path safety on disk: nothing a restore writes may land outside where it belongs (names: ../browse/names.ts). */
import { UnsafePathError } from '../browse/names';
import { lstat } from '../repository/local-fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Whether `path` is `root` or inside it (lexically). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return (
    rel === '' ||
    (!rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== '..')
  );
}

/**
 * Whether a symlink at `linkPath` to `target` really ends inside `root`: the target is followed
 * component by component through the links that will exist (`linkAt`: the restore's own links, then
 * the disk), so that a chain such as `l1 -> .` and `l1/l1/../../x` is judged by where it leads.
 */
export async function resolvesInside(
  root: string,
  linkPath: string,
  target: string,
  linkAt: (path: string) => Promise<string | undefined>
): Promise<boolean> {
  let current = isAbsolute(target) ? '/' : dirname(linkPath);
  let queue = target.split('/');
  let hops = 0;
  while (queue.length > 0) {
    const part = queue.shift()!;
    if (part === '' || part === '.') {
      continue;
    }
    if (part === '..') {
      current = dirname(current);
      continue;
    }
    const next = join(current, part);
    const link = await linkAt(next);
    if (link === undefined) {
      current = next;
      continue;
    }
    if (++hops > 40) {
      return false;
    }
    if (isAbsolute(link)) {
      current = '/';
    }
    queue = [...link.split('/'), ...queue];
  }
  return isInside(root, current);
}

/**
 * Fails when a folder between `root` and `path` (both included, `root` excepted) is a symlink:
 * restore never writes through one, whoever made it. `known` keeps what was found (true: there and
 * not a link; false: not there) for the calls that follow, so that a restore's folders cost one lstat
 * each rather than one per folder above them.
 */
export async function checkNoSymlinkBetween(
  root: string,
  path: string,
  what: string,
  known = new Map<string, boolean>()
): Promise<void> {
  const rel = relative(root, path);
  if (rel === '') {
    return;
  }
  let current = root;
  for (const part of rel.split(sep)) {
    current = join(current, part);
    let there = known.get(current);
    if (there === undefined) {
      const stat = await lstat(current).catch(() => undefined);
      if (stat?.isSymbolicLink()) {
        throw new UnsafePathError(
          `Refusing to restore ${what}: ${current} is a symbolic link, and restore never writes through one.`
        );
      }
      there = stat !== undefined;
      known.set(current, there);
    }
    if (!there) {
      return;
    }
  }
}
