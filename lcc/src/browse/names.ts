/** Names and paths inside a snapshot, as a manifest or a request gives them: checked before any use. */
import { isAbsolute } from 'node:path';

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
