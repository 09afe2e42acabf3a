/** Path safety: nothing from a manifest or a request may point outside where it belongs. */
import { lstat } from '../repository/local-fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export class UnsafePathError extends Error {}

/** A single name inside a folder: not empty, not "." or "..", no "/" or NUL (a backslash is a legal name). */
export function checkName(name: string, where: string): void {
  if (
    name === '' ||
    name === '.' ||
    name === '..' ||
    name.includes('/') ||
    name.includes('\0')
  ) {
    throw new UnsafePathError(
      `Refusing to restore: the snapshot has an unsafe name ${JSON.stringify(name)} in ${where || '/'}; nothing was written.`
    );
  }
}

/** A relative path given by a user or a request, normalised to "a/b/c"; "" is the whole snapshot. */
export function normaliseRelative(path: string): string {
  const cleaned = path;
  if (isAbsolute(cleaned)) {
    throw new UnsafePathError(
      `The path ${JSON.stringify(path)} is absolute: give it relative to the home, e.g. "project/notebook.ipynb".`
    );
  }
  const parts = cleaned.split('/').filter(part => part !== '' && part !== '.');
  if (parts.some(part => part === '..' || part.includes('\0'))) {
    throw new UnsafePathError(
      `The path ${JSON.stringify(path)} leaves the home: ".." is not allowed.`
    );
  }
  return parts.join('/');
}

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
 * restore never writes through one, whoever made it.
 */
export async function checkNoSymlinkBetween(
  root: string,
  path: string,
  what: string
): Promise<void> {
  const rel = relative(root, path);
  if (rel === '') {
    return;
  }
  let current = root;
  for (const part of rel.split(sep)) {
    current = join(current, part);
    const stat = await lstat(current).catch(() => undefined);
    if (!stat) {
      return;
    }
    if (stat.isSymbolicLink()) {
      throw new UnsafePathError(
        `Refusing to restore ${what}: ${current} is a symbolic link, and restore never writes through one.`
      );
    }
  }
}
