/**
 * Migrating one repository from the reference LCC, as the backend runs it for every space
 * (`studio-backup-admin migrate`): import the full copies as deduplicated snapshots, read back every
 * byte of the repository (`check --read-data`), and only then, when asked, delete each copy whose
 * imported snapshot is there. A run cut short is run again: the import resumes, nothing verified
 * is deleted twice, nothing unverified is deleted at all.
 */
import { IBackend } from '../repository/backend';
import { Lock } from '../repository/lock';
import { listReferenceSnapshots } from '../repository/reference';
import { Repository } from '../repository/repository';
import { check } from './check';
import { deleteReferenceCopy } from './forget-reference';
import { importedCopies, importReference } from './import-reference';

export interface IMigrateOptions {
  since?: string;
  deleteCopies?: boolean;
  profile?: string;
  space?: string;
}

export interface IMigrateResult {
  copiesImported: number;
  /** Copies whose snapshot is in the repository after a check that read every byte. */
  copiesVerified: number;
  copiesDeleted: number;
  /** What check --read-data found; no copy is deleted when it found anything. */
  problems: string[];
  copiesBytes: number;
  repositoryBefore: number;
  repositoryAfter: number;
  bytesDeleted: number;
}

export async function migrateRepository(
  backend: IBackend,
  options: IMigrateOptions = {}
): Promise<IMigrateResult> {
  const imported = await importReference(backend, {
    since: options.since,
    profile: options.profile,
    space: options.space
  });
  const repo = await Repository.open(backend);
  const checked = await check(repo, { readData: true });
  const problems = checked.problems.map(p => p.message);
  const done = importedCopies(await repo.listSnapshots());
  const complete = (await listReferenceSnapshots(backend)).filter(
    c => c.complete && (!options.since || c.id >= options.since)
  );
  const verified =
    problems.length === 0 ? complete.filter(c => done.has(c.id)) : [];
  let copiesDeleted = 0;
  let bytesDeleted = 0;
  if (options.deleteCopies && verified.length > 0) {
    const lock = await Lock.exclusive(
      backend,
      'delete imported reference copies'
    );
    try {
      for (const copy of verified) {
        bytesDeleted += await deleteReferenceCopy(backend, copy.id);
        copiesDeleted++;
      }
    } finally {
      await lock.release().catch(() => undefined);
    }
  }
  return {
    copiesImported: imported.copies.filter(c => c.status === 'imported').length,
    copiesVerified: verified.length,
    copiesDeleted,
    problems,
    copiesBytes: imported.copiesBytes,
    repositoryBefore: imported.repositoryBefore,
    repositoryAfter: imported.repositoryAfter,
    bytesDeleted
  };
}
