/**
 * The writing side of the retention and results tables, for `studio-backup-admin retention` and
 * the maintenance Lambda. Reading the policy in force and the last run is the engine's
 * (lcc/src/maintenance/retention-store.ts), which the agent shares.
 */
import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { IMaintenanceRunRow } from '../../lcc/src/api/backend-rows';
import type { IRetentionPolicy } from '../../lcc/src/maintenance/retention';
import {
  IRetentionSetting,
  RULES
} from '../../lcc/src/maintenance/retention-store';

export {
  DEFAULT_RETENTION,
  DEFAULT_SCOPE,
  defaultRetention,
  describePolicy,
  profileScope,
  retentionFor,
  RULES
} from '../../lcc/src/maintenance/retention-store';
export type { IRetentionSetting } from '../../lcc/src/maintenance/retention-store';

/** Results rows expire after this long (DynamoDB TTL on `expires_at`). */
export const RESULT_DAYS = 400;

export async function writeRetention(
  dynamodb: DynamoDBClient,
  table: string,
  scope: string,
  setting: { policy: IRetentionPolicy; includeReferenceCopies: boolean },
  now = new Date()
): Promise<void> {
  const row: Record<string, unknown> = {
    scope,
    include_reference_copies: setting.includeReferenceCopies,
    updated_at: now.toISOString()
  };
  for (const rule of RULES) {
    if (setting.policy[rule]) {
      row[`keep_${rule}`] = setting.policy[rule];
    }
  }
  await dynamodb.send(
    new PutItemCommand({ TableName: table, Item: marshall(row) })
  );
}

/** Drops a profile's override: the domain default applies to it again. */
export async function removeRetention(
  dynamodb: DynamoDBClient,
  table: string,
  scope: string
): Promise<void> {
  await dynamodb.send(
    new DeleteItemCommand({ TableName: table, Key: marshall({ scope }) })
  );
}

/** What one maintenance run did to one repository. */
export interface IMaintenanceResult {
  repository: string;
  profile: string;
  space: string;
  /** done; skipped-locked (a backup or another prune held the lock); no-repository; failed. */
  status: 'done' | 'skipped-locked' | 'no-repository' | 'failed';
  message?: string;
  policy: string;
  policySource: IRetentionSetting['source'];
  includeReferenceCopies: boolean;
  snapshotsForgotten: number;
  snapshotsKept: number;
  referenceCopiesForgotten: number;
  referenceCopiesKept: number;
  packsDeleted: number;
  bytesFreed: number;
  storedBytes: number;
  startedAt: string;
  durationMs: number;
}

export async function recordResult(
  dynamodb: DynamoDBClient,
  table: string,
  result: IMaintenanceResult
): Promise<void> {
  const expires =
    Math.floor(Date.parse(result.startedAt) / 1000) + RESULT_DAYS * 86400;
  await dynamodb.send(
    new PutItemCommand({
      TableName: table,
      Item: marshall(
        {
          profile: result.profile,
          run: `${result.space}#${result.startedAt}`,
          repository: result.repository,
          space: result.space,
          status: result.status,
          message: result.message,
          policy: result.policy,
          policy_source: result.policySource,
          include_reference_copies: result.includeReferenceCopies,
          snapshots_forgotten: result.snapshotsForgotten,
          snapshots_kept: result.snapshotsKept,
          reference_copies_forgotten: result.referenceCopiesForgotten,
          reference_copies_kept: result.referenceCopiesKept,
          packs_deleted: result.packsDeleted,
          bytes_freed: result.bytesFreed,
          stored_bytes: result.storedBytes,
          started_at: result.startedAt,
          duration_ms: result.durationMs,
          expires_at: expires
        } satisfies IMaintenanceRunRow,
        { removeUndefinedValues: true }
      )
    })
  );
}
