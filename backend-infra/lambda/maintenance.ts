/**
 * One item of the maintenance state machine's map: retention and garbage collection of one
 * repository, `<prefix>/<profile>/<space>`, with the engine's own forget and prune (bundled from
 * lcc/src, so the backend and `studio-backup forget|prune` are one implementation).
 *
 * - The policy is the profile's override, else the domain default, else 24 hourly, 14 daily,
 *   8 weekly, 12 monthly (retention-store.ts).
 * - forget and prune each take the repository's exclusive lock. A running backup (a shared lock) or
 *   another prune makes the run end as `skipped-locked`, with nothing changed: tomorrow's run retries.
 * - The reference LCC's full copies are listed, never deleted, unless the admin opted in
 *   (`retention set --include-reference-copies`).
 * - A prune that stops on something unreadable is a failure the admin must look at: it is recorded
 *   and thrown as `PruneStopped`, which the state machine does not retry and sends to the DLQ.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { forget } from '../../lcc/src/maintenance/forget';
import { forgetReferenceCopies } from '../../lcc/src/maintenance/forget-reference';
import { prune, PruneStoppedError } from '../../lcc/src/maintenance/prune';
import { IRetentionPolicy } from '../../lcc/src/maintenance/retention';
import { IBackend } from '../../lcc/src/repository/backend';
import { FormatError } from '../../lcc/src/repository/format';
import { LockError } from '../../lcc/src/repository/lock';
import { listReferenceSnapshots } from '../../lcc/src/repository/reference';
import { Repository } from '../../lcc/src/repository/repository';
import { S3Backend } from '../../lcc/src/repository/s3-backend';
import {
  describePolicy,
  DEFAULT_RETENTION,
  IMaintenanceResult,
  IRetentionSetting,
  recordResult,
  retentionFor
} from '../core/retention-store';
import { repositoryOf } from '../core/bucket-layout';

/** A map item: the repository's key prefix (from the list of repositories the run starts with). */
export interface IMaintenanceItem {
  prefix: string;
}

export interface IMaintenanceContext {
  bucket: string;
  /** The backups prefix under which repositories are `<profile>/<space>`. */
  root: string;
  dynamodb?: DynamoDBClient;
  retentionTable?: string;
  resultsTable?: string;
  /** Packs younger than this are never deleted (default: the engine's, one hour). */
  graceMs?: number;
  log?: (line: string) => void;
}

export class PruneStopped extends Error {
  override name = 'PruneStopped';
}

async function storedBytes(backend: IBackend): Promise<number> {
  let total = 0;
  for await (const item of backend.list('')) {
    total += item.size;
  }
  return total;
}

async function setting(
  ctx: IMaintenanceContext,
  profile: string
): Promise<IRetentionSetting> {
  if (ctx.dynamodb && ctx.retentionTable) {
    return retentionFor(ctx.dynamodb, ctx.retentionTable, profile);
  }
  return {
    policy: DEFAULT_RETENTION,
    includeReferenceCopies: false,
    source: 'built-in'
  };
}

async function openRepository(
  backend: IBackend
): Promise<Repository | undefined> {
  try {
    return await Repository.open(backend);
  } catch (err) {
    if (err instanceof FormatError && !(await backend.exists('config'))) {
      return undefined; // only reference copies here (or nothing at all)
    }
    throw err;
  }
}

export async function runMaintenance(
  item: IMaintenanceItem,
  ctx: IMaintenanceContext
): Promise<IMaintenanceResult> {
  const started = Date.now();
  const prefix = item.prefix.replace(/\/$/, '');
  const { profile, space } = repositoryOf(prefix, ctx.root);
  const backend = S3Backend.create(ctx.bucket, prefix);
  const retention = await setting(ctx, profile);
  const policy: IRetentionPolicy = retention.policy;
  const result: IMaintenanceResult = {
    repository: `s3://${ctx.bucket}/${prefix}`,
    profile,
    space,
    status: 'done',
    policy: describePolicy(policy),
    policySource: retention.source,
    includeReferenceCopies: retention.includeReferenceCopies,
    snapshotsForgotten: 0,
    snapshotsKept: 0,
    referenceCopiesForgotten: 0,
    referenceCopiesKept: 0,
    packsDeleted: 0,
    bytesFreed: 0,
    storedBytes: 0,
    startedAt: new Date(started).toISOString(),
    durationMs: 0
  };
  let failure: Error | undefined;
  try {
    const repo = await openRepository(backend);
    if (repo) {
      const decision = await forget(repo, policy);
      result.snapshotsForgotten = decision.remove.length;
      result.snapshotsKept = decision.keep.length;
      const pruned = await prune(repo, {
        graceMs: ctx.graceMs,
        log: ctx.log
      });
      result.packsDeleted = pruned.packsDeleted;
      result.bytesFreed += pruned.bytesFreed;
    } else if (!retention.includeReferenceCopies) {
      result.status = 'no-repository';
      result.message = 'No Studio Backup repository here (no config).';
    }
    if (retention.includeReferenceCopies) {
      const copies = await forgetReferenceCopies(backend, policy);
      result.referenceCopiesForgotten = copies.removed.length;
      result.referenceCopiesKept = copies.kept;
      result.bytesFreed += copies.bytesFreed;
    } else {
      result.referenceCopiesKept = (
        await listReferenceSnapshots(backend)
      ).length;
    }
  } catch (err) {
    if (err instanceof LockError) {
      result.status = 'skipped-locked';
      result.message = `Skipped, retried at the next run: ${err.message}`;
    } else {
      result.status = 'failed';
      result.message = (err as Error).message;
      failure =
        err instanceof PruneStoppedError
          ? new PruneStopped(`${result.repository}: ${result.message}`)
          : (err as Error);
    }
  }
  result.storedBytes = await storedBytes(backend).catch(() => 0);
  result.durationMs = Date.now() - started;
  if (ctx.dynamodb && ctx.resultsTable) {
    await recordResult(ctx.dynamodb, ctx.resultsTable, result);
  }
  ctx.log?.(JSON.stringify(result));
  if (failure) {
    throw failure;
  }
  return result;
}

let dynamodb: DynamoDBClient | undefined;

export async function handler(
  event: IMaintenanceItem
): Promise<IMaintenanceResult> {
  dynamodb ??= new DynamoDBClient({});
  return runMaintenance(event, {
    bucket: process.env.BACKUP_BUCKET!,
    root: process.env.BACKUP_PREFIX!,
    dynamodb,
    retentionTable: process.env.RETENTION_TABLE,
    resultsTable: process.env.RESULTS_TABLE,
    log: line => console.log(line)
  });
}
