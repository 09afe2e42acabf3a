/** The two Lambda handlers against moto's DynamoDB and its stream, and the SageMaker stand-in. */
import {
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand
} from '@aws-sdk/client-dynamodb-streams';
import {
  CreateStateMachineCommand,
  ListExecutionsCommand,
  SFNClient
} from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { recoveryFor, startRecoveries } from '../lambda/recovery-trigger';
import { describeCreated, IDeps, recordCreated } from '../core/studio-homes';
import {
  createTable,
  HISTORY_KEYS,
  IEmulators,
  startEmulators,
  USER_KEYS
} from './moto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { recoveryInput } from './helpers/recovery-fixtures';
import { markPendingRestore } from '../core/pending-restore';

jest.setTimeout(60_000);

let env: IEmulators;
let deps: IDeps;

const profileEvent = {
  detail: {
    eventName: 'CreateUserProfile',
    requestParameters: { domainId: 'd-1', userProfileName: 'alice' }
  }
};

beforeAll(async () => {
  env = await startEmulators();
  const s = env.sagemakerState;
  s.domains['d-1'] = {
    name: 'research',
    efsId: 'fs-old',
    defaultUserSettings: {
      ExecutionRole: 'arn:aws:iam::123456789012:role/Studio'
    }
  };
  s.profiles.alice = {
    domainId: 'd-1',
    arn: 'arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-1/alice',
    efsUid: '200001'
  };
  s.spaces['shared-space'] = {
    domainId: 'd-1',
    arn: 'arn:aws:sagemaker:us-east-1:123456789012:space/d-1/shared-space',
    owner: 'alice',
    efsUid: '300001'
  };
  await createTable(env.dynamodb, 'studioUser', USER_KEYS, true);
  await createTable(env.dynamodb, 'studioUserHistory', HISTORY_KEYS);
  let clock = 1_700_000_000_000;
  deps = {
    sagemaker: env.sagemaker,
    dynamodb: env.dynamodb,
    userTable: 'studioUser',
    historyTable: 'studioUserHistory',
    now: () => clock++
  };
});

afterAll(async () => {
  await env?.stop();
});

async function row(profile: string, domain = 'research') {
  const item = await env.dynamodb.send(
    new GetItemCommand({
      TableName: 'studioUser',
      Key: marshall({ profile_name: profile, domain_name: domain })
    })
  );
  return item.Item ? unmarshall(item.Item) : undefined;
}

async function streamRecords(): Promise<DynamoDBRecord[]> {
  const streams = new DynamoDBStreamsClient({ endpoint: env.moto.endpoint });
  const table = await env.dynamodb.send(
    new DescribeTableCommand({ TableName: 'studioUser' })
  );
  const stream = await streams.send(
    new DescribeStreamCommand({ StreamArn: table.Table!.LatestStreamArn })
  );
  const records: DynamoDBRecord[] = [];
  for (const shard of stream.StreamDescription!.Shards ?? []) {
    const iterator = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: table.Table!.LatestStreamArn,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON'
      })
    );
    const page = await streams.send(
      new GetRecordsCommand({ ShardIterator: iterator.ShardIterator })
    );
    records.push(...((page.Records ?? []) as unknown as DynamoDBRecord[]));
  }
  streams.destroy();
  return records;
}

describe('studio-events handler', () => {
  it('records a created profile with its EFS home, role and a history row', async () => {
    const created = await describeCreated(env.sagemaker, profileEvent);
    expect(created).toEqual({
      profile_name: 'alice',
      domain_name: 'research',
      domain_id: 'd-1',
      user_profile_name: 'alice',
      space_name: '',
      efs_sys_id: 'fs-old',
      efs_uid: '200001',
      role_name: 'Studio'
    });
    await recordCreated(deps, created!);
    expect(await row('alice')).toMatchObject({
      replication: true,
      efs_sys_id: 'fs-old',
      efs_uid: '200001'
    });
    const history = await env.dynamodb.send(
      new QueryCommand({
        TableName: 'studioUserHistory',
        KeyConditionExpression: 'profile_name = :p',
        ExpressionAttributeValues: marshall({ ':p': 'alice' })
      })
    );
    expect(history.Items?.map(i => unmarshall(i).event)).toEqual(['created']);
  });

  it('records a space under space#<name>, with its owner', async () => {
    const created = await describeCreated(env.sagemaker, {
      detail: {
        eventName: 'CreateSpace',
        requestParameters: { domainId: 'd-1', spaceName: 'shared-space' }
      }
    });
    expect(created).toMatchObject({
      profile_name: 'space#shared-space',
      space_name: 'shared-space',
      user_profile_name: 'alice',
      efs_uid: '300001'
    });
  });

  it('ignores events it does not handle and events without a domain', async () => {
    expect(
      await describeCreated(env.sagemaker, {
        detail: {
          eventName: 'DeleteApp',
          requestParameters: { domainId: 'd-1' }
        }
      })
    ).toBeNull();
    expect(
      await describeCreated(env.sagemaker, {
        detail: { eventName: 'CreateUserProfile' }
      })
    ).toBeNull();
  });

  it("records a recreated domain's new EFS home under domain#<name>, found from the response's ARN", async () => {
    env.sagemakerState.domains['d-2'] = {
      name: 'research',
      efsId: 'fs-recreated',
      defaultUserSettings: {
        ExecutionRole: 'arn:aws:iam::123456789012:role/service-role/Recreated'
      }
    };
    const created = await describeCreated(env.sagemaker, {
      detail: {
        eventName: 'CreateDomain',
        requestParameters: { domainName: 'research' },
        responseElements: {
          domainArn: 'arn:aws:sagemaker:us-east-1:123456789012:domain/d-2'
        }
      }
    });
    expect(created).toEqual({
      profile_name: 'domain#research',
      domain_name: 'research',
      domain_id: 'd-2',
      user_profile_name: '',
      space_name: '',
      efs_sys_id: 'fs-recreated',
      efs_uid: '',
      role_name: 'Recreated'
    });
    await recordCreated(deps, created!);
    expect(await row('domain#research')).toMatchObject({
      replication: true,
      domain_id: 'd-2',
      efs_sys_id: 'fs-recreated'
    });
  });

  it("keeps an admin's replication = false when the profile is recorded again", async () => {
    await env.dynamodb.send(
      new UpdateItemCommand({
        TableName: 'studioUser',
        Key: marshall({ profile_name: 'alice', domain_name: 'research' }),
        UpdateExpression: 'SET replication = :f',
        ExpressionAttributeValues: marshall({ ':f': false })
      })
    );
    await recordCreated(
      deps,
      (await describeCreated(env.sagemaker, profileEvent))!
    );
    expect((await row('alice'))?.replication).toBe(false);
  });
});

describe('recovery trigger on the real stream', () => {
  it('asks for one recovery, from the old home to the new, when a recreated profile moves', async () => {
    // Replication back on, then the domain and profile are recreated: new EFS, new uid.
    await env.dynamodb.send(
      new UpdateItemCommand({
        TableName: 'studioUser',
        Key: marshall({ profile_name: 'alice', domain_name: 'research' }),
        UpdateExpression: 'SET replication = :t',
        ExpressionAttributeValues: marshall({ ':t': true })
      })
    );
    env.sagemakerState.domains['d-1'].efsId = 'fs-new';
    env.sagemakerState.profiles.alice.efsUid = '200002';
    await recordCreated(
      deps,
      (await describeCreated(env.sagemaker, profileEvent))!
    );

    const records = await streamRecords();
    const decisions = records.map(r => recoveryFor(r, () => 42));
    const recoveries = decisions.filter(d => !('skip' in d));
    expect(recoveries).toEqual([recoveryInput(42)]);
    const reasons = decisions
      .filter(d => 'skip' in d)
      .map(d => (d as { skip: string }).skip);
    expect(reasons).toEqual(
      expect.arrayContaining([
        'INSERT is not a change of an existing row',
        'replication is off for this profile',
        'the home did not move'
      ])
    );

    // And the trigger starts exactly that execution on Step Functions (moto).
    const sfn = new SFNClient({ endpoint: env.moto.endpoint });
    const machine = await sfn.send(
      new CreateStateMachineCommand({
        name: 'recover-home',
        roleArn: 'arn:aws:iam::123456789012:role/sfn',
        definition: JSON.stringify({
          StartAt: 'Done',
          States: { Done: { Type: 'Succeed' } }
        })
      })
    );
    const started = await startRecoveries(
      sfn,
      machine.stateMachineArn!,
      { Records: records },
      () => undefined
    );
    expect(started).toHaveLength(1);
    const executions = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machine.stateMachineArn })
    );
    expect(executions.executions).toHaveLength(1);
    sfn.destroy();
  });
});

describe('pending restore for recreated EBS spaces', () => {
  it('tags a space whose repository has snapshots, and leaves a new one alone', async () => {
    await env.moto.createBucket('backups');
    await env.moto.client.send(
      new PutObjectCommand({
        Bucket: 'backups',
        Key: 'studio-backup/alice/shared-space/snapshots/abc',
        Body: 'x'
      })
    );
    const deps = {
      s3: env.moto.client,
      sagemaker: env.sagemaker,
      bucket: 'backups',
      prefix: 'studio-backup'
    };
    const arn = env.sagemakerState.spaces['shared-space'].arn;
    expect(
      await markPendingRestore(deps, {
        arn,
        owner: 'alice',
        name: 'shared-space'
      })
    ).toBe(true);
    expect(env.sagemakerState.tags[arn]).toEqual({
      'studio-backup:restore': 'latest'
    });
    const other = 'arn:aws:sagemaker:us-east-1:123456789012:space/d-1/fresh';
    expect(
      await markPendingRestore(deps, {
        arn: other,
        owner: 'alice',
        name: 'fresh'
      })
    ).toBe(false);
    expect(env.sagemakerState.tags[other]).toBeUndefined();
    // A space named like another profile's does not take that profile's snapshots.
    expect(
      await markPendingRestore(deps, {
        arn: other,
        owner: 'bob',
        name: 'shared-space'
      })
    ).toBe(false);
  });
});

describe('a space named like a user profile', () => {
  it("gets a row of its own: the profile's home stays recorded, and nothing copies it into the space", async () => {
    const s = env.sagemakerState;
    s.domains['d-2'] = {
      name: 'lab',
      efsId: 'fs-lab',
      defaultUserSettings: {}
    };
    s.profiles.bob = {
      domainId: 'd-2',
      arn: 'arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-2/bob',
      efsUid: '400001'
    };
    s.spaces.bob = {
      domainId: 'd-2',
      arn: 'arn:aws:sagemaker:us-east-1:123456789012:space/d-2/bob',
      owner: 'carol',
      efsUid: '500001'
    };
    const before = (await streamRecords()).length;
    for (const detail of [
      {
        eventName: 'CreateUserProfile',
        requestParameters: { domainId: 'd-2', userProfileName: 'bob' }
      },
      {
        eventName: 'CreateSpace',
        requestParameters: { domainId: 'd-2', spaceName: 'bob' }
      }
    ]) {
      await recordCreated(
        deps,
        (await describeCreated(env.sagemaker, { detail }))!
      );
    }
    expect(await row('bob', 'lab')).toMatchObject({
      user_profile_name: 'bob',
      space_name: '',
      efs_uid: '400001'
    });
    expect(await row('space#bob', 'lab')).toMatchObject({
      user_profile_name: 'carol',
      space_name: 'bob',
      efs_uid: '500001'
    });
    const decisions = (await streamRecords())
      .slice(before)
      .map(r => recoveryFor(r, () => 42));
    expect(decisions.filter(d => !('skip' in d))).toEqual([]);
  });
});

describe('a space recorded under its bare name by an earlier version', () => {
  it('moves under space#<name> when it is recreated, and its move starts its recovery', async () => {
    const s = env.sagemakerState;
    s.domains['d-3'] = {
      name: 'older',
      efsId: 'fs-older',
      defaultUserSettings: {}
    };
    s.spaces['team-space'] = {
      domainId: 'd-3',
      arn: 'arn:aws:sagemaker:us-east-1:123456789012:space/d-3/team-space',
      owner: 'alice',
      efsUid: '600002'
    };
    await env.dynamodb.send(
      new PutItemCommand({
        TableName: 'studioUser',
        Item: marshall({
          profile_name: 'team-space',
          domain_name: 'older',
          domain_id: 'd-3',
          user_profile_name: 'alice',
          space_name: 'team-space',
          efs_sys_id: 'fs-older',
          efs_uid: '600001',
          role_name: 'Studio',
          replication: true
        })
      })
    );
    const before = (await streamRecords()).length;
    await recordCreated(
      deps,
      (await describeCreated(env.sagemaker, {
        detail: {
          eventName: 'CreateSpace',
          requestParameters: { domainId: 'd-3', spaceName: 'team-space' }
        }
      }))!
    );
    expect(await row('team-space', 'older')).toBeUndefined();
    expect(await row('space#team-space', 'older')).toMatchObject({
      efs_uid: '600002'
    });
    const recoveries = (await streamRecords())
      .slice(before)
      .map(r => recoveryFor(r, () => 7))
      .filter(d => !('skip' in d));
    expect(recoveries).toHaveLength(1);
    expect(recoveries[0]).toMatchObject({
      profile_name: 'space#team-space',
      source: { efs_uid: '600001' },
      target: { efs_uid: '600002' }
    });
  });
});
