/**
 * `studio-backup-admin roles create`: the isolation mode that needs no source identity. Each user
 * profile gets an execution role of its own, `studio-backup-profile-<profile>`, tagged with its
 * profile (the bucket policy fences it to that folder, lib/bucket-guard.ts), carrying the
 * isolation policy of core/isolation-statements.ts with the profile written in, and is set as the
 * profile's ExecutionRole.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
  Role,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand
} from '@aws-sdk/client-iam';
import { GetBucketEncryptionCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeUserProfileCommand,
  UpdateUserProfileCommand
} from '@aws-sdk/client-sagemaker';
import {
  IIsolationTargets,
  isolationStatements,
  PROFILE_ROLE_PREFIX,
  PROFILE_TAG
} from '../core/isolation-statements';
import type { IAdminContext } from './clients';
import { AdminError } from './commands';
import { arnParts, describeDomain, domainProfiles } from './domain';

/** The inline policy of a profile's own role. */
export const ROLE_POLICY = 'studio-backup-isolation';

/** Where the backend is: the bucket, its prefix, and the tables the policy names. */
export interface IBackendNames {
  bucket: string;
  prefix: string;
  userTable: string;
  requestsTable: string;
  historyTable: string;
  retentionTable: string;
  resultsTable: string;
}

export const iamOf = (ctx: IAdminContext) => (ctx.iam ??= new IAMClient({}));
export const s3Of = (ctx: IAdminContext) => (ctx.s3 ??= new S3Client({}));

export function profileRoleName(profile: string): string {
  const name = `${PROFILE_ROLE_PREFIX}${profile}`;
  if (name.length > 64) {
    throw new AdminError(
      `The role for ${profile} would be ${name.length} characters, longer than IAM's 64 characters: profiles of up to ${64 - PROFILE_ROLE_PREFIX.length} characters can have a role of their own.`
    );
  }
  return name;
}

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'sagemaker.amazonaws.com' },
      // SetSourceIdentity too: a domain may also turn ExecutionRoleIdentityConfig on.
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity']
    }
  ]
});

/** The real ARNs of the policy: the domain's account and region, the key the bucket encrypts with. */
export async function isolationTargets(
  ctx: IAdminContext,
  domainArn: string,
  names: IBackendNames
): Promise<IIsolationTargets> {
  const { partition, region, account } = arnParts(domainArn);
  const table = async (name: string) => {
    try {
      const { Table } = await ctx.dynamodb.send(
        new DescribeTableCommand({ TableName: name })
      );
      return Table!.TableArn!;
    } catch (e) {
      if ((e as Error).name !== 'ResourceNotFoundException') throw e;
      throw new AdminError(
        `No table ${name}: name the stack's tables (--requests-table, --history-table, --retention-table, --results-table, from its outputs).`
      );
    }
  };
  let keyId: string | undefined;
  try {
    const encryption = await s3Of(ctx).send(
      new GetBucketEncryptionCommand({ Bucket: names.bucket })
    );
    keyId =
      encryption.ServerSideEncryptionConfiguration?.Rules?.[0]
        ?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID;
  } catch (e) {
    if ((e as Error).name !== 'NoSuchBucket') throw e;
  }
  if (!keyId) {
    throw new AdminError(
      `Bucket ${names.bucket} does not exist or has no KMS key: give --bucket <BackupBucketName> (a stack output).`
    );
  }
  return {
    partition,
    region,
    account,
    bucketArn: `arn:${partition}:s3:::${names.bucket}`,
    keyArn: keyId.startsWith('arn:')
      ? keyId
      : `arn:${partition}:kms:${region}:${account}:key/${keyId}`,
    prefix: names.prefix,
    requestsTableArn: await table(names.requestsTable),
    historyTableArn: await table(names.historyTable),
    retentionTableArn: await table(names.retentionTable),
    resultsTableArn: await table(names.resultsTable)
  };
}

/**
 * The policy document a profile's own role carries. The bucket policy trusts the role's tag, so the
 * role may change no profile role (its tag, its policies, its trust), whatever else it is given.
 */
export function profilePolicy(
  targets: IIsolationTargets,
  domainId: string,
  profile: string
): { Version: string; Statement: unknown[] } {
  return {
    Version: '2012-10-17',
    Statement: [
      ...isolationStatements(targets, { profile, domainId }),
      {
        Sid: 'ChangeNoProfileRole',
        Effect: 'Deny',
        Action: ['iam:*'],
        Resource: [
          `arn:${targets.partition}:iam::${targets.account}:role/${PROFILE_ROLE_PREFIX}*`,
          `arn:${targets.partition}:iam::${targets.account}:role/*/${PROFILE_ROLE_PREFIX}*`
        ]
      }
    ]
  };
}

/**
 * A role of that name already there is updated only when it is this profile's: IAM names ignore
 * case (Alice's role is alice's), and a role with a path or another profile's tag is not the one
 * the bucket policy fences.
 */
function checkExisting(existing: Role, name: string, profile: string): void {
  const tag = existing.Tags?.find(t => t.Key === PROFILE_TAG)?.Value;
  if (
    existing.RoleName !== name ||
    existing.Path !== '/' ||
    (tag !== undefined && tag !== profile)
  ) {
    throw new AdminError(
      `Role ${existing.Path ?? '/'}${existing.RoleName} already exists and is not ${profile}'s own${tag !== undefined && tag !== profile ? ` (its tag names ${tag})` : ''}: roles create leaves it alone, and profiles whose names differ only in case cannot each have a role of their own.`
    );
  }
}

export async function getRole(
  iam: IAMClient,
  name: string
): Promise<Role | undefined> {
  try {
    return (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
  } catch (e) {
    if (e instanceof NoSuchEntityException) return undefined;
    throw e;
  }
}

export interface IRolesOptions {
  domain: string;
  profile?: string;
  all?: boolean;
  managedPolicy?: string[];
  dryRun?: boolean;
}

export async function createProfileRoles(
  ctx: IAdminContext,
  names: IBackendNames,
  options: IRolesOptions
): Promise<Array<Record<string, unknown>>> {
  if (!options.profile === !options.all) {
    throw new AdminError(
      'roles create takes --profile <name> or --all (every profile of the domain).'
    );
  }
  if (options.profile) profileRoleName(options.profile);
  const { id, profiles } = await domainProfiles(ctx, options.domain);
  if (options.profile && !profiles.includes(options.profile)) {
    throw new AdminError(
      `No user profile ${options.profile} in ${id}: "aws sagemaker list-user-profiles --domain-id-equals ${id}" lists them.`
    );
  }
  const chosen = options.profile ? [options.profile] : profiles;
  const roleNames = chosen.map(profileRoleName);
  const { DomainArn } = await describeDomain(ctx, id);
  const targets = await isolationTargets(ctx, DomainArn!, names);
  const iam = iamOf(ctx);
  const rows: Array<Record<string, unknown>> = [];
  for (const [i, profile] of chosen.entries()) {
    const name = roleNames[i];
    const existing = await getRole(iam, name);
    if (existing) checkExisting(existing, name, profile);
    const tag = { Key: PROFILE_TAG, Value: profile };
    const current = await ctx.sagemaker.send(
      new DescribeUserProfileCommand({ DomainId: id, UserProfileName: profile })
    );
    const row = {
      profile,
      role: name,
      action: `${options.dryRun ? 'would ' : ''}${existing ? 'update' : 'create'}${options.dryRun ? '' : 'd'}`,
      policy: `${ROLE_POLICY} (${profilePolicy(targets, id, profile).Statement.length} statements)`,
      was: current.UserSettings?.ExecutionRole ?? '(domain default)'
    };
    rows.push(row);
    if (options.dryRun) continue;
    const arn = existing
      ? existing.Arn!
      : (
          await iam.send(
            new CreateRoleCommand({
              RoleName: name,
              AssumeRolePolicyDocument: TRUST,
              Description: `Studio Backup: the execution role of user profile ${profile} of ${id}, scoped to its own folder.`,
              Tags: [tag]
            })
          )
        ).Role!.Arn!;
    if (existing) {
      await iam.send(new TagRoleCommand({ RoleName: name, Tags: [tag] }));
      // Only SageMaker may take the role (no principal that could pass a session tag of its own).
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: name,
          PolicyDocument: TRUST
        })
      );
    }
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: name,
        PolicyName: ROLE_POLICY,
        PolicyDocument: JSON.stringify(profilePolicy(targets, id, profile))
      })
    );
    for (const policyArn of options.managedPolicy ?? []) {
      await iam.send(
        new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn })
      );
    }
    await ctx.sagemaker.send(
      new UpdateUserProfileCommand({
        DomainId: id,
        UserProfileName: profile,
        UserSettings: { ExecutionRole: arn }
      })
    );
  }
  return rows;
}
