import { readFileSync } from 'node:fs';
import { join } from 'node:path';

declare const STUDIO_BACKUP_VERSION: string | undefined;

/**
 * The package version: fixed at bundle time in the single-file agent (dist/studio-backup.js),
 * read from lcc/package.json (one level above src/ and lib/) otherwise.
 */
export const VERSION: string =
  typeof STUDIO_BACKUP_VERSION === 'string'
    ? STUDIO_BACKUP_VERSION
    : JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'))
        .version;
