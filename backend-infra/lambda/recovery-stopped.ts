/**
 * EventBridge (Step Functions "Execution Status Change") → this Lambda: a recovery ended without
 * reaching its own recording and cleanup — it timed out (the 2-day limit), was stopped by hand, or
 * failed with an error no Catch handles. Records it like a failed recovery (the row, the history,
 * the dead-letter queue) and deletes the DataSync task and locations the run had made, found in the
 * execution's history.
 */
import {
  CancelTaskExecutionCommand,
  DataSyncClient,
  DeleteLocationCommand,
  DeleteTaskCommand
} from '@aws-sdk/client-datasync';
import {
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand
} from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient
} from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { IHistoryRow, RECORDED_FAILURE } from '../../lcc/src/api/backend-rows';
import type { IRecoveryInput } from '../core/recovery-input';

export interface IExecutionStatusEvent {
  detail: {
    executionArn: string;
    status: string;
    input?: string | null;
    error?: string | null;
    cause?: string | null;
  };
}

export interface IStoppedDeps {
  sfn: SFNClient;
  datasync: DataSyncClient;
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  userTable: string;
  historyTable: string;
  deadLetterUrl: string;
  log?: (line: string) => void;
}

/** The DataSync resources a run made, by what its task states returned. */
export interface ICreatedResources {
  taskExecutions: string[];
  tasks: string[];
  locations: string[];
}

const ERROR_OF_STATUS: Record<string, string> = {
  TIMED_OUT: 'States.Timeout',
  ABORTED: 'States.Aborted'
};

/** Why the run is recorded here, or null when the state machine has recorded it already. */
export function stoppedError(
  detail: IExecutionStatusEvent['detail']
): { Error: string; Cause: string } | null {
  if (detail.status === 'FAILED' && detail.error === RECORDED_FAILURE) {
    return null;
  }
  const error = ERROR_OF_STATUS[detail.status] ?? detail.error;
  if (!['TIMED_OUT', 'ABORTED', 'FAILED'].includes(detail.status) || !error) {
    return null;
  }
  return {
    Error: error,
    Cause:
      detail.cause ??
      `The recovery execution ended ${detail.status} before its own cleanup`
  };
}

/** Every DataSync ARN a task state of the execution returned (its outputs, from the history). */
export async function createdResources(
  sfn: SFNClient,
  executionArn: string
): Promise<ICreatedResources> {
  const found: ICreatedResources = {
    taskExecutions: [],
    tasks: [],
    locations: []
  };
  const fields: Array<[string, keyof ICreatedResources]> = [
    ['TaskExecutionArn', 'taskExecutions'],
    ['TaskArn', 'tasks'],
    ['LocationArn', 'locations']
  ];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        nextToken,
        maxResults: 1000
      })
    );
    for (const event of page.events ?? []) {
      const output = event.taskSucceededEventDetails?.output;
      if (!output) continue;
      const result = JSON.parse(output) as Record<string, unknown>;
      for (const [field, kind] of fields) {
        const arn = result[field];
        if (typeof arn === 'string' && !found[kind].includes(arn)) {
          found[kind].push(arn);
        }
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

/**
 * Deletes what the run made; a resource already gone (the run's own cleanup got that far) is fine.
 * Returns the ARNs it could not delete.
 */
export async function deleteCreated(
  datasync: DataSyncClient,
  created: ICreatedResources,
  log: (line: string) => void
): Promise<string[]> {
  const left: string[] = [];
  const attempt = async (
    arn: string,
    call: () => Promise<unknown>,
    leftover = true
  ) => {
    try {
      await call();
    } catch (err) {
      // DataSync answers InvalidRequestException for an ARN that no longer exists.
      const name = (err as Error).name;
      if (leftover && name !== 'InvalidRequestException') left.push(arn);
      log(`${arn}: ${name}: ${(err as Error).message}`);
    }
  };
  // A copy still running is stopped first; one that has ended refuses, which leaves nothing behind.
  for (const arn of created.taskExecutions) {
    await attempt(
      arn,
      () =>
        datasync.send(
          new CancelTaskExecutionCommand({ TaskExecutionArn: arn })
        ),
      false
    );
  }
  for (const arn of created.tasks) {
    await attempt(arn, () =>
      datasync.send(new DeleteTaskCommand({ TaskArn: arn }))
    );
  }
  for (const arn of created.locations) {
    await attempt(arn, () =>
      datasync.send(new DeleteLocationCommand({ LocationArn: arn }))
    );
  }
  return left;
}

/** The execution's input: from the event, or from Step Functions when the event left it out. */
async function recoveryInput(
  sfn: SFNClient,
  detail: IExecutionStatusEvent['detail']
): Promise<IRecoveryInput> {
  const text =
    detail.input ??
    (
      await sfn.send(
        new DescribeExecutionCommand({ executionArn: detail.executionArn })
      )
    ).input;
  return JSON.parse(text ?? '{}') as IRecoveryInput;
}

/** Records the stopped run as FAILED everywhere a failed run is seen, then cleans up after it. */
export async function recordStoppedRecovery(
  deps: IStoppedDeps,
  event: IExecutionStatusEvent
): Promise<{ recorded: boolean; left: string[] }> {
  const log = deps.log ?? console.log;
  const { detail } = event;
  const error = stoppedError(detail);
  if (!error) {
    log(`${detail.executionArn}: ${detail.status}, recorded by the run`);
    return { recorded: false, left: [] };
  }
  const input = await recoveryInput(deps.sfn, detail);
  const key = {
    profile_name: input.profile_name,
    domain_name: input.domain_name
  };
  await deps.dynamodb.send(
    new UpdateItemCommand({
      TableName: deps.userTable,
      Key: marshall(key),
      UpdateExpression: 'SET replication_status = :s, replication_error = :e',
      ExpressionAttributeValues: marshall({
        ':s': 'FAILED',
        ':e': JSON.stringify(error)
      })
    })
  );
  await deps.dynamodb.send(
    new PutItemCommand({
      TableName: deps.historyTable,
      Item: marshall({
        ...key,
        epoctime: input.requested_at,
        event: 'recovery',
        replication_status: 'FAILED',
        execution: detail.executionArn
      } satisfies IHistoryRow)
    })
  );
  const created = await createdResources(deps.sfn, detail.executionArn);
  const left = await deleteCreated(deps.datasync, created, log);
  await deps.sqs.send(
    new SendMessageCommand({
      QueueUrl: deps.deadLetterUrl,
      MessageBody: JSON.stringify({
        ...input,
        error,
        execution: detail.executionArn,
        ...(left.length ? { not_deleted: left } : {})
      })
    })
  );
  log(
    `${detail.executionArn}: ${detail.status} recorded as FAILED; ${left.length} DataSync resources left`
  );
  return { recorded: true, left };
}

let deps: IStoppedDeps | undefined;

export async function handler(event: IExecutionStatusEvent): Promise<void> {
  deps ??= {
    sfn: new SFNClient({}),
    datasync: new DataSyncClient({}),
    dynamodb: new DynamoDBClient({}),
    sqs: new SQSClient({}),
    userTable: process.env.USER_TABLE!,
    historyTable: process.env.HISTORY_TABLE!,
    deadLetterUrl: process.env.DEAD_LETTER_URL!
  };
  await recordStoppedRecovery(deps, event);
}
