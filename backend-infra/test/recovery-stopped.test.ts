/**
 * Recoveries that end without their own cleanup (timed out, aborted, an uncatchable failure), handled
 * by lambda/recovery-stopped.ts against moto over HTTP: a run in moto's Step Functions interpreter
 * really creates DataSync locations and a task (S3 ones: moto has no EFS locations) and is stopped
 * or times out while it waits; the handler reads that execution's history, deletes what it made
 * and records the run as FAILED. The rule and the alarm are asserted in the synthesized template.
 */
import {
  DataSyncClient,
  ListLocationsCommand,
  ListTasksCommand
} from '@aws-sdk/client-datasync';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand
} from '@aws-sdk/client-sfn';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SQSClient
} from '@aws-sdk/client-sqs';
import { Match } from 'aws-cdk-lib/assertions';
import { RECORDED_FAILURE } from '../../lcc/src/api/backend-rows';
import {
  IStoppedDeps,
  recordStoppedRecovery
} from '../lambda/recovery-stopped';
import {
  aliceRow,
  recoveryHistory,
  recoveryInput
} from './helpers/recovery-fixtures';
import {
  createTable,
  HISTORY_KEYS,
  IEmulators,
  runStateMachines,
  startEmulators,
  USER_KEYS
} from './moto';
import { synthStack } from './synth';

let env: IEmulators;
let deps: IStoppedDeps;
let sfn: SFNClient;
let datasync: DataSyncClient;
let sqs: SQSClient;

const location = (name: string) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::aws-sdk:datasync:createLocationS3',
  Parameters: {
    S3BucketArn: `arn:aws:s3:::${name}`,
    S3Config: { BucketAccessRoleArn: 'arn:aws:iam::123456789012:role/ds' }
  },
  ResultPath: `$.locations.${name}`
});

/** What the recovery does up to its copy, with S3 locations, then a wait no test sits out. */
const definition = (timeoutSeconds?: number) =>
  JSON.stringify({
    StartAt: 'CreateLocation-source',
    ...(timeoutSeconds ? { TimeoutSeconds: timeoutSeconds } : {}),
    States: {
      'CreateLocation-source': { ...location('source'), Next: 'Target' },
      Target: { ...location('target'), Next: 'CreateTask' },
      CreateTask: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:datasync:createTask',
        Parameters: {
          'SourceLocationArn.$': '$.locations.source.LocationArn',
          'DestinationLocationArn.$': '$.locations.target.LocationArn',
          Name: 'studio-backup-alice'
        },
        ResultPath: '$.task',
        Next: 'StartTaskExecution'
      },
      StartTaskExecution: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:datasync:startTaskExecution',
        Parameters: { 'TaskArn.$': '$.task.TaskArn' },
        ResultPath: '$.execution',
        Next: 'WaitForCopy'
      },
      WaitForCopy: { Type: 'Wait', Seconds: 3600, End: true }
    }
  });

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>
): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  throw new Error(`never happened: ${what}`);
}

/** Starts a run and waits until it has made its locations and task and sits in the wait. */
async function runUntilWaiting(
  name: string,
  requestedAt: number,
  timeoutSeconds?: number
): Promise<string> {
  const machine = await sfn.send(
    new CreateStateMachineCommand({
      name,
      roleArn: 'arn:aws:iam::123456789012:role/sfn',
      definition: definition(timeoutSeconds)
    })
  );
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: machine.stateMachineArn,
      input: JSON.stringify(recoveryInput(requestedAt))
    })
  );
  await until('the run waits for its copy', async () => {
    const history = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 })
    );
    return history.events?.some(
      e => e.stateEnteredEventDetails?.name === 'WaitForCopy'
    )
      ? true
      : undefined;
  });
  return executionArn!;
}

/** The status-change event EventBridge delivers, from what Step Functions says of the run. */
/** The execution's status event once it has left RUNNING (moto applies a stop a moment later under load). */
async function statusEvent(executionArn: string) {
  let execution = await sfn.send(
    new DescribeExecutionCommand({ executionArn })
  );
  for (let i = 0; i < 100 && execution.status === 'RUNNING'; i++) {
    await new Promise(resolve => setTimeout(resolve, 100));
    execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  }
  return {
    detail: {
      executionArn,
      status: execution.status!,
      input: execution.input,
      error: execution.error ?? null,
      cause: execution.cause ?? null
    }
  };
}

const leftInDataSync = async () => ({
  tasks: (await datasync.send(new ListTasksCommand({}))).Tasks ?? [],
  locations: (await datasync.send(new ListLocationsCommand({}))).Locations ?? []
});

beforeAll(async () => {
  env = await startEmulators();
  await runStateMachines(env);
  sfn = new SFNClient({ endpoint: env.moto.endpoint });
  datasync = new DataSyncClient({ endpoint: env.moto.endpoint });
  sqs = new SQSClient({ endpoint: env.moto.endpoint });
  const queue = await sqs.send(
    new CreateQueueCommand({ QueueName: 'failed-recoveries' })
  );
  await createTable(env.dynamodb, 'studioUser', USER_KEYS);
  await createTable(env.dynamodb, 'studioUserHistory', HISTORY_KEYS);
  deps = {
    sfn,
    datasync,
    dynamodb: env.dynamodb,
    sqs,
    userTable: 'studioUser',
    historyTable: 'studioUserHistory',
    deadLetterUrl: queue.QueueUrl!,
    log: () => undefined
  };
});

afterAll(async () => {
  sfn?.destroy();
  datasync?.destroy();
  sqs?.destroy();
  await env?.stop();
});

async function deadLetters() {
  const received = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: deps.deadLetterUrl,
      MaxNumberOfMessages: 10
    })
  );
  return (received.Messages ?? []).map(m => JSON.parse(m.Body!));
}

it('records an aborted recovery as FAILED everywhere and deletes the task and locations it made', async () => {
  const executionArn = await runUntilWaiting('aborted', 1_700_000_000_001);
  const made = await leftInDataSync();
  expect(made.tasks).toHaveLength(1);
  expect(made.locations).toHaveLength(2);
  await sfn.send(new StopExecutionCommand({ executionArn }));
  const event = await statusEvent(executionArn);
  expect(event.detail.status).toBe('ABORTED');

  expect(await recordStoppedRecovery(deps, event)).toEqual({
    recorded: true,
    left: []
  });

  expect(await leftInDataSync()).toEqual({ tasks: [], locations: [] });
  const row = await aliceRow(env.dynamodb);
  expect(row.replication_status).toBe('FAILED');
  expect(JSON.parse(row.replication_error)).toMatchObject({
    Error: 'States.Aborted'
  });
  expect(await recoveryHistory(env.dynamodb, 1_700_000_000_001)).toEqual([
    expect.objectContaining({
      event: 'recovery',
      replication_status: 'FAILED',
      execution: executionArn
    })
  ]);
  expect(await deadLetters()).toEqual([
    expect.objectContaining({
      profile_name: 'alice',
      execution: executionArn,
      error: expect.objectContaining({ Error: 'States.Aborted' })
    })
  ]);
});

it('records a timed-out recovery the same way, its input read back from Step Functions', async () => {
  const executionArn = await runUntilWaiting('timed-out', 1_700_000_000_002, 2);
  const event = await until('the run times out', async () => {
    const e = await statusEvent(executionArn);
    return e.detail.status === 'RUNNING' ? undefined : e;
  });
  expect(event.detail.status).toBe('TIMED_OUT');

  // EventBridge leaves the input out of events over its size limit.
  await recordStoppedRecovery(deps, {
    detail: { ...event.detail, input: null }
  });

  expect(await leftInDataSync()).toEqual({ tasks: [], locations: [] });
  expect(await recoveryHistory(env.dynamodb, 1_700_000_000_002)).toEqual([
    expect.objectContaining({ replication_status: 'FAILED' })
  ]);
  expect(await deadLetters()).toEqual([
    expect.objectContaining({
      error: expect.objectContaining({ Error: 'States.Timeout' })
    })
  ]);
});

it('leaves a failure alone that the state machine recorded and cleaned up itself', async () => {
  const result = await recordStoppedRecovery(deps, {
    detail: {
      executionArn:
        'arn:aws:states:us-east-1:123456789012:execution:recover-home:done',
      status: 'FAILED',
      error: RECORDED_FAILURE,
      cause: 'See studioUser.replication_error and the dead-letter queue'
    }
  });
  expect(result).toEqual({ recorded: false, left: [] });
});

describe('in the template', () => {
  const { template } = synthStack();

  it("sends the recovery's TIMED_OUT, ABORTED and FAILED status changes to the handler", () => {
    const [rule] = Object.values(
      template.findResources('AWS::Events::Rule', {
        Properties: {
          EventPattern: {
            source: ['aws.states'],
            'detail-type': ['Step Functions Execution Status Change']
          }
        }
      })
    );
    const pattern = rule.Properties.EventPattern;
    expect(pattern.detail.status).toEqual(['TIMED_OUT', 'ABORTED', 'FAILED']);
    expect(JSON.stringify(pattern.detail.stateMachineArn)).toContain(
      'RecoverHome'
    );
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        DeadLetterConfig: expect.anything(),
        RetryPolicy: expect.objectContaining({ MaximumRetryAttempts: 4 })
      })
    ]);
  });

  it('alarms on timed-out and aborted recoveries', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'timedOut + aborted' }),
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: 'ExecutionsTimedOut' })
          })
        }),
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: 'ExecutionsAborted' })
          })
        })
      ])
    });
  });
});
