/** The restore-request policy (lambda/requests.ts) on moto's DynamoDB stream, Step Functions and the SageMaker stand-in. */
import {
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand
} from '@aws-sdk/client-dynamodb-streams';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient
} from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { decide, IRequestDeps, processRecord } from '../lambda/requests';
import {
  createTable,
  IEmulators,
  REQUEST_KEYS,
  setRequestState,
  startEmulators,
  USER_KEYS
} from './moto';

jest.setTimeout(60_000);

let env: IEmulators;
let deps: IRequestDeps;
let sfn: SFNClient;
let iterator: string | undefined;

/** New stream records since the last call (the Lambda's view of the table). */
async function newRecords(): Promise<DynamoDBRecord[]> {
  const streams = new DynamoDBStreamsClient({ endpoint: env.moto.endpoint });
  if (!iterator) {
    const arn = (
      await env.dynamodb.send(
        new DescribeTableCommand({ TableName: 'requests' })
      )
    ).Table!.LatestStreamArn;
    const shard = (
      await streams.send(new DescribeStreamCommand({ StreamArn: arn }))
    ).StreamDescription!.Shards![0];
    iterator = (
      await streams.send(
        new GetShardIteratorCommand({
          StreamArn: arn,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON'
        })
      )
    ).ShardIterator;
  }
  const page = await streams.send(
    new GetRecordsCommand({ ShardIterator: iterator })
  );
  iterator = page.NextShardIterator;
  streams.destroy();
  return (page.Records ?? []) as unknown as DynamoDBRecord[];
}

async function request(id: string) {
  const item = await env.dynamodb.send(
    new GetItemCommand({
      TableName: 'requests',
      Key: marshall({ user_profile_name: 'alice', request_id: id })
    })
  );
  return unmarshall(item.Item!);
}

async function file(item: Record<string, unknown>) {
  await env.dynamodb.send(
    new PutItemCommand({
      TableName: 'requests',
      Item: marshall({
        user_profile_name: 'alice',
        domain_id: 'd-1',
        domain_name: 'research',
        state: 'new',
        ...item
      })
    })
  );
}

beforeAll(async () => {
  env = await startEmulators();
  sfn = new SFNClient({ endpoint: env.moto.endpoint });
  await createTable(env.dynamodb, 'requests', REQUEST_KEYS, true);
  await createTable(env.dynamodb, 'studioUser', USER_KEYS);
  for (const [profile, uid] of [
    ['alice', '200010'],
    ['old-alice', '200001']
  ]) {
    await env.dynamodb.send(
      new PutItemCommand({
        TableName: 'studioUser',
        Item: marshall({
          profile_name: profile,
          domain_name: 'research',
          domain_id: 'd-1',
          efs_sys_id: 'fs-1',
          efs_uid: uid
        })
      })
    );
  }
  env.sagemakerState.domains['d-1'] = {
    name: 'research',
    defaultUserSettings: {}
  };
  env.sagemakerState.profiles.alice = {
    domainId: 'd-1',
    arn: 'arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-1/alice'
  };
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
  deps = {
    dynamodb: env.dynamodb,
    sagemaker: env.sagemaker,
    sfn,
    requestsTable: 'requests',
    userTable: 'studioUser',
    stateMachineArn: machine.stateMachineArn!,
    now: () => 7
  };
});

afterAll(async () => {
  sfn?.destroy();
  await env?.stop();
});

describe('restore requests', () => {
  it('approves a full restore of the own home at once and tags the profile for the next start', async () => {
    await file({
      request_id: 'r1',
      kind: 'full-restore',
      snapshot: 'abc123',
      target: 'original'
    });
    for (const record of await newRecords()) {
      await processRecord(deps, record);
    }
    expect(await request('r1')).toMatchObject({
      state: 'approved',
      message: 'Approved: applied at the next start of a space.'
    });
    expect(
      env.sagemakerState.tags[env.sagemakerState.profiles.alice.arn]
    ).toEqual({
      'studio-backup:restore': 'abc123:in-place'
    });
  });

  it("holds a recovery of another profile's home until an admin approves, then starts it", async () => {
    await file({
      request_id: 'r2',
      kind: 'recover-profile',
      from_profile: 'old-alice'
    });
    for (const record of await newRecords()) {
      await processRecord(deps, record);
    }
    expect(await request('r2')).toMatchObject({ state: 'pending-approval' });
    const executions = async () =>
      (
        await sfn.send(
          new ListExecutionsCommand({ stateMachineArn: deps.stateMachineArn })
        )
      ).executions ?? [];
    expect(await executions()).toHaveLength(0);

    // What `studio-backup-admin requests approve alice r2` writes.
    await setRequestState(
      env.dynamodb,
      'requests',
      { profile: 'alice', id: 'r2' },
      'approved'
    );
    for (const record of await newRecords()) {
      await processRecord(deps, record);
    }
    expect(await request('r2')).toMatchObject({ state: 'forwarded' });
    const [execution] = await executions();
    const input = JSON.parse(
      (
        await sfn.send(
          new DescribeExecutionCommand({ executionArn: execution.executionArn })
        )
      ).input!
    );
    expect(input).toMatchObject({
      profile_name: 'alice',
      source: { efs_sys_id: 'fs-1', efs_uid: '200001' },
      target: {
        efs_sys_id: 'fs-1',
        efs_uid: '200010',
        user_profile_name: 'alice'
      }
    });
  });

  it('fails a recovery with one line when the former profile has no EFS home recorded', async () => {
    await file({
      request_id: 'r3',
      kind: 'recover-profile',
      from_profile: 'alice'
    });
    for (const record of await newRecords()) {
      await processRecord(deps, record);
    }
    // Own former home: no approval needed; alice's row has a home, so it starts.
    expect((await request('r3')).state).toBe('forwarded');
    await file({
      request_id: 'r4',
      kind: 'recover-profile',
      from_profile: 'nobody'
    });
    await setRequestState(
      env.dynamodb,
      'requests',
      { profile: 'alice', id: 'r4' },
      'pending-approval'
    );
    await setRequestState(
      env.dynamodb,
      'requests',
      { profile: 'alice', id: 'r4' },
      'approved'
    );
    for (const record of await newRecords()) {
      await processRecord(deps, record);
    }
    expect(await request('r4')).toMatchObject({
      state: 'failed',
      message:
        'No EFS home is recorded for nobody in research: an admin can restore S3 snapshots with the studio-backup CLI.'
    });
  });

  it('does nothing for the states it writes itself (no loop on its own updates)', () => {
    const r = {
      user_profile_name: 'a',
      request_id: 'x',
      kind: 'full-restore' as const,
      state: 'approved'
    };
    expect(decide(r, { ...r, state: 'new' })).toEqual({ action: 'none' });
    const p = {
      ...r,
      kind: 'recover-profile' as const,
      from_profile: 'b',
      state: 'forwarded'
    };
    expect(decide(p, { ...p, state: 'approved' })).toEqual({ action: 'none' });
  });
});
