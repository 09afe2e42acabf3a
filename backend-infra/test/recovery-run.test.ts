/**
 * The recovery state machine synthesized from lib/ run end to end by aws-local-stepfunctions (a
 * maintained ASL interpreter whose Task states can be answered locally). Each Task state's AWS call
 * is made for real with the SDK v3 client of its service, against moto (DynamoDB, SQS) or, for what
 * moto lacks (SageMaker ListApps, DataSync EFS locations), the stand-in in helpers/ over the same
 * JSON wire protocol. Waits and retry intervals are shortened; nothing else of the definition is.
 */
import * as dynamodbApi from '@aws-sdk/client-dynamodb';
import * as datasyncApi from '@aws-sdk/client-datasync';
import * as sagemakerApi from '@aws-sdk/client-sagemaker';
import * as sqsApi from '@aws-sdk/client-sqs';
import {
  ExecutionAbortedError,
  ExecutionError,
  StateMachine
} from 'aws-local-stepfunctions';
import {
  IRecoveryStandinState,
  newStandinState,
  startRecoveryStandin
} from './helpers/recovery-standin';
import {
  aliceRow,
  recoveryHistory,
  recoveryInput
} from './helpers/recovery-fixtures';
import {
  createTable,
  HISTORY_KEYS,
  IEmulators,
  startEmulators,
  USER_KEYS
} from './moto';
import { emulatorDefinition, synthStack } from './synth';

// aws-local-stepfunctions 3 (the registry's only version) uses Promise.withResolvers, new in Node 22;
// this machine runs Node 20, so the test supplies it as the standard describes it.
(Promise as any).withResolvers ??= function withResolvers<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

let env: IEmulators;
let standin: { endpoint: string; stop(): Promise<void> };
let state: IRecoveryStandinState;
let queueUrl = '';
/** Synthesized once for the file: the definition as lib/recovery-state-machine.ts builds it. */
const { template } = synthStack();
const clients: Array<{ destroy(): void }> = [];

/** The SDK v3 module and client of each service a Task state names, and where it is answered. */
function services(): Record<string, { api: any; client: any }> {
  const client = (Client: any, endpoint: string) => {
    const made = new Client({ endpoint });
    clients.push(made);
    return made;
  };
  return {
    sagemaker: {
      api: sagemakerApi,
      client: client(sagemakerApi.SageMakerClient, standin.endpoint)
    },
    datasync: {
      api: datasyncApi,
      client: client(datasyncApi.DataSyncClient, standin.endpoint)
    },
    dynamodb: {
      api: dynamodbApi,
      client: client(dynamodbApi.DynamoDBClient, env.moto.endpoint)
    },
    sqs: {
      api: sqsApi,
      client: client(sqsApi.SQSClient, env.moto.endpoint)
    }
  };
}

const ERROR_PREFIX: Record<string, string> = {
  sagemaker: 'SageMaker',
  datasync: 'DataSync',
  dynamodb: 'DynamoDB',
  sqs: 'SQS'
};

/**
 * A local handler per Task state that makes the state's call: `arn:aws:states:::aws-sdk:S:action`
 * and the optimized `arn:aws:states:::S:action` alike. A service error is raised as Step Functions
 * names it (DataSync.InvalidRequestException), so the definition's Retry and Catch see it.
 */
function taskHandlers(definition: any) {
  const known = services();
  const handlers: Record<string, (input: any) => Promise<any>> = {};
  for (const [name, s] of Object.entries<any>(definition.States)) {
    if (s.Type !== 'Task') continue;
    const [service, action] = String(s.Resource)
      .replace('arn:aws:states:::', '')
      .replace('aws-sdk:', '')
      .split(':');
    const { api, client } = known[service];
    const Command = api[`${action[0].toUpperCase()}${action.slice(1)}Command`];
    if (!Command) throw new Error(`no ${service} ${action} in the SDK`);
    // The optimized SQS integration sends a JSON message body as its text, as Step Functions does.
    const optimized = !String(s.Resource).includes(':aws-sdk:');
    handlers[name] = async input => {
      if (optimized && typeof input.MessageBody === 'object') {
        input = { ...input, MessageBody: JSON.stringify(input.MessageBody) };
      }
      try {
        const output = await client.send(new Command(input));
        delete output.$metadata; // the SDK's, not part of the service's answer
        return output;
      } catch (err) {
        const error = new Error((err as Error).message);
        error.name = `${ERROR_PREFIX[service]}.${(err as Error).name}`;
        throw error;
      }
    };
  }
  return handlers;
}

/** Runs the real definition once; returns its output, or the error it ended with. */
function run(input: ReturnType<typeof recoveryInput>, executionId: string) {
  const definition = JSON.parse(
    emulatorDefinition(template, 'RecoverHome', [
      ['StudioUserHistory', 'studioUserHistory'],
      ['StudioUser', 'studioUser'],
      ['FailedRecoveries', queueUrl],
      ['DataSyncLogs', 'arn:aws:logs:us-east-1:123456789012:log-group:ds']
    ])
  );
  const machine = new StateMachine(definition, {
    validationOptions: { checkArn: false }
  });
  const retries = Object.fromEntries(
    Object.entries<any>(definition.States)
      .filter(([, s]) => s.Retry)
      .map(([name]) => [name, 0])
  );
  return machine.run(
    { ...input },
    {
      context: {
        Execution: {
          Id: `arn:aws:states:us-east-1:123456789012:execution:recover-home:${executionId}`
        }
      } as any,
      overrides: {
        taskResourceLocalHandlers: taskHandlers(definition),
        waitTimeOverrides: { WaitForApp: 5, WaitForCopy: 5 },
        retryIntervalOverrides: retries
      }
    }
  );
}

const studioRow = () => aliceRow(env.dynamodb);

beforeAll(async () => {
  env = await startEmulators();
  state = newStandinState();
  standin = await startRecoveryStandin(state);
  const sqs = new sqsApi.SQSClient({ endpoint: env.moto.endpoint });
  queueUrl = (
    await sqs.send(new sqsApi.CreateQueueCommand({ QueueName: 'failed' }))
  ).QueueUrl!;
  sqs.destroy();
  await createTable(env.dynamodb, 'studioUser', USER_KEYS);
  await createTable(env.dynamodb, 'studioUserHistory', HISTORY_KEYS);
});

beforeEach(() => {
  state.calls.length = 0;
  state.apps = {};
  state.copyOutcome = 'SUCCESS';
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await standin?.stop();
  await env?.stop();
});

it('recovers a home: finds the app InService, copies with DataSync, records it and deletes the task and locations', async () => {
  // The app is InService at the first look. (A first look with none is not run here: this
  // interpreter fails a JSONPath filter that matches nothing, where the loop expects an empty list.)
  state.apps.alice = [{ AppName: 'default', Status: 'InService' }];

  const output: any = await run(recoveryInput(1_700_000_000_010), 'ok').result;

  expect(state.calls).toEqual([
    'ListApps',
    'CreateLocationEfs',
    'CreateLocationEfs',
    'CreateTask',
    'StartTaskExecution',
    'DescribeTaskExecution',
    'DescribeTaskExecution',
    'DeleteTask',
    'DeleteLocation',
    'DeleteLocation'
  ]);
  expect(output.result.Status).toBe('SUCCESS');
  expect(state.tasks).toEqual({});
  expect(state.locations).toEqual({});
  expect(await studioRow()).toMatchObject({
    replication_status: 'SUCCESS',
    bytes_written: 4096,
    bytes_file_transferred: 3,
    total_duration_ms: 1500
  });
  expect(await recoveryHistory(env.dynamodb, 1_700_000_000_010)).toEqual([
    expect.objectContaining({
      event: 'recovery',
      replication_status: 'SUCCESS',
      bytes_written: 4096,
      execution:
        'arn:aws:states:us-east-1:123456789012:execution:recover-home:ok'
    })
  ]);
});

it('records a copy that DataSync reports as ERROR, and still deletes the task and locations', async () => {
  state.apps.alice = [{ AppName: 'default', Status: 'InService' }];
  state.copyOutcome = 'ERROR';

  await expect(
    run(recoveryInput(1_700_000_000_011), 'copy-error').result
  ).rejects.toThrow(ExecutionError);

  expect(state.calls.slice(-3)).toEqual([
    'DeleteTask',
    'DeleteLocation',
    'DeleteLocation'
  ]);
  expect(state.tasks).toEqual({});
  expect(state.locations).toEqual({});
  expect(await studioRow()).toMatchObject({ replication_status: 'FAILED' });
  expect((await studioRow()).replication_error).toContain(
    'DataSync.TaskExecutionError'
  );
  expect(await recoveryHistory(env.dynamodb, 1_700_000_000_011)).toEqual([
    expect.objectContaining({ replication_status: 'FAILED' })
  ]);
});

it('leaves the task and locations behind when a run is aborted mid-copy (what recovery-stopped.ts cleans up)', async () => {
  state.apps.alice = [{ AppName: 'default', Status: 'InService' }];
  const execution = run(recoveryInput(1_700_000_000_012), 'aborted');
  const copying = async () => {
    for (let i = 0; i < 600; i++) {
      if (state.calls.includes('DescribeTaskExecution')) return;
      await new Promise(resolve => setTimeout(resolve, 10));
    }
    throw new Error('the copy never started');
  };
  // A copy that never ends: the run polls until it is stopped.
  state.copyOutcome = 'TRANSFERRING' as never;
  await copying();
  execution.abort();
  await expect(execution.result).rejects.toThrow(ExecutionAbortedError);
  expect(Object.keys(state.tasks)).toHaveLength(1);
  expect(Object.keys(state.locations)).toHaveLength(2);
  expect(await recoveryHistory(env.dynamodb, 1_700_000_000_012)).toEqual([]);
});
