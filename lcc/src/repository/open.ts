import { IBackend } from './backend';
import { FileBackend } from './file-backend';
import { parseLocation } from './location';
import { S3Backend } from './s3-backend';

/** Opens the storage behind a repository URL (s3://, file:// or a directory). */
export function openBackend(url: string): IBackend {
  const location = parseLocation(url);
  return location.kind === 's3'
    ? S3Backend.create(location.bucket, location.prefix)
    : new FileBackend(location.path);
}
