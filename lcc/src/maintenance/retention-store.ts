/**
 * The retention policy in force for a repository, and its last maintenance run, as the backend
 * keeps them in DynamoDB: read by the maintenance Lambda, `studio-backup-admin retention` and the
 * agent (which IAM lets read only its own profile's rows and the domain's default).
 *
 * Retention table, keyed by `scope`: `default` (the domain's policy) or `profile#<name>` (an
 * override that replaces the default whole for that profile's spaces).
 * Results table, keyed by `profile` and `run` = `<space>#<ISO start time>`, so that a profile's
 * latest run of a space is one Query.
 */
import {
  DynamoDBClient,
  GetItemCommand,
  QueryCommand
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { IMaintenanceRunRow } from '../api/backend-rows';
import type { IRetentionPolicy } from './retention';

export const DEFAULT_SCOPE = 'default';
/** Keep the last 24 hourly, 14 daily, 8 weekly and 12 monthly snapshots unless the admin says otherwise. */
export const DEFAULT_RETENTION: IRetentionPolicy = {
  hourly: 24,
  daily: 14,
  weekly: 8,
  monthly: 12
};
export const RULES = ['last', 'hourly', 'daily', 'weekly', 'monthly'] as const;

export interface IRetentionSetting {
  policy: IRetentionPolicy;
  /** The admin's opt-in to forget the reference LCC's full copies by the same policy. */
  includeReferenceCopies: boolean;
  /** Where it comes from: the profile's override, the domain default, or the built-in default. */
  source: IMaintenanceRunRow['policy_source'];
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

export function describePolicy(policy: IRetentionPolicy): string {
  return RULES.filter(rule => policy[rule])
    .map(rule => `${rule} ${policy[rule]}`)
    .join(', ');
}

/** The newest maintenance run of one space of a profile, if any ran. */
export async function lastMaintenanceRun(
  dynamodb: DynamoDBClient,
  table: string,
  profile: string,
  space: string
): Promise<IMaintenanceRunRow | undefined> {
  const { Items } = await dynamodb.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: '#p = :p AND begins_with(#r, :space)',
      ExpressionAttributeNames: { '#p': 'profile', '#r': 'run' },
      ExpressionAttributeValues: marshall({
        ':p': profile,
        ':space': `${space}#`
      }),
      ScanIndexForward: false,
      Limit: 1
    })
  );
  return Items?.[0] ? (unmarshall(Items[0]) as IMaintenanceRunRow) : undefined;
}
