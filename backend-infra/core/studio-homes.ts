/**
 * Where each Studio home lives: a created (or, when seeding, an existing) user profile, space or
 * domain described through SageMaker, recorded in `studioUser` keyed like the reference sample
 * (profile_name = user profile name, domain_name), with a row in `studioUserHistory`. Spaces and
 * domains have prefixed keys (Studio names cannot hold '#'): a space may be named like a profile.
 * Used by the studio-events and seed Lambdas and by `studio-backup-admin seed`.
 */
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand
} from '@aws-sdk/client-dynamodb';
import {
  DescribeDomainCommand,
  DescribeSpaceCommand,
  DescribeUserProfileCommand,
  paginateListDomains,
  paginateListSpaces,
  paginateListUserProfiles,
  SageMakerClient
} from '@aws-sdk/client-sagemaker';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { domainRowKey, spaceRowKey } from './home-rows';

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
      profile_name: spaceRowKey(p.spaceName),
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
      profile_name: domainRowKey(base.domain_name),
      user_profile_name: '',
      space_name: '',
      efs_uid: '',
      role_name: roleName(domain.DefaultUserSettings?.ExecutionRole)
    };
  }
  return null;
}

/**
 * Spaces used to be keyed by their bare name, which a profile's name could share (one row then
 * overwrote the other). A space's row of that kind moves under its own key before it is updated,
 * so that its recreation is still a change of an existing row (which starts its recovery).
 */
async function adoptLegacySpaceRow(
  deps: IDeps,
  row: IStudioUserRow
): Promise<void> {
  const legacyKey = marshall({
    profile_name: row.space_name,
    domain_name: row.domain_name
  });
  const legacy = await deps.dynamodb.send(
    new GetItemCommand({ TableName: deps.userTable, Key: legacyKey })
  );
  const item = legacy.Item ? unmarshall(legacy.Item) : undefined;
  if (!item || item.space_name !== row.space_name) {
    return;
  }
  try {
    await deps.dynamodb.send(
      new PutItemCommand({
        TableName: deps.userTable,
        Item: marshall({ ...item, profile_name: row.profile_name }),
        ConditionExpression: 'attribute_not_exists(profile_name)'
      })
    );
  } catch (err) {
    if ((err as Error).name !== 'ConditionalCheckFailedException') {
      throw err;
    }
  }
  await deps.dynamodb
    .send(
      new DeleteItemCommand({
        TableName: deps.userTable,
        Key: legacyKey,
        ConditionExpression: 'space_name = :s',
        ExpressionAttributeValues: marshall({ ':s': row.space_name })
      })
    )
    .catch((err: Error) => {
      if (err.name !== 'ConditionalCheckFailedException') {
        throw err;
      }
    });
}

/** Upserts the row (keeping an admin's `replication = false`) and appends a history row. */
export async function recordCreated(
  deps: IDeps,
  row: IStudioUserRow
): Promise<void> {
  if (row.space_name) {
    await adoptLegacySpaceRow(deps, row);
  }
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

/** Every item of every page (the List calls return 10 at a time by default). */
async function all<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) {
    out.push(page);
  }
  return out;
}

/** Every profile and space (of one domain, or all), described as the CreateX events would be. */
export async function existingHomes(
  deps: Pick<IDeps, 'sagemaker'>,
  onlyDomain?: string
): Promise<IStudioUserRow[]> {
  const client = { client: deps.sagemaker };
  const domains = (await all(paginateListDomains(client, {}))).flatMap(
    p => p.Domains ?? []
  );
  const rows: IStudioUserRow[] = [];
  for (const domain of domains) {
    const domainId = domain.DomainId!;
    if (
      onlyDomain &&
      onlyDomain !== domainId &&
      onlyDomain !== domain.DomainName
    ) {
      continue;
    }
    // A fresh input each: the SDK's paginators write their NextToken into it.
    const query = () => ({ DomainIdEquals: domainId });
    const created = [
      ...(await all(paginateListUserProfiles(client, query()))).flatMap(p =>
        (p.UserProfiles ?? []).map(u => ({
          eventName: 'CreateUserProfile',
          requestParameters: { domainId, userProfileName: u.UserProfileName }
        }))
      ),
      ...(await all(paginateListSpaces(client, query()))).flatMap(p =>
        (p.Spaces ?? []).map(sp => ({
          eventName: 'CreateSpace',
          requestParameters: { domainId, spaceName: sp.SpaceName }
        }))
      )
    ];
    for (const detail of created) {
      const row = await describeCreated(deps.sagemaker, { detail });
      if (row) rows.push(row);
    }
  }
  return rows;
}

export async function seed(
  deps: IDeps,
  onlyDomain?: string
): Promise<IStudioUserRow[]> {
  const rows = await existingHomes(deps, onlyDomain);
  for (const row of rows) {
    await recordCreated(deps, row);
  }
  return rows;
}
