/**
 * The retention policy in force for a repository, and the record of each maintenance run, in
 * DynamoDB. Shared by the maintenance Lambda and `studio-backup-admin retention`.
 *
 * Retention table, keyed by `scope`: `default` (the domain's policy) or `profile#<name>` (an
 * override that replaces the default whole for that profile's spaces).
 * Results table, keyed by `profile` and `run` = `<space>#<ISO start time>`, so that a profile's
 * latest run of a space is one Query (the agent reads its own profile's rows).
 */
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { IRetentionPolicy } from '../../lcc/src/maintenance/retention';

export const DEFAULT_SCOPE = 'default';
/** Keep the last 24 hourly, 14 daily, 8 weekly and 12 monthly snapshots unless the admin says otherwise. */
export const DEFAULT_RETENTION: IRetentionPolicy = {
  hourly: 24,
  daily: 14,
  weekly: 8,
  monthly: 12
};
/** Results rows expire after this long (DynamoDB TTL on `expires_at`). */
export const RESULT_DAYS = 400;
export const RULES = ['last', 'hourly', 'daily', 'weekly', 'monthly'] as const;

export interface IRetentionSetting {
  policy: IRetentionPolicy;
  /** The admin's opt-in to forget the reference LCC's full copies by the same policy. */
  includeReferenceCopies: boolean;
  /** Where it comes from: the profile's override, the domain default, or the built-in default. */
  source: 'profile' | 'default' | 'built-in';
  updatedAt?: string;
}

export function profileScope(profile: string): string {
  return `profile#${profile}`;
}

function fromRow(
  row: Record<string, any>,
  source: IRetentionSetting['source']
): IRetentionSetting {
  const policy: IRetentionPolicy = {};
  for (const rule of RULES) {
    if (typeof row[`keep_${rule}`] === 'number' && row[`keep_${rule}`] > 0) {
      policy[rule] = row[`keep_${rule}`];
    }
  }
  return {
    policy,
    includeReferenceCopies: row.include_reference_copies === true,
    source,
    updatedAt: row.updated_at
  };
}

async function readScope(
  dynamodb: DynamoDBClient,
  table: string,
  scope: string
): Promise<Record<string, any> | undefined> {
  const { Item } = await dynamodb.send(
    new GetItemCommand({
      TableName: table,
      Key: marshall({ scope }),
      ConsistentRead: true
    })
  );
  return Item ? unmarshall(Item) : undefined;
}

/** The policy for one profile: its override, else the domain default, else the built-in default. */
export async function retentionFor(
  dynamodb: DynamoDBClient,
  table: string,
  profile: string
): Promise<IRetentionSetting> {
  const own = await readScope(dynamodb, table, profileScope(profile));
  if (own) {
    return fromRow(own, 'profile');
  }
  return defaultRetention(dynamodb, table);
}

export async function defaultRetention(
  dynamodb: DynamoDBClient,
  table: string
): Promise<IRetentionSetting> {
  const row = await readScope(dynamodb, table, DEFAULT_SCOPE);
  return row
    ? fromRow(row, 'default')
    : {
        policy: DEFAULT_RETENTION,
        includeReferenceCopies: false,
        source: 'built-in'
      };
}

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

export function describePolicy(policy: IRetentionPolicy): string {
  return RULES.filter(rule => policy[rule])
    .map(rule => `${rule} ${policy[rule]}`)
    .join(', ');
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
        },
        { removeUndefinedValues: true }
      )
    })
  );
}
