/**
 * EventBridge (CloudTrail) → this Lambda: a user profile, space or domain was created. Records
 * where its home lives (EFS id and uid) in `studioUser`, keyed like the reference sample
 * (profile_name = user profile or space name, domain_name), and appends to `studioUserHistory`.
 * A changed EFS id or uid on an existing row is what the stream Lambda turns into a recovery.
 */
import {
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand
} from '@aws-sdk/client-dynamodb';
import {
  DescribeDomainCommand,
  DescribeSpaceCommand,
  DescribeUserProfileCommand,
  SageMakerClient
} from '@aws-sdk/client-sagemaker';
import { S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import { markPendingRestore } from './pending-restore';

export interface IStudioApiEvent {
  detail: {
    eventName: string;
    requestParameters?: Record<string, string | undefined>;
    responseElements?: Record<string, string | undefined>;
  };
}

export interface IStudioUserRow {
  profile_name: string;
  domain_name: string;
  domain_id: string;
  user_profile_name: string;
  space_name: string;
  efs_sys_id: string;
  efs_uid: string;
  role_name: string;
  /** The created resource's ARN (not stored: used to tag a space for a pending restore). */
  arn?: string;
}

export interface IDeps {
  sagemaker: SageMakerClient;
  dynamodb: DynamoDBClient;
  userTable: string;
  historyTable: string;
  now?: () => number;
}

const roleName = (arn: string | undefined) =>
  arn ? arn.slice(arn.lastIndexOf('/') + 1) : '';

/** What the event says was created, described through SageMaker; null for events we ignore. */
export async function describeCreated(
  sagemaker: SageMakerClient,
  event: IStudioApiEvent
): Promise<IStudioUserRow | null> {
  const { eventName } = event.detail;
  const p = event.detail.requestParameters ?? {};
  const domainId =
    p.domainId ??
    event.detail.responseElements?.domainArn?.split('/').pop() ??
    undefined;
  if (!domainId) {
    return null;
  }
  const domain = await sagemaker.send(
    new DescribeDomainCommand({ DomainId: domainId })
  );
  const base = {
    domain_name: domain.DomainName ?? '',
    domain_id: domainId,
    efs_sys_id: domain.HomeEfsFileSystemId ?? ''
  };
  if (eventName === 'CreateUserProfile' && p.userProfileName) {
    const profile = await sagemaker.send(
      new DescribeUserProfileCommand({
        DomainId: domainId,
        UserProfileName: p.userProfileName
      })
    );
    return {
      ...base,
      profile_name: p.userProfileName,
      user_profile_name: p.userProfileName,
      space_name: '',
      efs_uid: profile.HomeEfsFileSystemUid ?? '',
      role_name: roleName(
        profile.UserSettings?.ExecutionRole ??
          domain.DefaultUserSettings?.ExecutionRole
      )
    };
  }
  if (eventName === 'CreateSpace' && p.spaceName) {
    const space = await sagemaker.send(
      new DescribeSpaceCommand({ DomainId: domainId, SpaceName: p.spaceName })
    );
    return {
      ...base,
      profile_name: p.spaceName,
      user_profile_name: space.OwnershipSettings?.OwnerUserProfileName ?? '',
      space_name: p.spaceName,
      efs_uid: space.HomeEfsFileSystemUid ?? '',
      role_name: roleName(domain.DefaultSpaceSettings?.ExecutionRole),
      arn: space.SpaceArn
    };
  }
  if (eventName === 'CreateDomain') {
    // A recreated domain has a new EFS: remember it, so the profiles recreated in it next are
    // matched to their old homes by name (the reference only listened to profiles and spaces).
    return {
      ...base,
      profile_name: `domain#${base.domain_name}`,
      user_profile_name: '',
      space_name: '',
      efs_uid: '',
      role_name: roleName(domain.DefaultUserSettings?.ExecutionRole)
    };
  }
  return null;
}

/** Upserts the row (keeping an admin's `replication = false`) and appends a history row. */
export async function recordCreated(
  deps: IDeps,
  row: IStudioUserRow
): Promise<void> {
  const { profile_name, domain_name, ...fields } = row;
  const rest: Record<string, string> = { ...fields };
  delete rest.arn; // the resource, not part of the row
  const names: Record<string, string> = { '#replication': 'replication' };
  const values: Record<string, unknown> = { ':true': true };
  const sets = ['#replication = if_not_exists(#replication, :true)'];
  for (const [key, value] of Object.entries(rest)) {
    names[`#${key}`] = key;
    values[`:${key}`] = value;
    sets.push(`#${key} = :${key}`);
  }
  await deps.dynamodb.send(
    new UpdateItemCommand({
      TableName: deps.userTable,
      Key: marshall({ profile_name, domain_name }),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: marshall(values)
    })
  );
  await deps.dynamodb.send(
    new PutItemCommand({
      TableName: deps.historyTable,
      Item: marshall({
        ...rest,
        profile_name,
        domain_name,
        epoctime: (deps.now ?? Date.now)(),
        event: 'created'
      })
    })
  );
}

export async function handler(event: IStudioApiEvent): Promise<void> {
  const deps: IDeps = {
    sagemaker: new SageMakerClient({}),
    dynamodb: new DynamoDBClient({}),
    userTable: process.env.USER_TABLE!,
    historyTable: process.env.HISTORY_TABLE!
  };
  const row = await describeCreated(deps.sagemaker, event);
  if (!row) {
    return;
  }
  await recordCreated(deps, row);
  if (row.space_name && row.arn && process.env.BACKUP_BUCKET) {
    const tagged = await markPendingRestore(
      {
        s3: new S3Client({}),
        sagemaker: deps.sagemaker,
        bucket: process.env.BACKUP_BUCKET,
        prefix: process.env.BACKUP_PREFIX ?? 'studio-backups'
      },
      { arn: row.arn, owner: row.user_profile_name, name: row.space_name }
    );
    console.log(
      `${row.space_name}: ${tagged ? 'snapshots found, restore at first start' : 'no snapshots'}`
    );
  }
}
