/** Path safety: nothing from a manifest or a request may point outside where it belongs. */
import { isAbsolute, relative, resolve, sep } from 'node:path';

export class UnsafePathError extends Error {}

/** A single name inside a folder: not empty, not "." or "..", no separators or NUL. */
export function checkName(name: string, where: string): void {
  if (
    name === '' ||
    name === '.' ||
    name === '..' ||
    name.includes('/') ||
    name.includes('\\') ||
    name.includes('\0')
  ) {
    throw new UnsafePathError(
      `Refusing to restore: the snapshot has an unsafe name ${JSON.stringify(name)} in ${where || '/'}; nothing was written.`
    );
  }
}

/** A relative path given by a user or a request, normalised to "a/b/c"; "" is the whole snapshot. */
export function normaliseRelative(path: string): string {
  const cleaned = path.replace(/\\/g, '/');
  if (isAbsolute(cleaned) || cleaned.startsWith('/')) {
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

/** Whether a symlink at `linkPath` pointing to `target` stays inside `root`. */
export function linkStaysInside(
  root: string,
  linkPath: string,
  target: string
): boolean {
  if (isAbsolute(target)) {
    return isInside(root, target);
  }
  return isInside(root, resolve(linkPath, '..', target));
}
