/**
 * One item of the migration state machine's map (`studio-backup-admin migrate`): the reference
 * LCC's full copies of one repository, `<prefix>/<profile>/<space>`, imported as deduplicated
 * snapshots by the engine's own code, verified by reading every byte back, and deleted only when
 * the admin asked and only once verified (lcc/src/maintenance/migrate.ts).
 */
import {
  IMigrateResult,
  migrateRepository
} from '../../lcc/src/maintenance/migrate';
import { listReferenceSnapshots } from '../../lcc/src/repository/reference';
import { S3Backend } from '../../lcc/src/repository/s3-backend';
import { repositoryOf } from '../core/bucket-layout';

export interface IMigrationItem {
  prefix: string;
  deleteCopies?: boolean;
  /** YYYY-MM-DD or YYYY-MM-DD-HH-MM-SS; '' for every copy. */
  since?: string;
  /** The domain's user profiles; a repository of another profile is skipped. */
  profiles?: string[];
}

export interface IMigrationResult extends Partial<IMigrateResult> {
  repository: string;
  profile: string;
  space: string;
  status: 'migrated' | 'no-copies' | 'not-in-domain' | 'check-failed';
}

export async function runMigration(
  item: IMigrationItem,
  ctx: { bucket: string; root: string; log?: (line: string) => void }
): Promise<IMigrationResult> {
  const prefix = item.prefix.replace(/\/$/, '');
  const { profile, space } = repositoryOf(prefix, ctx.root);
  const base = { repository: `s3://${ctx.bucket}/${prefix}`, profile, space };
  if (item.profiles && !item.profiles.includes(profile)) {
    return { ...base, status: 'not-in-domain' };
  }
  const backend = S3Backend.create(ctx.bucket, prefix);
  // A repository with no copy of the reference LCC is left as it is (none is created).
  if ((await listReferenceSnapshots(backend)).length === 0) {
    return { ...base, status: 'no-copies' };
  }
  const result = await migrateRepository(backend, {
    since: item.since || undefined,
    deleteCopies: item.deleteCopies === true,
    profile,
    space
  });
  ctx.log?.(
    `${base.repository}: ${result.copiesImported} copies imported, ${result.copiesVerified} verified, ${result.copiesDeleted} deleted${result.problems.length ? `; check found ${result.problems.length} problems` : ''}`
  );
  return {
    ...base,
    ...result,
    status: result.problems.length > 0 ? 'check-failed' : 'migrated'
  };
}

export async function handler(
  event: IMigrationItem
): Promise<IMigrationResult> {
  return runMigration(event, {
    bucket: process.env.BACKUP_BUCKET!,
    root: process.env.BACKUP_PREFIX!,
    log: line => console.log(line)
  });
}
