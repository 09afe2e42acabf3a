/** What each admin command does, without argument parsing: testable against the emulator. */
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupsCommand
} from '@aws-sdk/client-ec2';
import {
  DescribeMountTargetsCommand,
  DescribeMountTargetSecurityGroupsCommand
} from '@aws-sdk/client-efs';
import {
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { existingHomes, seed } from '../core/studio-homes';
import { homeName, isDomainRow, spaceRowKey } from '../core/home-rows';
import { STUDIO_NAME } from '../../lcc/src/api/layout';
import type { IAdminContext } from './clients';

export class AdminError extends Error {}

const NFS_PORT = 2049;

async function scanAll(ctx: IAdminContext, tableName: string) {
  const items: Array<Record<string, any>> = [];
  let start: Record<string, any> | undefined;
  do {
    const page = await ctx.dynamodb.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: start })
    );
    items.push(...(page.Items ?? []).map(i => unmarshall(i)));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

export async function status(
  ctx: IAdminContext,
  filter: { domain?: string; profile?: string }
) {
  const rows = (await scanAll(ctx, ctx.userTable))
    .filter(
      r =>
        !filter.domain ||
        r.domain_name === filter.domain ||
        r.domain_id === filter.domain
    )
    .filter(r => !isDomainRow(r))
    .map((r): Record<string, any> => ({ ...r, name: homeName(r) }))
    .filter(r => !filter.profile || r.name === filter.profile)
    .sort((a, b) =>
      `${a.domain_name}/${a.name}`.localeCompare(`${b.domain_name}/${b.name}`)
    );
  return rows.map(r => ({
    domain: r.domain_name,
    profile: r.name,
    kind: r.space_name ? 'space' : 'user',
    replication: r.replication === false ? 'off' : 'on',
    efs: r.efs_sys_id ? `${r.efs_sys_id}/${r.efs_uid}` : '',
    last_recovery: r.replication_status ?? '',
    bytes: r.bytes_written ?? '',
    duration_s:
      r.total_duration_ms !== undefined
        ? Math.round(Number(r.total_duration_ms) / 1000)
        : '',
    error: r.replication_error ?? ''
  }));
}

export async function setReplication(
  ctx: IAdminContext,
  domain: string,
  name: { profile?: string; space?: string },
  on: boolean,
  dryRun: boolean
) {
  const profile = name.space ?? name.profile ?? '';
  const key = marshall({
    profile_name: name.space ? spaceRowKey(name.space) : profile,
    domain_name: domain
  });
  const current = await ctx.dynamodb.send(
    new GetItemCommand({ TableName: ctx.userTable, Key: key })
  );
  if (!current.Item) {
    throw new AdminError(
      `No ${name.space ? 'space' : 'profile'} ${profile} in domain ${domain} in ${ctx.userTable}: run "studio-backup-admin status" to list them.`
    );
  }
  const before = unmarshall(current.Item).replication !== false;
  const change = {
    domain,
    profile,
    replication: on ? 'on' : 'off',
    was: before ? 'on' : 'off',
    dryRun
  };
  if (!dryRun && before !== on) {
    await ctx.dynamodb.send(
      new UpdateItemCommand({
        TableName: ctx.userTable,
        Key: key,
        UpdateExpression: 'SET replication = :r',
        ExpressionAttributeValues: marshall({ ':r': on })
      })
    );
  }
  return change;
}

/**
 * `<old>:<new>` pairs → space_map (new space → old space): a new space takes over the repository of
 * the old space named here instead of the one of its own name (core/mapped-restore.ts).
 */
export function spaceMap(pairs: string[] = []): Record<string, string> {
  const spaces: Record<string, string> = {};
  for (const pair of pairs) {
    const [old, created, ...rest] = pair.split(':');
    if (
      !STUDIO_NAME.test(old ?? '') ||
      !STUDIO_NAME.test(created ?? '') ||
      rest.length
    ) {
      throw new AdminError(
        `--space must be <old space>:<new space>, got "${pair}".`
      );
    }
    spaces[created] = old;
  }
  return spaces;
}

/**
 * Points a profile that does not exist yet at the home of another, so its creation recovers that
 * home, and each space created in it the old profile's space of the same name (or as `spaces` says).
 */
export async function map(
  ctx: IAdminContext,
  from: { domain: string; profile: string },
  to: { domain: string; profile: string },
  dryRun: boolean,
  spaces: Record<string, string> = {}
) {
  const source = await ctx.dynamodb.send(
    new GetItemCommand({
      TableName: ctx.userTable,
      Key: marshall({ profile_name: from.profile, domain_name: from.domain })
    })
  );
  if (!source.Item) {
    throw new AdminError(
      `No profile ${from.profile} in domain ${from.domain}: nothing to map from.`
    );
  }
  const s = unmarshall(source.Item);
  const row = {
    profile_name: to.profile,
    domain_name: to.domain,
    replication: true,
    efs_sys_id: s.efs_sys_id,
    efs_uid: s.efs_uid,
    domain_id: s.domain_id,
    user_profile_name: to.profile,
    space_name: '',
    mapped_from: `${from.domain}/${from.profile}`,
    ...(Object.keys(spaces).length ? { space_map: spaces } : {})
  };
  if (!dryRun) {
    try {
      await ctx.dynamodb.send(
        new PutItemCommand({
          TableName: ctx.userTable,
          Item: marshall(row),
          ConditionExpression: 'attribute_not_exists(profile_name)'
        })
      );
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') {
        throw new AdminError(
          `${to.domain}/${to.profile} already exists: a mapping is only for a profile that is not created yet.`
        );
      }
      throw err;
    }
  }
  return { ...row, dryRun };
}

/** Lets DataSync's security group reach every mount target of the file systems on NFS (TCP 2049). */
export async function allowDataSync(
  ctx: IAdminContext,
  fileSystems: string[],
  dataSyncGroup: string,
  dryRun: boolean
) {
  const changes: Array<{
    file_system: string;
    mount_target: string;
    security_group: string;
    action: string;
  }> = [];
  for (const fileSystem of fileSystems) {
    const targets =
      (
        await ctx.efs.send(
          new DescribeMountTargetsCommand({ FileSystemId: fileSystem })
        )
      ).MountTargets ?? [];
    for (const target of targets) {
      const groups =
        (
          await ctx.efs.send(
            new DescribeMountTargetSecurityGroupsCommand({
              MountTargetId: target.MountTargetId
            })
          )
        ).SecurityGroups ?? [];
      for (const group of groups) {
        const described = await ctx.ec2.send(
          new DescribeSecurityGroupsCommand({ GroupIds: [group] })
        );
        const present = (
          described.SecurityGroups?.[0]?.IpPermissions ?? []
        ).some(
          p =>
            p.IpProtocol === 'tcp' &&
            (p.FromPort ?? 0) <= NFS_PORT &&
            (p.ToPort ?? 0) >= NFS_PORT &&
            (p.UserIdGroupPairs ?? []).some(
              pair => pair.GroupId === dataSyncGroup
            )
        );
        const action = present
          ? 'already allowed'
          : dryRun
            ? 'would allow'
            : 'allowed';
        if (!present && !dryRun) {
          await ctx.ec2.send(
            new AuthorizeSecurityGroupIngressCommand({
              GroupId: group,
              IpPermissions: [
                {
                  IpProtocol: 'tcp',
                  FromPort: NFS_PORT,
                  ToPort: NFS_PORT,
                  UserIdGroupPairs: [
                    {
                      GroupId: dataSyncGroup,
                      Description: 'Studio Backup DataSync (NFS)'
                    }
                  ]
                }
              ]
            })
          );
        }
        changes.push({
          file_system: fileSystem,
          mount_target: target.MountTargetId!,
          security_group: group,
          action
        });
      }
    }
  }
  return changes;
}

export async function seedCommand(
  ctx: IAdminContext,
  domain: string | undefined,
  dryRun: boolean
) {
  const rows = dryRun
    ? await existingHomes(ctx, domain)
    : await seed(ctx, domain);
  return rows.map(r => ({
    domain: r.domain_name,
    profile: homeName(r),
    efs: r.efs_sys_id ? `${r.efs_sys_id}/${r.efs_uid}` : '',
    action: dryRun ? 'would record' : 'recorded'
  }));
}

export async function listRequests(ctx: IAdminContext, state?: string) {
  const rows = await scanAll(ctx, ctx.requestsTable);
  return rows
    .filter(r => !state || r.state === state)
    .sort((a, b) => String(a.created).localeCompare(String(b.created)));
}

/** One request, every attribute (the failure's cause, the copy's progress). */
export async function getRequest(
  ctx: IAdminContext,
  profile: string,
  id: string
): Promise<Record<string, unknown>> {
  const found = await ctx.dynamodb.send(
    new GetItemCommand({
      TableName: ctx.requestsTable,
      Key: marshall({ user_profile_name: profile, request_id: id })
    })
  );
  if (!found.Item) {
    throw new AdminError(
      `No request ${id} for ${profile}: see "studio-backup-admin requests list".`
    );
  }
  return unmarshall(found.Item);
}

/** Approves or rejects a request waiting for an admin (a recovery from another profile). */
export async function decideRequest(
  ctx: IAdminContext,
  profile: string,
  id: string,
  decision: 'approved' | 'rejected',
  reason: string | undefined,
  dryRun: boolean
) {
  const key = marshall({ user_profile_name: profile, request_id: id });
  const request = await getRequest(ctx, profile, id);
  if (request.state !== 'pending-approval') {
    throw new AdminError(
      `Request ${id} is ${request.state}, not waiting for approval.`
    );
  }
  if (!dryRun) {
    await ctx.dynamodb.send(
      new UpdateItemCommand({
        TableName: ctx.requestsTable,
        Key: key,
        UpdateExpression: 'SET #s = :s, decided = :d, message = :m',
        ConditionExpression: '#s = :pending',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: marshall({
          ':s': decision,
          ':d': new Date().toISOString(),
          ':m': reason ?? `${decision} by an admin`,
          ':pending': 'pending-approval'
        })
      })
    );
  }
  return { profile, id, state: decision, dryRun };
}
