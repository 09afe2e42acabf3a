import { IBackend } from './backend';
import { FileBackend } from './file-backend';
import { FormatError } from './format';
import { parseLocation } from './location';
import { hasReferenceCopies, ReadOnlyBackend } from './reference';
import { Repository } from './repository';
import { S3Backend } from './s3-backend';

/** Opens the storage behind a repository URL (s3://, file:// or a directory). */
export function openBackend(url: string): IBackend {
  const location = parseLocation(url);
  return location.kind === 's3'
    ? S3Backend.create(location.bucket, location.prefix)
    : new FileBackend(location.path);
}

/**
 * Opens a repository to read from. Where there is none but the reference LCC left its copies, those
 * are read as they are, through a backend that refuses every write: nothing is created there.
 */
export async function openForReading(url: string): Promise<Repository> {
  const backend = openBackend(url);
  try {
    return await Repository.open(backend);
  } catch (err) {
    if (
      !(err instanceof FormatError) ||
      !err.message.startsWith('No Studio Backup repository at ') ||
      !(await hasReferenceCopies(backend))
    ) {
      throw err;
    }
    return Repository.overReferenceCopies(new ReadOnlyBackend(backend));
  }
}
