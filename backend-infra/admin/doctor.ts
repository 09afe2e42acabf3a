/**
 * `studio-backup-admin doctor --domain d-…`: a live domain's setup checked against what Studio
 * Backup needs (docs/deploy.md), each check ok or a problem with the command that fixes it: users
 * told apart (source identity, or a role of each profile's own), the isolation policy on every
 * execution role in use, the lifecycle configurations attached, the bucket and the staged agent,
 * the backend's tables. Exit code 1 when anything is wrong.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  GetRolePolicyCommand,
  paginateListAttachedRolePolicies
} from '@aws-sdk/client-iam';
import { HeadBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import {
  DescribeDomainCommandOutput,
  DescribeUserProfileCommand
} from '@aws-sdk/client-sagemaker';
import { isDeepStrictEqual } from 'node:util';
import pLimit from 'p-limit';
import { ARTIFACTS_PREFIX } from '../core/bucket-layout';
import {
  IIsolationTargets,
  PROFILE_ROLE_PREFIX,
  PROFILE_TAG
} from '../core/isolation-statements';
import { credentialsProblem, IAdminContext } from './clients';
import { AdminError } from './commands';
import { describeDomain, domainProfiles } from './domain';
import {
  getRole,
  iamOf,
  IBackendNames,
  isolationTargets,
  profilePolicy,
  ROLE_POLICY,
  s3Of
} from './profile-roles';

export interface ICheck {
  check: string;
  status: 'ok' | 'problem';
  detail: string;
  fix?: string[];
}

export interface IDoctorOptions {
  domain: string;
  /** The stack's UserIsolationPolicyArn; without it, a policy named like the stack's is looked for. */
  isolationPolicyArn?: string;
  /** install-lcc --name. */
  lccName: string;
}

export const DEFAULT_PREFIX = 'studio-backups';
const AGENT = `${ARTIFACTS_PREFIX}studio-backup.js`;
const APPS = [
  ['JupyterLab', 'JupyterLabAppSettings', 'jupyterlab'],
  ['CodeEditor', 'CodeEditorAppSettings', 'codeeditor']
] as const;

const ok = (check: string, detail: string): ICheck => ({
  check,
  status: 'ok',
  detail
});
const problem = (check: string, detail: string, fix: string[]): ICheck => ({
  check,
  status: 'problem',
  detail,
  fix
});
const some = (names: string[]) =>
  names.length > 5
    ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`
    : names.join(', ');
const roleName = (arn: string) => arn.split('/').pop()!;
const notFound = (e: unknown) =>
  [
    'NotFound',
    'NoSuchBucket',
    'NoSuchKey',
    'NoSuchEntityException',
    'ResourceNotFoundException'
  ].includes((e as Error).name);

/** A check that fails on an AWS error says so; bad credentials and bad input stop the whole run. */
async function guarded(
  check: string,
  run: () => Promise<ICheck>,
  fix: string[] = []
): Promise<ICheck> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof AdminError || credentialsProblem(e)) throw e;
    const error = e as Error;
    return problem(check, `${error.name}: ${error.message}`, fix);
  }
}

export async function doctor(
  ctx: IAdminContext,
  names: IBackendNames,
  options: IDoctorOptions
): Promise<{ domain: string; ok: boolean; checks: ICheck[] }> {
  const { id, profiles } = await domainProfiles(ctx, options.domain);
  const domain = await describeDomain(ctx, id);
  const defaultRole = domain.DefaultUserSettings?.ExecutionRole ?? '';
  const limit = pLimit(8);
  const roles = new Map<string, string>(
    await Promise.all(
      profiles.map(profile =>
        limit(async () => {
          const described = await ctx.sagemaker.send(
            new DescribeUserProfileCommand({
              DomainId: id,
              UserProfileName: profile
            })
          );
          return [
            profile,
            described.UserSettings?.ExecutionRole ?? defaultRole
          ] as [string, string];
        })
      )
    )
  );
  const bucketOption = `--bucket ${names.bucket}${names.prefix === DEFAULT_PREFIX ? '' : ` --prefix ${names.prefix}`}`;
  const rolesCreate = (profile?: string) =>
    `studio-backup-admin roles create --domain ${id} ${profile ? `--profile ${profile}` : '--all'} ${bucketOption}`;
  const installLcc = `npx studio-backup install-lcc ${bucketOption} --domain ${id} --requests-table ${names.requestsTable} --history-table ${names.historyTable} --retention-table ${names.retentionTable} --results-table ${names.resultsTable} --default`;
  let targets: IIsolationTargets | string;
  try {
    targets = await isolationTargets(ctx, domain.DomainArn!, names);
  } catch (e) {
    if (!(e instanceof AdminError)) throw e;
    targets = e.message;
  }
  const s3 = s3Of(ctx);
  const checks: ICheck[] = [
    identity(domain, roles, rolesCreate),
    ...(await Promise.all(
      [...new Set(roles.values())].filter(Boolean).map(arn => {
        const name = roleName(arn);
        const users = [...roles].filter(([, r]) => r === arn).map(([p]) => p);
        return name.startsWith(PROFILE_ROLE_PREFIX)
          ? profileRole(ctx, id, name, targets, rolesCreate)
          : sharedRole(ctx, name, users, options.isolationPolicyArn);
      })
    )),
    ...APPS.map(([app, settings, suffix]) => {
      const arns = domain.DefaultUserSettings?.[settings]?.LifecycleConfigArns;
      const ours = (arns ?? []).find(a =>
        a.includes(`/${options.lccName}-${suffix}-`)
      );
      return ours
        ? ok(`lifecycle config ${app}`, `${roleName(ours)} is attached`)
        : problem(
            `lifecycle config ${app}`,
            `no ${options.lccName}-${suffix}-… configuration in the domain's default ${settings}`,
            [installLcc]
          );
    }),
    await guarded('bucket', async () => {
      try {
        await s3.send(new HeadBucketCommand({ Bucket: names.bucket }));
        return ok('bucket', `${names.bucket} is reachable`);
      } catch (e) {
        if (!notFound(e)) throw e;
        return problem('bucket', `${names.bucket} does not exist`, [
          '--bucket <BackupBucketName> (a stack output of npx cdk deploy)'
        ]);
      }
    }),
    await guarded(
      'agent',
      async () => {
        try {
          await s3.send(
            new HeadObjectCommand({ Bucket: names.bucket, Key: AGENT })
          );
          return ok('agent', `s3://${names.bucket}/${AGENT} is staged`);
        } catch (e) {
          if (!notFound(e)) throw e;
          return problem('agent', `s3://${names.bucket}/${AGENT} is missing`, [
            installLcc
          ]);
        }
      },
      [installLcc]
    ),
    ...(await Promise.all(
      (
        [
          ['requests', names.requestsTable, 'RestoreRequestsTable'],
          ['history', names.historyTable, 'StudioUserHistoryTable'],
          ['user', names.userTable, 'StudioUserTable'],
          ['retention', names.retentionTable, 'RetentionTable'],
          ['results', names.resultsTable, 'MaintenanceResultsTable']
        ] as const
      ).map(([option, table, output]) =>
        guarded(`table ${table}`, async () => {
          try {
            const { Table } = await ctx.dynamodb.send(
              new DescribeTableCommand({ TableName: table })
            );
            return ok(`table ${table}`, `${Table?.TableStatus ?? 'present'}`);
          } catch (e) {
            if (!notFound(e)) throw e;
            return problem(`table ${table}`, `${table} does not exist`, [
              `--${option}-table <${output}> (a stack output of npx cdk deploy)`
            ]);
          }
        })
      )
    ))
  ];
  return {
    domain: id,
    ok: checks.every(c => c.status === 'ok'),
    checks
  };
}

/** Users told apart: by source identity, or each profile on a role of its own (and no other's). */
function identity(
  domain: DescribeDomainCommandOutput,
  roles: Map<string, string>,
  rolesCreate: (profile?: string) => string
): ICheck {
  const setting =
    domain.DomainSettings?.ExecutionRoleIdentityConfig ?? 'DISABLED';
  const withIdentity = setting === 'USER_PROFILE_NAME';
  const others: string[] = [];
  const sharing: string[] = [];
  for (const [profile, arn] of roles) {
    const name = roleName(arn);
    if (name === `${PROFILE_ROLE_PREFIX}${profile}`) continue;
    if (name.startsWith(PROFILE_ROLE_PREFIX)) {
      others.push(
        `${profile} uses the role of ${name.slice(PROFILE_ROLE_PREFIX.length)} (${name})`
      );
    } else if (!withIdentity) {
      sharing.push(profile);
    }
  }
  const details: string[] = [];
  const fixes: string[] = [];
  if (others.length) {
    details.push(others.join('; '));
    for (const other of others) fixes.push(rolesCreate(other.split(' ')[0]));
  }
  if (sharing.length) {
    details.push(
      `ExecutionRoleIdentityConfig is ${setting} and ${some(sharing)} shares a role with other sessions: IAM cannot tell them apart`
    );
    fixes.push(
      `aws sagemaker update-domain --domain-id ${domain.DomainId} --domain-settings-for-update ExecutionRoleIdentityConfig=USER_PROFILE_NAME`,
      rolesCreate(sharing.length === 1 ? sharing[0] : undefined)
    );
  }
  if (details.length) return problem('identity', details.join('; '), fixes);
  return ok(
    'identity',
    withIdentity
      ? 'ExecutionRoleIdentityConfig is USER_PROFILE_NAME: each session carries its user profile name'
      : `ExecutionRoleIdentityConfig is ${setting}, and every profile has its own role`
  );
}

/** A profile's own role: there, tagged with its profile, carrying the policy roles create builds. */
function profileRole(
  ctx: IAdminContext,
  domainId: string,
  name: string,
  targets: IIsolationTargets | string,
  rolesCreate: (profile?: string) => string
): Promise<ICheck> {
  const check = `role ${name}`;
  const profile = name.slice(PROFILE_ROLE_PREFIX.length);
  const fix = [rolesCreate(profile)];
  return guarded(
    check,
    async () => {
      const iam = iamOf(ctx);
      const role = await getRole(iam, name);
      if (!role) return problem(check, `${name} does not exist`, fix);
      const tag = role.Tags?.find(t => t.Key === PROFILE_TAG)?.Value;
      if (tag !== profile) {
        return problem(
          check,
          `its ${PROFILE_TAG} tag is ${tag ? `"${tag}"` : 'missing'}, not "${profile}": the bucket policy then lets it reach nothing`,
          fix
        );
      }
      let document: unknown;
      try {
        const { PolicyDocument } = await iam.send(
          new GetRolePolicyCommand({ RoleName: name, PolicyName: ROLE_POLICY })
        );
        document = JSON.parse(decodeURIComponent(PolicyDocument!));
      } catch (e) {
        if (!notFound(e)) throw e;
        return problem(check, `it has no ${ROLE_POLICY} policy`, fix);
      }
      if (typeof targets === 'string') {
        return ok(
          check,
          `${ROLE_POLICY} is attached (not compared: ${targets})`
        );
      }
      return isDeepStrictEqual(
        document,
        profilePolicy(targets, domainId, profile)
      )
        ? ok(
            check,
            `${ROLE_POLICY} is attached, scoped to ${targets.prefix}/${profile}/`
          )
        : problem(
            check,
            `its ${ROLE_POLICY} policy is not the one roles create builds for this bucket, prefix and tables`,
            fix
          );
    },
    fix
  );
}

/** A role shared by profiles: the stack's isolation policy must be attached. */
function sharedRole(
  ctx: IAdminContext,
  name: string,
  users: string[],
  policyArn?: string
): Promise<ICheck> {
  const check = `role ${name}`;
  const fix = [
    `aws iam attach-role-policy --role-name ${name} --policy-arn ${policyArn ?? '<UserIsolationPolicyArn>'}`
  ];
  return guarded(
    check,
    async () => {
      for await (const page of paginateListAttachedRolePolicies(
        { client: iamOf(ctx) },
        { RoleName: name }
      )) {
        const found = (page.AttachedPolicies ?? []).find(p =>
          policyArn
            ? p.PolicyArn === policyArn
            : p.PolicyName?.includes('UserIsolationPolicy')
        );
        if (found) {
          return ok(
            check,
            `${found.PolicyName} is attached (used by ${some(users)})`
          );
        }
      }
      return problem(
        check,
        `the isolation policy${policyArn ? ` ${policyArn}` : ''} is not attached (used by ${some(users)})`,
        fix
      );
    },
    fix
  );
}
