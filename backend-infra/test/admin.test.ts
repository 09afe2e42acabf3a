/** studio-backup-admin against moto (DynamoDB, EFS, EC2) and the SageMaker stand-in; --dry-run changes nothing. */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand
} from '@aws-sdk/client-dynamodb';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeSecurityGroupsCommand,
  EC2Client
} from '@aws-sdk/client-ec2';
import {
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  EFSClient
} from '@aws-sdk/client-efs';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
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

let env: IEmulators;
let efs: EFSClient;
let ec2: EC2Client;

const admin = (...args: string[]) => adminCli(env, args, { efs, ec2 });

async function tableItems(name: string) {
  const page = await env.dynamodb.send(new ScanCommand({ TableName: name }));
  return (page.Items ?? []).map(i => unmarshall(i));
}

beforeAll(async () => {
  env = await startEmulators();
  efs = new EFSClient({ endpoint: env.moto.endpoint });
  ec2 = new EC2Client({ endpoint: env.moto.endpoint });
  await createTable(env.dynamodb, 'studioUser', USER_KEYS);
  await createTable(env.dynamodb, 'studioUserHistory', HISTORY_KEYS);
  await createTable(env.dynamodb, 'studioBackupRequests', REQUEST_KEYS);
  const s = env.sagemakerState;
  s.domains['d-1'] = {
    name: 'research',
    efsId: 'fs-1',
    defaultUserSettings: {}
  };
  s.profiles.alice = {
    domainId: 'd-1',
    arn: 'arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-1/alice',
    efsUid: '200001'
  };
  s.profiles.bob = {
    domainId: 'd-1',
    arn: 'arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-1/bob',
    efsUid: '200002'
  };
});

afterAll(async () => {
  efs?.destroy();
  ec2?.destroy();
  await env?.stop();
});

describe('studio-backup-admin', () => {
  it('seed --dry-run lists the existing profiles and writes nothing; seed records them', async () => {
    const dry = await admin('seed', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/research\s+alice\s+fs-1\/200001\s+would record/);
    expect(await tableItems('studioUser')).toEqual([]);
    const real = await admin('seed', '--json');
    expect(
      JSON.parse(real.out)
        .map((r: any) => r.profile)
        .sort()
    ).toEqual(['alice', 'bob']);
    expect(
      (await tableItems('studioUser')).map(r => r.profile_name).sort()
    ).toEqual(['alice', 'bob']);
  });

  it('seeds every profile and space of a domain, however many pages SageMaker lists them in', async () => {
    const s = env.sagemakerState;
    s.domains['d-big'] = {
      name: 'big',
      efsId: 'fs-9',
      defaultUserSettings: {}
    };
    const names = Array.from({ length: 23 }, (_, i) => `user-${i}`);
    for (const [i, name] of names.entries()) {
      s.profiles[name] = {
        domainId: 'd-big',
        arn: `arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-big/${name}`,
        efsUid: String(300000 + i)
      };
    }
    for (const i of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) {
      s.spaces[`space-${i}`] = {
        domainId: 'd-big',
        owner: names[i],
        arn: `arn:aws:sagemaker:us-east-1:123456789012:space/d-big/space-${i}`,
        efsUid: String(400000 + i)
      };
    }
    try {
      const dry = JSON.parse(
        (await admin('--json', 'seed', '--domain', 'big', '--dry-run')).out
      );
      // 23 profiles (3 pages of 10) and 12 spaces (2 pages).
      expect(dry).toHaveLength(35);
      expect(new Set(dry.map((r: any) => r.profile))).toEqual(
        new Set([...names, ...Object.keys(s.spaces)])
      );
    } finally {
      delete s.domains['d-big'];
      for (const name of names) delete s.profiles[name];
      for (const name of Object.keys(s.spaces)) delete s.spaces[name];
    }
  });

  it('status shows a table or JSON, filtered by profile', async () => {
    const t = await admin('status', '--profile', 'alice');
    expect(t.out.split('\n')[0]).toMatch(
      /^domain\s+profile\s+kind\s+replication\s+efs/
    );
    expect(t.out).toMatch(/research\s+alice\s+user\s+on\s+fs-1\/200001/);
    expect(t.out).not.toMatch(/bob/);
    const j = JSON.parse((await admin('--json', 'status')).out);
    expect(j).toHaveLength(2);
  });

  it('replication off --dry-run changes nothing; without it the switch is kept', async () => {
    expect(
      (
        await admin(
          'replication',
          'off',
          '--domain',
          'research',
          '--profile',
          'bob',
          '--dry-run'
        )
      ).code
    ).toBe(0);
    const row = async (key = 'bob') =>
      unmarshall(
        (
          await env.dynamodb.send(
            new GetItemCommand({
              TableName: 'studioUser',
              Key: marshall({ profile_name: key, domain_name: 'research' })
            })
          )
        ).Item!
      );
    expect((await row()).replication).toBe(true);
    expect(
      (
        await admin(
          'replication',
          'off',
          '--domain',
          'research',
          '--profile',
          'bob'
        )
      ).code
    ).toBe(0);
    expect((await row()).replication).toBe(false);
    const unknown = await admin(
      'replication',
      'off',
      '--domain',
      'research',
      '--profile',
      'nobody'
    );
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe(
      'studio-backup-admin: No profile nobody in domain research in studioUser: run "studio-backup-admin status" to list them.'
    );
    // A space is named with --space: its row is not a profile's, even when the names are the same.
    await env.dynamodb.send(
      new PutItemCommand({
        TableName: 'studioUser',
        Item: marshall({
          profile_name: 'space#bob',
          domain_name: 'research',
          space_name: 'bob',
          user_profile_name: 'alice',
          replication: false
        })
      })
    );
    for (const state of ['on', 'off']) {
      const run = ['replication', state, '--domain', 'research'];
      expect((await admin(...run, '--space', 'bob')).code).toBe(0);
      expect((await row('space#bob')).replication).toBe(state === 'on');
      expect((await row()).replication).toBe(false);
    }
    expect(
      (await admin('replication', 'off', '--domain', 'research')).err
    ).toMatch(/one of --profile <profile> or --space <space>/);
    await env.dynamodb.send(
      new DeleteItemCommand({
        TableName: 'studioUser',
        Key: marshall({ profile_name: 'space#bob', domain_name: 'research' })
      })
    );
    expect(
      (
        await admin(
          'replication',
          'maybe',
          '--domain',
          'research',
          '--profile',
          'bob'
        )
      ).err
    ).toMatch(/"on" or "off"/);
  });

  it('map points a future profile at an existing home, once', async () => {
    const dry = await admin(
      'map',
      '--from',
      'research/alice',
      '--to',
      'research/alice-new',
      '--dry-run'
    );
    expect(dry.code).toBe(0);
    expect(
      (await tableItems('studioUser')).some(r => r.profile_name === 'alice-new')
    ).toBe(false);
    expect(
      (
        await admin(
          'map',
          '--from',
          'research/alice',
          '--to',
          'research/alice-new'
        )
      ).code
    ).toBe(0);
    const mapped = (await tableItems('studioUser')).find(
      r => r.profile_name === 'alice-new'
    );
    expect(mapped).toMatchObject({
      efs_sys_id: 'fs-1',
      efs_uid: '200001',
      replication: true,
      mapped_from: 'research/alice'
    });
    const again = await admin(
      'map',
      '--from',
      'research/alice',
      '--to',
      'research/alice-new'
    );
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists/);
    expect(
      (await admin('map', '--from', 'alice', '--to', 'research/x')).err
    ).toMatch(/<domain>\/<profile>/);
  });

  it("map --space names the old profile's space a new space takes over, and refuses what is not <old>:<new>", async () => {
    const mapSpaces = (...pairs: string[]) =>
      admin(
        ...'map --from research/alice --to research/alice-3 --space'.split(' '),
        ...pairs
      );
    const bad = await mapSpaces('lab');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(
      /--space must be <old space>:<new space>, got "lab"/
    );
    expect((await mapSpaces('lab:notebook', 'old-a:new-a')).code).toBe(0);
    expect(
      (await tableItems('studioUser')).find(r => r.profile_name === 'alice-3')
    ).toMatchObject({
      mapped_from: 'research/alice',
      space_map: { notebook: 'lab', 'new-a': 'old-a' }
    });
  });

  it('allow-datasync opens NFS from the DataSync group on every mount target, idempotently', async () => {
    const vpc = (
      await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))
    ).Vpc!.VpcId!;
    const subnet = (
      await ec2.send(
        new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24' })
      )
    ).Subnet!.SubnetId!;
    const efsGroup = (
      await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: 'efs',
          Description: 'efs',
          VpcId: vpc
        })
      )
    ).GroupId!;
    const dsGroup = (
      await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: 'datasync',
          Description: 'ds',
          VpcId: vpc
        })
      )
    ).GroupId!;
    const fs = (
      await efs.send(new CreateFileSystemCommand({ CreationToken: 'studio' }))
    ).FileSystemId!;
    await efs.send(
      new CreateMountTargetCommand({
        FileSystemId: fs,
        SubnetId: subnet,
        SecurityGroups: [efsGroup]
      })
    );
    const allow = (...extra: string[]) =>
      admin(
        'allow-datasync',
        '--file-system',
        fs,
        '--security-group',
        dsGroup,
        ...extra
      );
    const rules = async () =>
      (
        await ec2.send(
          new DescribeSecurityGroupsCommand({ GroupIds: [efsGroup] })
        )
      ).SecurityGroups![0].IpPermissions ?? [];

    const dry = await allow('--dry-run');
    expect(dry.out).toMatch(/would allow/);
    expect(await rules()).toEqual([]);
    expect((await allow()).out).toMatch(/\ballowed\b/);
    expect(await rules()).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 2049,
        ToPort: 2049,
        UserIdGroupPairs: [expect.objectContaining({ GroupId: dsGroup })]
      })
    ]);
    expect((await allow()).out).toMatch(/already allowed/);
    expect(await rules()).toHaveLength(1);
  });

  it('lists, approves and rejects restore requests waiting for an admin', async () => {
    for (const [id, state] of [
      ['r1', 'pending-approval'],
      ['r2', 'pending-approval'],
      ['r3', 'approved']
    ]) {
      await env.dynamodb.send(
        new PutItemCommand({
          TableName: 'studioBackupRequests',
          Item: marshall({
            user_profile_name: 'alice',
            request_id: id,
            kind: 'recover-profile',
            from_profile: 'old-alice',
            state,
            created: `2026-01-0${id.slice(1)}T00:00:00Z`
          })
        })
      );
    }
    const waiting = JSON.parse(
      (await admin('--json', 'requests', 'list', '--state', 'pending-approval'))
        .out
    );
    expect(waiting.map((r: any) => r.request_id)).toEqual(['r1', 'r2']);
    expect(
      (await admin('requests', 'approve', 'alice', 'r1', '--dry-run')).code
    ).toBe(0);
    expect(
      (await tableItems('studioBackupRequests')).find(
        r => r.request_id === 'r1'
      )?.state
    ).toBe('pending-approval');
    expect((await admin('requests', 'approve', 'alice', 'r1')).code).toBe(0);
    expect(
      (
        await admin(
          'requests',
          'reject',
          'alice',
          'r2',
          '--reason',
          'not your data'
        )
      ).code
    ).toBe(0);
    const after = await tableItems('studioBackupRequests');
    expect(after.find(r => r.request_id === 'r1')?.state).toBe('approved');
    expect(after.find(r => r.request_id === 'r2')).toMatchObject({
      state: 'rejected',
      message: 'not your data'
    });
    // One request whole, as a table and as JSON; an unknown one in one line.
    const shown = await admin('requests', 'show', 'alice', 'r2');
    expect(shown.out).toMatch(/^attribute +value$/m);
    expect(shown.out).toMatch(/^message +not your data$/m);
    expect(shown.out).toMatch(/^state +rejected$/m);
    expect(
      JSON.parse((await admin('--json', 'requests', 'show', 'alice', 'r1')).out)
    ).toMatchObject({ request_id: 'r1', state: 'approved' });
    const unknown = await admin('requests', 'show', 'alice', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe(
      'studio-backup-admin: No request nope for alice: see "studio-backup-admin requests list".'
    );
    const twice = await admin('requests', 'approve', 'alice', 'r3');
    expect(twice.code).toBe(1);
    expect(twice.err).toBe(
      'studio-backup-admin: Request r3 is approved, not waiting for approval.'
    );
  });
});
