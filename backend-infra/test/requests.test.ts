/**
 * Restore requests end to end where the emulator can run them: the approval policy (lambda/requests.ts)
 * on moto's DynamoDB stream, starting the request-processing state machine's own definition in moto's
 * Step Functions interpreter, which writes the outcome back on the request row. moto has no SageMaker
 * DescribeUserProfile and cannot invoke a Lambda without Docker, so the profile tag and the copy's map
 * are asserted on the definition (the copy itself runs on moto S3 in copy-snapshots.test.ts), and the
 * recovery it waits for is a stand-in machine.
 */
import { decideRequest } from '../admin/commands';
import type { IAdminContext } from '../admin/clients';
import {
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand
} from '@aws-sdk/client-dynamodb-streams';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client
} from '@aws-sdk/client-s3';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StopExecutionCommand
} from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import {
  decide,
  executionName,
  IProcessInput,
  IRequestDeps,
  processRecord
} from '../lambda/requests';
import { onCreated } from '../lambda/studio-events';
import { REQUEST_ATTRIBUTES } from '../lib/isolation';
import {
  adminCli,
  createTable,
  HISTORY_KEYS,
  IEmulators,
  REQUEST_KEYS,
  runStateMachines,
  setRequestState,
  startEmulators,
  USER_KEYS
} from './moto';
import {
  emulatorDefinition,
  stateMachineDefinition,
  synthStack
} from './synth';

jest.setTimeout(120_000);

let env: IEmulators;
let deps: IRequestDeps;
let sfn: SFNClient;
let s3: S3Client;
let iterator: string | undefined;
const { template } = synthStack();

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

/** The studioUser row of a profile whose EFS home the recovery knows. */
async function recordEfsHome(profile: string, uid: string): Promise<void> {
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

async function file(item: Record<string, unknown>) {
  // What the agent writes: no state (users cannot write one), the domain by id only.
  await env.dynamodb.send(
    new PutItemCommand({
      TableName: 'requests',
      Item: marshall({
        user_profile_name: 'alice',
        domain_id: 'd-1',
        space_name: 'alice-space',
        ...item
      })
    })
  );
}

const executions = async () =>
  (
    await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: deps.processingArn })
    )
  ).executions ?? [];

/** Hands the new stream records to the Lambda and waits for the executions it started. */
async function runPolicy(): Promise<void> {
  for (const record of await newRecords()) {
    await processRecord(deps, record);
  }
  for (let i = 0; i < 300; i++) {
    const running = (await executions()).filter(e => e.status === 'RUNNING');
    if (running.length === 0) return;
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  throw new Error('an execution is still running after 30 s');
}

async function inputOf(requestId: string): Promise<IProcessInput[]> {
  const inputs = [];
  for (const e of await executions()) {
    const described = await sfn.send(
      new DescribeExecutionCommand({ executionArn: e.executionArn })
    );
    const input = JSON.parse(described.input!) as IProcessInput;
    if (input.request.request_id === requestId) inputs.push(input);
  }
  return inputs;
}

/**
 * moto's ASL parser does not know ItemBatcher; the map never runs there (its Lambda would need
 * Docker), so the emulator gets the definition without it and the batcher is asserted below.
 */
function withoutItemBatcher(definition: string): string {
  const parsed = JSON.parse(definition);
  delete parsed.States.CopySnapshots.ItemBatcher;
  return JSON.stringify(parsed);
}

beforeAll(async () => {
  env = await startEmulators();
  await runStateMachines(env);
  sfn = new SFNClient({ endpoint: env.moto.endpoint });
  s3 = new S3Client({ endpoint: env.moto.endpoint, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'backups' }));
  await createTable(env.dynamodb, 'requests', REQUEST_KEYS, true);
  await createTable(env.dynamodb, 'studioUser', USER_KEYS);
  await createTable(env.dynamodb, 'history', HISTORY_KEYS);
  await recordEfsHome('alice', '200010');
  await recordEfsHome('old-alice', '200001');
  env.sagemakerState.domains['d-1'] = {
    name: 'research',
    defaultUserSettings: {}
  };
  // Stand-in for the DataSync recovery (moto has no ListApps or EFS locations): it succeeds.
  const recovery = await sfn.send(
    new CreateStateMachineCommand({
      name: 'recover-home',
      roleArn: 'arn:aws:iam::123456789012:role/sfn',
      definition: JSON.stringify({
        StartAt: 'Done',
        States: { Done: { Type: 'Succeed' } }
      })
    })
  );
  const processing = await sfn.send(
    new CreateStateMachineCommand({
      name: 'process-request',
      roleArn: 'arn:aws:iam::123456789012:role/sfn',
      definition: withoutItemBatcher(
        emulatorDefinition(template, 'ProcessRequest', [
          ['RestoreRequestsTable', 'requests'],
          ['StudioUserHistory', 'history'],
          ['RecoverHome', recovery.stateMachineArn!],
          ['BackupBucket', 'backups'],
          ['Copier', 'arn:aws:lambda:us-east-1:123456789012:function:copier']
        ])
      )
    })
  );
  deps = {
    dynamodb: env.dynamodb,
    sagemaker: env.sagemaker,
    sfn,
    requestsTable: 'requests',
    userTable: 'studioUser',
    processingArn: processing.stateMachineArn!,
    s3,
    bucket: 'backups',
    prefix: 'studio-backups',
    now: () => 7
  };
});

afterAll(async () => {
  sfn?.destroy();
  s3?.destroy();
  await env?.stop();
});

describe('restore requests', () => {
  it('approves a full restore of the own home at once, for a profile tag applied at the next start of the space that filed it', async () => {
    await file({
      request_id: 'r1',
      kind: 'full-restore',
      snapshot: 'abc123',
      target: 'original'
    });
    await runPolicy();
    expect(await request('r1')).toMatchObject({
      state: 'approved',
      message: 'Approved: applied at the next start of a space.'
    });
    expect(await inputOf('r1')).toEqual([
      expect.objectContaining({
        action: 'tag-profile',
        domain_id: 'd-1',
        tag_value: 'abc123:in-place',
        // The request names its space: no other space of alice's takes it.
        tag_key: 'studio-backup:restore:alice-space'
      })
    ]);
  });

  it("holds a recovery of another profile's home until an admin approves, then starts the EFS copy and records its end", async () => {
    await file({
      request_id: 'r2',
      kind: 'recover-profile',
      from_profile: 'old-alice'
    });
    await runPolicy();
    expect(await request('r2')).toMatchObject({
      state: 'pending-approval',
      message:
        "Recovering the home of old-alice needs your Studio admin's approval."
    });

    // What `studio-backup-admin requests approve alice r2` writes.
    await setRequestState(
      env.dynamodb,
      'requests',
      { profile: 'alice', id: 'r2' },
      'approved'
    );
    await runPolicy();
    // moto 5.2.5 cannot run the startExecution integration (its task fails with "'Input'"), so the
    // run shows a failed wait recorded on the request in one line; RecordRecovered after it is
    // asserted on the definition below.
    expect(await request('r2')).toMatchObject({
      state: 'failed',
      message: expect.stringMatching(
        /^The request failed \([A-Za-z.]+\): your Studio admin sees why with studio-backup-admin requests show\.$/
      ),
      error_cause: expect.any(String)
    });
    const recover = (await inputOf('r2')).find(i => i.action === 'recover');
    // The domain's name came from DescribeDomain: the agent writes only its id.
    expect(recover?.efs).toMatchObject({
      profile_name: 'alice',
      domain_name: 'research',
      source: { efs_sys_id: 'fs-1', efs_uid: '200001' },
      target: {
        efs_sys_id: 'fs-1',
        efs_uid: '200010',
        user_profile_name: 'alice'
      }
    });
  });

  it('refuses a request rewritten by its user after it was decided: an approval never lands on a profile the admin did not see', async () => {
    await file({
      request_id: 'r2t',
      kind: 'recover-profile',
      from_profile: 'old-alice'
    });
    await runPolicy();
    expect(await request('r2t')).toMatchObject({ state: 'pending-approval' });
    // Alice's session may PutItem her own rows (no state): she swaps the profile under review.
    await file({
      request_id: 'r2t',
      kind: 'recover-profile',
      from_profile: 'bob'
    });
    await runPolicy();
    expect(await request('r2t')).toMatchObject({
      state: 'failed',
      message:
        'The request was changed after it was filed: file a new one from the Backups panel.'
    });
    // What `studio-backup-admin requests approve alice r2t` then meets: nothing pending.
    const admin = {
      dynamodb: env.dynamodb,
      requestsTable: 'requests'
    } as unknown as IAdminContext;
    await expect(
      decideRequest(admin, 'alice', 'r2t', 'approved', undefined, false)
    ).rejects.toThrow('Request r2t is failed, not waiting for approval.');
    await runPolicy();
    expect((await inputOf('r2t')).filter(i => i.action === 'recover')).toEqual(
      []
    );
  });

  it('copies the S3 repository of the former space a request names, though both profiles have an EFS home recorded (an EFS home has no spaces)', async () => {
    await recordEfsHome('alice', '200010');
    await file({
      request_id: 'r2s',
      kind: 'recover-profile',
      from_profile: 'old-alice',
      from_space: 'lab'
    });
    await runPolicy();
    await setRequestState(
      env.dynamodb,
      'requests',
      { profile: 'alice', id: 'r2s' },
      'approved'
    );
    await runPolicy();
    const recover = (await inputOf('r2s')).find(i => i.action === 'recover');
    expect(recover?.efs).toBeUndefined();
    expect(recover?.s3).toMatchObject({
      from_profile: 'old-alice',
      source_prefix: 'studio-backups/old-alice/lab/',
      target_prefix: 'studio-backups/alice/alice-space/',
      all_spaces: false
    });
  });

  it('without an EFS home, looks for S3 snapshots of the former profile and fails in one line when there are none', async () => {
    await file({
      request_id: 'r3',
      kind: 'recover-profile',
      from_profile: 'alice',
      target: 'side'
    });
    // Own former home: no approval; alice has no second EFS home in another row, so S3 it is.
    await env.dynamodb.send(
      new PutItemCommand({
        TableName: 'studioUser',
        Item: marshall({ profile_name: 'alice', domain_name: 'research' })
      })
    );
    await runPolicy();
    const [input] = await inputOf('r3');
    expect(input.s3).toEqual({
      request: { user_profile_name: 'alice', request_id: 'r3' },
      from_profile: 'alice',
      space_name: 'alice-space',
      source_prefix: 'studio-backups/alice/',
      target_prefix: 'studio-backups/alice/alice-space/',
      all_spaces: true,
      keep_reference: {}
    });
    expect(input.tag_value).toBe('latest@alice');
    expect(await request('r3')).toMatchObject({
      state: 'failed',
      message:
        'Nothing to recover: alice has no EFS home recorded and no snapshots in the backup bucket.'
    });
  });

  it.each([
    [
      'a snapshot the agent could not resolve',
      { request_id: 'r7', kind: 'full-restore', snapshot: 'abc; rm -rf ~' },
      'The request names the snapshot "abc; rm -rf ~", which is not a snapshot id, a timestamp or "latest": pick one in the Backups panel.'
    ],
    [
      'a former profile that is not a Studio name',
      {
        request_id: 'r5',
        kind: 'recover-profile',
        from_profile: 'bob/../carol'
      },
      'The request names the former profile "bob/../carol", which is not a Studio name: file it again from the Backups panel.'
    ]
  ])(
    'refuses %s in one line, before anything runs',
    async (_, item, message) => {
      await file(item);
      const before = (await executions()).length;
      await runPolicy();
      expect(await request(item.request_id)).toMatchObject({
        state: 'failed',
        message
      });
      expect((await executions()).length).toBe(before);
    }
  );

  it('starts one execution for a stream record delivered twice, and a redelivery fails nothing', async () => {
    await file({ request_id: 'r6', kind: 'full-restore' });
    const records = await newRecords();
    let clock = 1_000;
    const ticking = { ...deps, now: () => (clock += 1_000) };
    for (const record of records) {
      await processRecord(ticking, record);
    }
    await runPolicy();
    // The Lambda retried the batch later: the first execution has ended meanwhile.
    for (const record of records) {
      await processRecord(ticking, record);
    }
    await runPolicy();
    expect(await inputOf('r6')).toHaveLength(1);
    expect(await request('r6')).toMatchObject({ state: 'approved' });
  });

  it("names an execution by request, state and stream record, within Step Functions' limits", () => {
    const r = {
      user_profile_name: 'alice',
      request_id: 'a'.repeat(100),
      kind: 'full-restore' as const
    };
    const name = executionName(
      r,
      'pending-approval',
      '4000000000012345678901234'
    );
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(name.endsWith('-pending-approval-00000012345678901234')).toBe(true);
    expect(executionName(r, 'approved', '1')).not.toBe(
      executionName(r, 'approved', '2')
    );
  });

  it('does nothing for the states it writes itself (no loop on its own updates)', () => {
    const r = {
      user_profile_name: 'a',
      request_id: 'x',
      kind: 'full-restore' as const,
      state: 'approved' as const
    };
    expect(decide(r, { ...r, state: undefined })).toEqual({ action: 'none' });
    const p = {
      ...r,
      kind: 'recover-profile' as const,
      from_profile: 'b',
      state: 'forwarded' as const
    };
    expect(decide(p, { ...p, state: 'approved' })).toEqual({ action: 'none' });
    // A row the user rewrote after it was decided (no state) is refused, not queued again: an
    // admin's later approval must not land on a profile other than the one they reviewed.
    expect(
      decide({ ...p, state: undefined }, { ...p, state: 'approved' })
    ).toMatchObject({
      action: 'refuse',
      state: 'failed'
    });
  });
});

describe("a mapped profile's new spaces", () => {
  const put = (key: string, body: string) =>
    s3.send(new PutObjectCommand({ Bucket: 'backups', Key: key, Body: body }));
  const config = JSON.stringify({ format: 'studio-backup', version: 1 });
  /** A space created in d-1 (CloudTrail's CreateSpace), through the studio-events Lambda. */
  const createSpace = (name: string, owner: string) => {
    env.sagemakerState.spaces[name] = {
      domainId: 'd-1',
      owner,
      arn: `arn:aws:sagemaker:us-east-1:123456789012:space/d-1/${name}`
    };
    return onCreated(
      {
        sagemaker: env.sagemaker,
        dynamodb: env.dynamodb,
        userTable: 'studioUser',
        historyTable: 'history',
        backup: { s3, bucket: 'backups', prefix: 'studio-backups' },
        requestsTable: 'requests',
        now: () => Date.UTC(2026, 11, 1)
      },
      {
        detail: {
          eventName: 'CreateSpace',
          requestParameters: { domainId: 'd-1', spaceName: name }
        }
      }
    );
  };
  const requestsOf = async (profile: string) => {
    const rows = [];
    for (const id of ['map-lab', 'map-scratch', 'map-own', 'map-erin-lab']) {
      const item = await env.dynamodb.send(
        new GetItemCommand({
          TableName: 'requests',
          Key: marshall({ user_profile_name: profile, request_id: id })
        })
      );
      if (item.Item) rows.push(unmarshall(item.Item));
    }
    return rows;
  };
  const keysUnder = async (prefix: string) => {
    const keys: Array<{ Key: string; Size: number }> = [];
    for await (const page of paginateListObjectsV2(
      { client: s3 },
      { Bucket: 'backups', Prefix: prefix }
    )) {
      for (const o of page.Contents ?? []) {
        keys.push({ Key: o.Key!, Size: o.Size! });
      }
    }
    return keys;
  };
  // moto's distributed map waits for a Lambda it cannot invoke: stopped, once it has its input.
  const stopRunning = async () => {
    for (const e of await executions()) {
      if (e.status === 'RUNNING') {
        await sfn.send(
          new StopExecutionCommand({ executionArn: e.executionArn })
        );
      }
    }
  };
  const tagOf = (space: string) =>
    env.sagemakerState.tags[env.sagemakerState.spaces[space].arn];

  beforeAll(async () => {
    // dana-old had the spaces lab and own; dana is the profile the admin maps it to.
    await env.dynamodb.send(
      new PutItemCommand({
        TableName: 'studioUser',
        Item: marshall({
          profile_name: 'dana-old',
          domain_name: 'research',
          domain_id: 'd-1',
          efs_sys_id: 'fs-1',
          efs_uid: '200020'
        })
      })
    );
    for (const space of ['lab', 'own']) {
      await put(`studio-backups/dana-old/${space}/config`, config);
      await put(`studio-backups/dana-old/${space}/snapshots/5e6f`, '{}');
      await put(`studio-backups/dana-old/${space}/data/ab/ab12cd`, 'pack');
      await put(`studio-backups/dana-old/${space}/locks/shared-1f2e`, '{}');
    }
    // dana's own space "own" already has snapshots of its own; erin is mapped from no one.
    await put('studio-backups/dana/own/snapshots/9a8b', '{}');
    await put('studio-backups/erin/erin-lab/snapshots/1234', '{}');
    const mapped = await adminCli(env, [
      'map',
      '--from',
      'research/dana-old',
      '--to',
      'research/dana'
    ]);
    expect(mapped.code).toBe(0);
    await runPolicy(); // the stream records of the earlier tests, out of the way
  });

  it("records an approved request for the old profile's space of the same name, and the copy brings it over", async () => {
    expect(await createSpace('lab', 'dana')).toMatch(/^mapped: dana-old\/lab/);
    expect(await requestsOf('dana')).toEqual([
      {
        user_profile_name: 'dana',
        request_id: 'map-lab',
        kind: 'recover-profile',
        from_profile: 'dana-old',
        from_space: 'lab',
        space_name: 'lab',
        domain_id: 'd-1',
        domain_name: 'research',
        state: 'approved',
        approved_by: 'map',
        message:
          "Approved by the admin's mapping from research/dana-old: the snapshots of its space lab come into this space.",
        created: '2026-12-01T00:00:00.000Z'
      }
    ]);
    // Nothing of its own to restore: no tag until the copy is done.
    expect(tagOf('lab')).toBeUndefined();

    // The approval policy on the stream starts the S3 copy at once, no admin asked (and not the
    // EFS copy, though both profiles have an EFS home recorded: the mapping recovers that one).
    for (const record of await newRecords()) {
      await processRecord(deps, record);
    }
    const [input] = await inputOf('map-lab');
    await stopRunning();
    expect(input).toMatchObject({
      action: 'recover',
      state: 'forwarded',
      message:
        "Approved by your Studio admin's mapping: copying the snapshots of dana-old.",
      domain_id: 'd-1',
      tag_value: 'latest@dana-old',
      s3: {
        request: { user_profile_name: 'dana', request_id: 'map-lab' },
        from_profile: 'dana-old',
        space_name: 'lab',
        source_prefix: 'studio-backups/dana-old/lab/',
        target_prefix: 'studio-backups/dana/lab/',
        all_spaces: false
      }
    });
    expect(input.efs).toBeUndefined();

    // The map's batches (moto cannot invoke the copy Lambda): its handler, with the map's items.
    process.env.BACKUP_BUCKET = 'backups';
    process.env.REQUESTS_TABLE = 'requests';
    process.env.AWS_ENDPOINT_URL_DYNAMODB = env.moto.endpoint;
    const { handler } = await import('../lambda/copy-snapshots');
    const items = await keysUnder(input.s3!.source_prefix);
    expect(
      await handler({ Items: items.map(o => ({ ...o, copy: input.s3! })) })
    ).toMatchObject({ copied: 3, skipped: 1 });
    expect(
      (await keysUnder('studio-backups/dana/lab/')).map(o => o.Key)
    ).toEqual([
      'studio-backups/dana/lab/config',
      'studio-backups/dana/lab/data/ab/ab12cd',
      'studio-backups/dana/lab/snapshots/5e6f'
    ]);
    expect((await requestsOf('dana'))[0]).toMatchObject({ objects_copied: 3 });
  });

  it('files no second request when the same space is created again', async () => {
    await createSpace('lab', 'dana');
    expect((await requestsOf('dana')).map(r => r.request_id)).toEqual([
      'map-lab'
    ]);
    // Nothing new on the stream: no second copy either.
    const before = (await inputOf('map-lab')).length;
    await runPolicy();
    expect(await inputOf('map-lab')).toHaveLength(before);
  });

  it('files it again when the space is created again after its copy failed, and the copy starts again', async () => {
    // The copy failed before any snapshot came over (its state machine's RecordFailure).
    await env.dynamodb.send(
      new UpdateItemCommand({
        TableName: 'requests',
        Key: marshall({ user_profile_name: 'dana', request_id: 'map-lab' }),
        UpdateExpression: 'SET #s = :f',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: marshall({ ':f': 'failed' })
      })
    );
    await s3.send(
      new DeleteObjectCommand({
        Bucket: 'backups',
        Key: 'studio-backups/dana/lab/snapshots/5e6f'
      })
    );
    await runPolicy();
    const before = (await inputOf('map-lab')).length;
    expect(await createSpace('lab', 'dana')).toMatch(/^mapped: dana-old\/lab/);
    expect((await requestsOf('dana'))[0]).toMatchObject({
      request_id: 'map-lab',
      state: 'approved',
      approved_by: 'map'
    });
    for (const record of await newRecords()) {
      await processRecord(deps, record);
    }
    expect(await inputOf('map-lab')).toHaveLength(before + 1);
    await stopRunning();
    // What the copy brings back, so that the next tests find the space as before.
    await put('studio-backups/dana/lab/snapshots/5e6f', '{}');
  });

  it('files none for a space the old profile did not have, nor for one with snapshots of its own', async () => {
    expect(await createSpace('scratch', 'dana')).toBe('no snapshots');
    expect(await createSpace('own', 'dana')).toBe(
      'snapshots found, restore at first start'
    );
    expect(tagOf('own')).toEqual({ 'studio-backup:restore': 'latest' });
    expect((await requestsOf('dana')).map(r => r.request_id)).toEqual([
      'map-lab'
    ]);
  });

  it('leaves an unmapped profile as before: its own snapshots tagged, no request', async () => {
    expect(await createSpace('erin-lab', 'erin')).toBe(
      'snapshots found, restore at first start'
    );
    expect(await createSpace('erin-new', 'erin')).toBe('no snapshots');
    expect(tagOf('erin-new')).toBeUndefined();
    expect(await requestsOf('erin')).toEqual([]);
  });

  it("takes the old profile's space the admin named with map --space <old>:<new>", async () => {
    expect(
      (
        await adminCli(env, [
          'map',
          '--from',
          'research/dana-old',
          '--to',
          'research/fern',
          '--space',
          'lab:notebook'
        ])
      ).code
    ).toBe(0);
    await createSpace('notebook', 'fern');
    const item = await env.dynamodb.send(
      new GetItemCommand({
        TableName: 'requests',
        Key: marshall({ user_profile_name: 'fern', request_id: 'map-notebook' })
      })
    );
    expect(unmarshall(item.Item!)).toMatchObject({
      from_profile: 'dana-old',
      from_space: 'lab',
      space_name: 'notebook',
      state: 'approved',
      approved_by: 'map'
    });
    // Its records on the stream (started here, stopped as above) are not the next tests' concern.
    for (const record of await newRecords()) {
      await processRecord(deps, record);
    }
    await stopRunning();
  });

  it('starts a mapped request only as filed by the backend, which users cannot write', () => {
    const mapped = {
      user_profile_name: 'dana',
      request_id: 'map-lab',
      kind: 'recover-profile' as const,
      from_profile: 'dana-old',
      state: 'approved' as const,
      approved_by: 'map' as const
    };
    expect(decide(mapped)).toMatchObject({ action: 'recover' });
    // Its own later updates (the copy's counts) start nothing again; filed again over a failed copy, it does.
    expect(decide(mapped, mapped)).toEqual({ action: 'none' });
    expect(decide(mapped, { ...mapped, state: 'failed' })).toMatchObject({
      action: 'recover'
    });
    expect(decide({ ...mapped, approved_by: undefined })).toEqual({
      action: 'none'
    });
    expect(REQUEST_ATTRIBUTES).not.toContain('state');
    expect(REQUEST_ATTRIBUTES).not.toContain('approved_by');
  });
});

describe('the processing definition', () => {
  const { States } = stateMachineDefinition(template, 'ProcessRequest');

  it("copies S3 snapshots with a distributed map over the former profile's prefix, one Lambda a batch, then tags the space", () => {
    const map = States.CopySnapshots;
    expect(map.Type).toBe('Map');
    expect(map.ItemReader).toMatchObject({
      Resource: 'arn:aws:states:::s3:listObjectsV2',
      Parameters: { 'Prefix.$': '$.s3.source_prefix' }
    });
    expect(map.ItemProcessor.ProcessorConfig.Mode).toBe('DISTRIBUTED');
    expect(map.ItemBatcher.MaxItemsPerBatch).toBe(100);
    expect(map.ItemSelector).toEqual({
      'Key.$': '$$.Map.Item.Value.Key',
      'Size.$': '$$.Map.Item.Value.Size',
      'copy.$': '$.s3'
    });
    expect(map.Catch[0].Next).toBe('RecordFailure');
    expect(map.Next).toBe('DescribeSpace');
    expect(States.DescribeSpace.Next).toBe('TagSpace');
    expect(States.TagSpace.Parameters.Tags).toEqual([
      { Key: 'studio-backup:restore', 'Value.$': '$.tag_value' }
    ]);
    expect(States.TagSpace.Next).toBe('ReadCopyCounts');
    // The history row carries the bytes the copy Lambdas added up on the request row, when present.
    expect(States['Counted?'].Choices[0]).toEqual({
      Variable: '$.row.Item.bytes_copied.N',
      IsPresent: true,
      Next: 'HistoryCopied'
    });
    expect(States.HistoryCopied.Parameters.Item).toMatchObject({
      event: { S: 'recovery' },
      method: { S: 's3-snapshots' },
      replication_status: { S: 'SUCCESS' },
      bytes_written: { 'N.$': '$.row.Item.bytes_copied.N' }
    });
    expect(States.HistoryCopied.Next).toBe('RecordCopied');
    expect(States['Counted?'].Default).toBe('HistoryCopiedUncounted');
  });

  it('tags the profile for a full restore and waits for an EFS recovery to finish', () => {
    expect(States.DescribeUserProfile.Next).toBe('TagProfile');
    expect(States.TagProfile.Parameters['ResourceArn.$']).toBe(
      '$.profile.UserProfileArn'
    );
    expect(States.RecoverEfsHome.Resource).toBe(
      'arn:aws:states:::states:startExecution.sync:2'
    );
    expect(States.RecoverEfsHome.Parameters['Input.$']).toBe('$.efs');
    expect(States.RecoverEfsHome.Next).toBe('RecordRecovered');
    expect(States.RecordRecovered.Parameters.ExpressionAttributeValues).toEqual(
      {
        ':s': { S: 'done' },
        ':m': {
          S: 'Recovered: the former home was copied into yours (see the recovery history).'
        }
      }
    );
  });

  it('catches every task into the one failure record', () => {
    const uncaught = Object.entries(States)
      .filter(
        ([, st]: [string, any]) => st.Type === 'Task' || st.Type === 'Map'
      )
      // The two that record a failure end the run; a failure there has nowhere left to go.
      .filter(
        ([name]) => !['RecordFailure', 'RecordNothingToRecover'].includes(name)
      )
      .filter(
        ([, st]: [string, any]) =>
          !st.Catch?.some((c: any) => c.Next === 'RecordFailure')
      )
      .map(([name]) => name);
    expect(uncaught).toEqual([]);
  });
});
