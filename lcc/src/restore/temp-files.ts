/**
 * Restore writes each file under a short temporary name in the same folder, then renames it into
 * place. The name is short whatever the file's (a 255-byte name still fits), recognisable so that a
 * later restore removes what a killed one left, and never backed up.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from '../repository/local-fs';
import pLimit from 'p-limit';
import { join } from 'node:path';
import { RESTORE_TEMP } from '../backup/excludes';

export function tempPathIn(dir: string): string {
  return join(dir, `.studio-backup-${randomBytes(4).toString('hex')}.tmp`);
}

export function isRestoreTemp(name: string): boolean {
  return RESTORE_TEMP.test(name);
}

/** Removes the temp files a killed restore left in these folders (missing folders are fine). */
export async function removeStaleTemps(dirs: Iterable<string>): Promise<void> {
  const limit = pLimit(16);
  await Promise.all(
    [...dirs].map(dir =>
      limit(async () => {
        const names = await readdir(dir).catch(() => [] as string[]);
        for (const name of names.filter(isRestoreTemp)) {
          await rm(join(dir, name), { force: true });
        }
      })
    )
  );
}
