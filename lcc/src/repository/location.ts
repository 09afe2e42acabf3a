import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where a repository lives: an S3 bucket and prefix, or a local directory. */
export type RepositoryLocation =
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'file'; path: string };

/** A location given by the user that cannot be used; the message says what to write instead. */
export class LocationError extends Error {}

// S3 bucket naming rules, simplified to what a user can get wrong by hand.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://bucket/prefix`, `file:///abs/dir` or a plain directory path. */
export function parseLocation(text: string): RepositoryLocation {
  const value = text.trim();
  if (value === '') {
    throw new LocationError(
      'No repository given: pass --repo s3://bucket/prefix or --repo file:///dir (or set STUDIO_BACKUP_REPO).'
    );
  }
  if (value.startsWith('s3://')) {
    const rest = value.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const prefix = slash === -1 ? '' : rest.slice(slash + 1);
    if (!BUCKET_NAME.test(bucket)) {
      throw new LocationError(
        `"${bucket}" is not a valid S3 bucket name in ${value}: use s3://bucket/prefix.`
      );
    }
    const parts = prefix.split('/').filter(part => part !== '');
    if (parts.some(part => part === '.' || part === '..')) {
      throw new LocationError(
        `The S3 prefix in ${value} contains "." or ".." segments: write the prefix plainly.`
      );
    }
    return { kind: 's3', bucket, prefix: parts.join('/') };
  }
  if (value.startsWith('file:')) {
    let path: string;
    try {
      path = fileURLToPath(value);
    } catch {
      throw new LocationError(
        `${value} is not a valid file URL: use file:///absolute/dir.`
      );
    }
    return { kind: 'file', path: resolve(path) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new LocationError(
      `Unsupported repository scheme in ${value}: use s3://bucket/prefix or file:///dir.`
    );
  }
  return {
    kind: 'file',
    path: isAbsolute(value) ? resolve(value) : resolve(process.cwd(), value)
  };
}

/** The canonical URL of a location, as shown to users and returned by the API. */
export function formatLocation(location: RepositoryLocation): string {
  if (location.kind === 's3') {
    return `s3://${location.bucket}/${location.prefix}`.replace(/\/$/, '');
  }
  return pathToFileURL(location.path).href;
}
