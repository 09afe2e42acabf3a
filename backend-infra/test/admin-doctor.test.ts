/**
 * studio-backup-admin roles create (a role of each profile's own, the isolation mode without source
 * identity) and doctor (a live domain's setup, each problem with the command that fixes it).
 * IAM, S3 and DynamoDB are moto's; SageMaker is the stand-in of lcc/test/helpers, because moto
 * 5.2.5 has no DescribeUserProfile, UpdateUserProfile or ListUserProfiles, and its DescribeDomain
 * knows no DomainSettings.
 */
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient
} from '@aws-sdk/client-iam';
import {
  PutBucketEncryptionCommand,
  PutObjectCommand
} from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  IJsonStandin,
  serveJsonProtocol
} from '../../lcc/test/helpers/json-protocol-server';
import { isolationStatements, PROFILE_TAG } from '../core/isolation-statements';
import {
  adminCli,
  createTable,
  HISTORY_KEYS,
  IEmulators,
  REQUEST_KEYS,
  startEmulators,
  USER_KEYS
} from './moto';

jest.setTimeout(60_000);

const ACCOUNT = '123456789012';
const BUCKET = 'backup-bucket';
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/backup-key`;
const SHARED_ROLE = 'AmazonSageMaker-ExecutionRole';
const SHARED_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${SHARED_ROLE}`;
const LCC = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:studio-lifecycle-config`;
const TABLES = [
  '--retention-table',
  'studioBackupRetention',
  '--results-table',
  'studioBackupResults'
];

let env: IEmulators;
let iam: IAMClient;

const admin = (...args: string[]) =>
  adminCli(env, [...TABLES, ...args], { iam, s3: env.moto.client });
const rolesCreate = (domain: string, ...more: string[]) =>
  admin('roles', 'create', '--domain', domain, '--bucket', BUCKET, ...more);
const doctor = (domain: string, ...more: string[]) =>
  admin('doctor', '--domain', domain, '--bucket', BUCKET, ...more);

async function inlinePolicy(role: string) {
  const { PolicyDocument } = await iam.send(
    new GetRolePolicyCommand({
      RoleName: role,
      PolicyName: 'studio-backup-isolation'
    })
  );
  return JSON.parse(decodeURIComponent(PolicyDocument!));
}

/**
 * The problems scripts/check-aws-commands.py (the AWS CLI's own models, as for the docs) finds in
 * the `aws …` fixes doctor printed.
 */
function awsCommandProblems(out: string): string[] {
  const commands = out
    .split('\n')
    .map(line => line.trim().replace(/^fix: /, ''))
    .filter(line => line.startsWith('aws '))
    // A placeholder for the admin to fill in, not a shell redirection.
    .map(line =>
      line
        .replace(
          /<[A-Za-z]+Arn>/g,
          `arn:aws:iam::${ACCOUNT}:policy/Placeholder`
        )
        .replace(/<[A-Za-z]+>/g, 'Placeholder')
    );
  expect(commands.length).toBeGreaterThan(0);
  const dir = mkdtempSync(join(tmpdir(), 'doctor-fixes-'));
  try {
    writeFileSync(join(dir, 'fixes.sh'), `${commands.join('\n')}\n`);
    const root = join(__dirname, '..', '..');
    const run = spawnSync(
      join(root, '.venv', 'bin', 'python'),
      [
        join(root, 'scripts', 'check-aws-commands.py'),
        '--json',
        join(dir, 'fixes.sh')
      ],
      { cwd: root, encoding: 'utf8' }
    );
    const checked = JSON.parse(run.stdout).commands;
    expect(checked).toHaveLength(commands.length);
    return checked.flatMap((c: any) => c.errors);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const profileArn = (domain: string, name: string) =>
  `arn:aws:sagemaker:us-east-1:${ACCOUNT}:user-profile/${domain}/${name}`;

/** A role SageMaker may take, as an admin makes one. */
const SAGEMAKER_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'sagemaker.amazonaws.com' },
      Action: 'sts:AssumeRole'
    }
  ]
});

beforeAll(async () => {
  env = await startEmulators();
  iam = new IAMClient({ endpoint: env.moto.endpoint });
  await createTable(env.dynamodb, 'studioUser', USER_KEYS);
  await createTable(env.dynamodb, 'studioUserHistory', HISTORY_KEYS);
  await createTable(env.dynamodb, 'studioBackupRequests', REQUEST_KEYS);
  await createTable(env.dynamodb, 'studioBackupRetention', {
    hash: 'scope',
    range: 'kind'
  });
  await createTable(env.dynamodb, 'studioBackupResults', {
    hash: 'profile',
    range: 'run'
  });
  await env.moto.createBucket(BUCKET);
  await env.moto.client.send(
    new PutBucketEncryptionCommand({
      Bucket: BUCKET,
      ServerSideEncryptionConfiguration: {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: KEY_ARN
            }
          }
        ]
      }
    })
  );
  await env.moto.client.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: 'artifacts/studio-backup.js',
      Body: '// agent'
    })
  );
  await iam.send(
    new CreateRoleCommand({
      RoleName: SHARED_ROLE,
      AssumeRolePolicyDocument: SAGEMAKER_TRUST
    })
  );
  const s = env.sagemakerState;
  // d-1: no source identity; its profiles will get roles of their own.
  s.domains['d-1'] = {
    name: 'research',
    domainSettings: { ExecutionRoleIdentityConfig: 'DISABLED' },
    defaultUserSettings: {
      ExecutionRole: SHARED_ROLE_ARN,
      JupyterLabAppSettings: {
        LifecycleConfigArns: [`${LCC}/studio-backup-jupyterlab-1a2b3c4d`]
      },
      CodeEditorAppSettings: {
        LifecycleConfigArns: [`${LCC}/studio-backup-codeeditor-1a2b3c4d`]
      }
    }
  };
  for (const name of ['alice', 'bob']) {
    s.profiles[name] = { domainId: 'd-1', arn: profileArn('d-1', name) };
  }
  // d-2: source identity on, one shared role, no lifecycle configuration attached.
  s.domains['d-2'] = {
    name: 'shared',
    domainSettings: { ExecutionRoleIdentityConfig: 'USER_PROFILE_NAME' },
    defaultUserSettings: { ExecutionRole: SHARED_ROLE_ARN }
  };
  s.profiles.carol = { domainId: 'd-2', arn: profileArn('d-2', 'carol') };
});

afterAll(async () => {
  iam?.destroy();
  await env?.stop();
});

describe('roles create', () => {
  it('--dry-run says what it would create and creates nothing', async () => {
    const dry = await rolesCreate('d-1', '--profile', 'alice', '--dry-run');
    expect(dry).toMatchObject({ code: 0, err: '' });
    expect(dry.out).toMatch(
      /alice\s+studio-backup-profile-alice\s+would create/
    );
    await expect(
      iam.send(new GetRoleCommand({ RoleName: 'studio-backup-profile-alice' }))
    ).rejects.toThrow(/cannot be found|not found/i);
    expect(env.sagemakerState.profiles.alice.userSettings).toBeUndefined();
  });

  it('--all gives each profile its own role, scoped to its folder, and makes it the profile execution role', async () => {
    const run = await admin(
      '--json',
      'roles',
      'create',
      '--domain',
      'research',
      '--all',
      '--bucket',
      BUCKET
    );
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(run.out).map((r: any) => [r.profile, r.action])).toEqual([
      ['alice', 'created'],
      ['bob', 'created']
    ]);
    const role = (
      await iam.send(
        new GetRoleCommand({ RoleName: 'studio-backup-profile-alice' })
      )
    ).Role!;
    expect(role.Tags).toContainEqual({ Key: PROFILE_TAG, Value: 'alice' });
    const trust = JSON.parse(
      decodeURIComponent(role.AssumeRolePolicyDocument!)
    );
    expect(trust.Statement[0]).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'sagemaker.amazonaws.com' }
    });
    const policy = await inlinePolicy('studio-backup-profile-alice');
    const table = (name: string) =>
      `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${name}`;
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        ...isolationStatements(
          {
            partition: 'aws',
            region: 'us-east-1',
            account: ACCOUNT,
            bucketArn: `arn:aws:s3:::${BUCKET}`,
            keyArn: KEY_ARN,
            prefix: 'studio-backups',
            requestsTableArn: table('studioBackupRequests'),
            historyTableArn: table('studioUserHistory'),
            retentionTableArn: table('studioBackupRetention'),
            resultsTableArn: table('studioBackupResults')
          },
          { profile: 'alice', domainId: 'd-1' }
        ),
        // The bucket policy trusts the role's tag: the role may change no profile role.
        {
          Sid: 'ChangeNoProfileRole',
          Effect: 'Deny',
          Action: ['iam:*'],
          Resource: [
            `arn:aws:iam::${ACCOUNT}:role/studio-backup-profile-*`,
            `arn:aws:iam::${ACCOUNT}:role/*/studio-backup-profile-*`
          ]
        }
      ]
    });
    const text = JSON.stringify(policy);
    expect(text).toContain(`arn:aws:s3:::${BUCKET}/studio-backups/alice/*`);
    expect(text).toContain(profileArn('d-1', 'alice'));
    expect(text).not.toContain('aws:SourceIdentity');
    expect(text).not.toContain('/bob');
    expect(env.sagemakerState.profiles.alice.userSettings).toEqual({
      ExecutionRole: role.Arn
    });
    expect(env.sagemakerState.profiles.bob.userSettings?.ExecutionRole).toMatch(
      /:role\/studio-backup-profile-bob$/
    );
  });

  it('run again, it updates the policy in place', async () => {
    const again = await rolesCreate(
      'd-1',
      '--profile',
      'bob',
      '--prefix',
      'other-prefix'
    );
    expect(again).toMatchObject({ code: 0, err: '' });
    expect(again.out).toMatch(/bob\s+studio-backup-profile-bob\s+updated/);
    expect(
      JSON.stringify(await inlinePolicy('studio-backup-profile-bob'))
    ).toContain(`arn:aws:s3:::${BUCKET}/other-prefix/bob/*`);
    await rolesCreate('d-1', '--profile', 'bob');
  });

  it("leaves alone a role of that name that is another profile's, in one line", async () => {
    // Say carol of d-2 shares her name, up to case, with a Carol elsewhere whose role this is.
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'studio-backup-profile-carol',
        AssumeRolePolicyDocument: SAGEMAKER_TRUST,
        Tags: [{ Key: 'studio-backup-profile', Value: 'Carol' }]
      })
    );
    try {
      const run = await rolesCreate('d-2', '--profile', 'carol');
      expect(run.code).toBe(1);
      expect(run.err.split('\n')).toEqual([
        "studio-backup-admin: Role /studio-backup-profile-carol already exists and is not carol's own (its tag names Carol): roles create leaves it alone, and profiles whose names differ only in case cannot each have a role of their own."
      ]);
      const { Role } = await iam.send(
        new GetRoleCommand({ RoleName: 'studio-backup-profile-carol' })
      );
      expect(Role?.Tags).toEqual([
        { Key: 'studio-backup-profile', Value: 'Carol' }
      ]);
    } finally {
      await iam.send(
        new DeleteRoleCommand({ RoleName: 'studio-backup-profile-carol' })
      );
    }
  });

  it('refuses, in one line, no profile, an unknown domain or profile, a name too long for a role', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--domain', 'd-1'], /--profile <name> or --all/],
      [['--domain', 'd-nope', '--all'], /No Studio domain d-nope/],
      [['--domain', 'd-1', '--profile', 'zed'], /No user profile zed in d-1/],
      [
        ['--domain', 'd-1', '--profile', 'a'.repeat(43)],
        /longer than IAM's 64 characters/
      ]
    ];
    for (const [args, message] of cases) {
      const run = await admin('roles', 'create', '--bucket', BUCKET, ...args);
      expect(run.code).toBe(1);
      expect(run.err).toMatch(message);
      expect(run.err.split('\n')).toHaveLength(1);
    }
  });
});

describe('doctor', () => {
  it('d-1 with a role per profile: every check ok, exit 0, and --json is one document', async () => {
    const run = await doctor('d-1');
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).not.toMatch(/problem/);
    expect(run.out).toMatch(/^ok\s+identity\s+.*own role/m);
    expect(run.out).toMatch(/^ok\s+role studio-backup-profile-alice\s/m);
    expect(run.out).toMatch(/^ok\s+lifecycle config JupyterLab\s/m);
    expect(run.out).toMatch(/^ok\s+lifecycle config CodeEditor\s/m);
    expect(run.out).toMatch(/^ok\s+bucket\s/m);
    expect(run.out).toMatch(/^ok\s+agent\s/m);
    expect(run.out).toMatch(/^ok\s+table studioBackupRequests\s/m);
    const json = JSON.parse((await doctor('d-1', '--json')).out);
    expect(json).toMatchObject({ domain: 'd-1', ok: true });
    expect(json.checks.map((c: any) => c.check)).toEqual(
      expect.arrayContaining([
        'identity',
        'role studio-backup-profile-alice',
        'role studio-backup-profile-bob',
        'bucket',
        'agent',
        'table studioUser',
        'table studioBackupResults'
      ])
    );
    expect(json.checks.every((c: any) => c.status === 'ok')).toBe(true);
  });

  it('a profile role without its policy is a problem, and the command it prints fixes it', async () => {
    await iam.send(
      new DeleteRolePolicyCommand({
        RoleName: 'studio-backup-profile-bob',
        PolicyName: 'studio-backup-isolation'
      })
    );
    const run = await doctor('d-1', '--json');
    expect(run.code).toBe(1);
    const problem = JSON.parse(run.out).checks.find(
      (c: any) => c.status === 'problem'
    );
    expect(problem).toMatchObject({
      check: 'role studio-backup-profile-bob',
      fix: [
        `studio-backup-admin roles create --domain d-1 --profile bob --bucket ${BUCKET}`
      ]
    });
    const fix = problem.fix[0].split(' ').slice(1);
    expect((await admin(...fix)).code).toBe(0);
    expect((await doctor('d-1')).code).toBe(0);
  });

  it('a profile on another profile role, or a shared role without identity, is a problem', async () => {
    const bob = env.sagemakerState.profiles.bob;
    const own = bob.userSettings!.ExecutionRole;
    bob.userSettings!.ExecutionRole =
      env.sagemakerState.profiles.alice.userSettings!.ExecutionRole;
    try {
      const run = await doctor('d-1');
      expect(run.code).toBe(1);
      expect(run.out).toMatch(
        /^problem\s+identity\s+.*bob uses the role of alice/m
      );
      expect(run.out).toContain(
        `fix: studio-backup-admin roles create --domain d-1 --profile bob --bucket ${BUCKET}`
      );
      bob.userSettings!.ExecutionRole = SHARED_ROLE_ARN;
      const shared = await doctor('d-1');
      expect(shared.out).toMatch(/^problem\s+identity\s+.*bob shares/m);
      expect(shared.out).toContain(
        'fix: aws sagemaker update-domain --domain-id d-1 --domain-settings-for-update ExecutionRoleIdentityConfig=USER_PROFILE_NAME'
      );
      expect(awsCommandProblems(shared.out)).toEqual([]);
    } finally {
      bob.userSettings!.ExecutionRole = own;
    }
  });

  it('d-2 (source identity, a shared role): the policy to attach and the lifecycle configuration to install', async () => {
    const run = await doctor('d-2');
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/^ok\s+identity\s+.*USER_PROFILE_NAME/m);
    expect(run.out).toMatch(
      new RegExp(`^problem\\s+role ${SHARED_ROLE}\\s+.*not attached`, 'm')
    );
    expect(run.out).toContain(
      `fix: aws iam attach-role-policy --role-name ${SHARED_ROLE} --policy-arn <UserIsolationPolicyArn>`
    );
    expect(run.out).toMatch(/^problem\s+lifecycle config JupyterLab\s/m);
    expect(run.out).toContain(
      `fix: npx studio-backup install-lcc --bucket ${BUCKET} --domain d-2 --requests-table studioBackupRequests --history-table studioUserHistory --retention-table studioBackupRetention --results-table studioBackupResults --default`
    );
    const { Policy } = await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'StudioBackup-UserIsolationPolicy1A2B3C4D-XYZ',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }
          ]
        })
      })
    );
    const named = await doctor('d-2', '--isolation-policy-arn', Policy!.Arn!);
    expect(awsCommandProblems(named.out)).toEqual([]);
    expect(named.out).toContain(
      `fix: aws iam attach-role-policy --role-name ${SHARED_ROLE} --policy-arn ${Policy!.Arn}`
    );
    await iam.send(
      new AttachRolePolicyCommand({
        RoleName: SHARED_ROLE,
        PolicyArn: Policy!.Arn
      })
    );
    expect(await doctor('d-2')).toMatchObject({
      out: expect.stringMatching(
        new RegExp(`^ok\\s+role ${SHARED_ROLE}\\s`, 'm')
      )
    });
  });

  it('a missing bucket, table or agent is a problem with its fix', async () => {
    const run = await admin(
      '--requests-table',
      'nope',
      'doctor',
      '--domain',
      'd-1',
      '--bucket',
      'no-such-bucket'
    );
    expect(run.code).toBe(1);
    expect(run.out).toMatch(
      /^problem\s+bucket\s+.*no-such-bucket does not exist/m
    );
    expect(run.out).toMatch(/^problem\s+table nope\s+.*does not exist/m);
    expect(run.out).toContain('fix: --requests-table <RestoreRequestsTable>');
    expect(run.out).toMatch(/^problem\s+agent\s/m);
  });

  it('refuses, in one line: no bucket, an unknown domain, expired credentials', async () => {
    const noBucket = await admin('doctor', '--domain', 'd-1');
    expect(noBucket.code).toBe(1);
    expect(noBucket.err).toMatch(/--bucket <BackupBucketName>/);
    const unknown = await doctor('d-nope');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(
      /^studio-backup-admin: No Studio domain d-nope/
    );
    expect(unknown.out).toBe('');
    // A SageMaker that refuses the session, as AWS does once its token expired.
    const expired: IJsonStandin = await serveJsonProtocol(
      {
        ListDomains: () => ({
          status: 400,
          body: {
            __type: 'ExpiredTokenException',
            message: 'The security token included in the request is expired'
          }
        })
      },
      []
    );
    const sagemaker = new SageMakerClient({ endpoint: expired.endpoint });
    try {
      const run = await adminCli(
        env,
        ['doctor', '--domain', 'research', '--bucket', BUCKET],
        { iam, s3: env.moto.client, sagemaker }
      );
      expect(run.code).toBe(1);
      expect(run.err).toBe(
        'studio-backup-admin: AWS refused the credentials (ExpiredTokenException: The security token included in the request is expired): sign in again (aws sso login, or new keys in the environment) and run it again.'
      );
    } finally {
      sagemaker.destroy();
      await expired.stop();
    }
  });
});
