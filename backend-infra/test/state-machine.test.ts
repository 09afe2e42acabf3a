/**
 * The recovery state machine's own definition, executed by moto's Step Functions interpreter
 * (execute_state_machine mode) against moto's DynamoDB, SQS and DataSync. moto has no SageMaker
 * ListApps and no EFS DataSync locations (an unknown API is an uncatchable States.Runtime error
 * there), so the run starts at CreateTask, the same states from there on, with two locations
 * already made (S3 ones, which moto has): the task creation fails, and the failure path must
 * record it everywhere and still delete the location that exists.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand
} from '@aws-sdk/client-sfn';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SQSClient
} from '@aws-sdk/client-sqs';
import {
  CreateLocationS3Command,
  DataSyncClient,
  ListLocationsCommand
} from '@aws-sdk/client-datasync';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  createTable,
  HISTORY_KEYS,
  IEmulators,
  runStateMachines,
  startEmulators,
  USER_KEYS
} from './moto';
import {
  aliceRow,
  recoveryHistory,
  recoveryInput
} from './helpers/recovery-fixtures';
import { emulatorDefinition, synthStack } from './synth';

jest.setTimeout(120_000);

let env: IEmulators;
let queueUrl = '';

/** The definition with the template's references replaced by the emulator's names. */
const resolvedDefinition = () =>
  emulatorDefinition(
    synthStack().template,
    'RecoverHome',
    [
      ['StudioUserHistory', 'studioUserHistory'],
      ['StudioUser', 'studioUser'],
      ['FailedRecoveries', queueUrl],
      ['DataSyncLogs', 'arn:aws:logs:us-east-1:123456789012:log-group:datasync']
    ],
    'CreateTask'
  );

beforeAll(async () => {
  env = await startEmulators();
  await runStateMachines(env);
  const sqs = new SQSClient({ endpoint: env.moto.endpoint });
  queueUrl = (
    await sqs.send(new CreateQueueCommand({ QueueName: 'failed-recoveries' }))
  ).QueueUrl!;
  sqs.destroy();
  await createTable(env.dynamodb, 'studioUser', USER_KEYS);
  await createTable(env.dynamodb, 'studioUserHistory', HISTORY_KEYS);
  await env.dynamodb.send(
    new PutItemCommand({
      TableName: 'studioUser',
      Item: marshall({
        profile_name: 'alice',
        domain_name: 'research',
        replication: true
      })
    })
  );
});

afterAll(async () => {
  await env?.stop();
});

it('records a failed recovery on the row, in the history and the dead-letter queue, and still runs the cleanup', async () => {
  const sfn = new SFNClient({ endpoint: env.moto.endpoint });
  const machine = await sfn.send(
    new CreateStateMachineCommand({
      name: 'recover-home',
      roleArn: 'arn:aws:iam::123456789012:role/sfn',
      definition: resolvedDefinition()
    })
  );
  const datasync = new DataSyncClient({ endpoint: env.moto.endpoint });
  const source = await datasync.send(
    new CreateLocationS3Command({
      S3BucketArn: 'arn:aws:s3:::old-home',
      S3Config: { BucketAccessRoleArn: 'arn:aws:iam::123456789012:role/ds' }
    })
  );
  const input = {
    locations: {
      source: { LocationArn: source.LocationArn },
      // Never created: CreateTask fails on it, as it would on a wrong mount target.
      target: {
        LocationArn:
          'arn:aws:datasync:us-east-1:123456789012:location/loc-0000000000missing'
      }
    },
    ...recoveryInput(1_700_000_000_123)
  };
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: machine.stateMachineArn,
      input: JSON.stringify(input)
    })
  );
  let status = 'RUNNING';
  for (let i = 0; i < 300 && status === 'RUNNING'; i++) {
    await new Promise(resolve => setTimeout(resolve, 100));
    status = (await sfn.send(new DescribeExecutionCommand({ executionArn })))
      .status!;
  }
  expect(status).toBe('FAILED');

  const history = await sfn.send(
    new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 })
  );
  const entered = (history.events ?? [])
    .filter(e => e.type?.endsWith('StateEntered'))
    .map(e => e.stateEnteredEventDetails?.name);
  expect(entered).toEqual(
    expect.arrayContaining([
      'RecordFailure',
      'HistoryFailure',
      'SendToDeadLetters',
      'DeleteTask?',
      'DeleteLocation-source',
      'DeleteLocation-target',
      'RecoveryFailed'
    ])
  );
  // No task was created, so none is deleted; the source location that existed is gone.
  expect(entered).not.toContain('DeleteTask');
  const left = await datasync.send(new ListLocationsCommand({}));
  expect(left.Locations?.map(l => l.LocationArn)).not.toContain(
    source.LocationArn
  );
  datasync.destroy();

  const row = await aliceRow(env.dynamodb);
  expect(row.replication_status).toBe('FAILED');
  expect(row.replication_error).toMatch(/Error/);

  expect(await recoveryHistory(env.dynamodb, 1_700_000_000_123)).toEqual([
    expect.objectContaining({
      epoctime: 1_700_000_000_123,
      event: 'recovery',
      replication_status: 'FAILED'
    })
  ]);

  const sqs = new SQSClient({ endpoint: env.moto.endpoint });
  const messages = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 })
  );
  expect(messages.Messages).toHaveLength(1);
  expect(JSON.parse(messages.Messages![0].Body!)).toMatchObject({
    profile_name: 'alice',
    source: input.source,
    error: expect.objectContaining({ Error: expect.any(String) })
  });
  sqs.destroy();
  sfn.destroy();
});
