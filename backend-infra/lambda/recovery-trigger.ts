/**
 * DynamoDB stream of `studioUser` → this Lambda: when a row's home moved (a recreated profile or
 * space got a new EFS id or uid), start the recovery state machine from the old home to the new one.
 * Same rules as the reference: MODIFY only, not when the old image says replication is off, not
 * when the EFS id and uid are unchanged.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent, DynamoDBRecord } from 'aws-lambda';
import type { IRecoveryInput } from '../core/recovery-input';

type Image = Record<string, any>;

/** The recovery a stream record asks for, or the reason it asks for none. */
export function recoveryFor(
  record: DynamoDBRecord,
  now: () => number = Date.now
): IRecoveryInput | { skip: string } {
  if (record.eventName !== 'MODIFY') {
    return { skip: `${record.eventName} is not a change of an existing row` };
  }
  const oldImage = unmarshall(
    (record.dynamodb?.OldImage ?? {}) as any
  ) as Image;
  const newImage = unmarshall(
    (record.dynamodb?.NewImage ?? {}) as any
  ) as Image;
  if (oldImage.replication === false) {
    return { skip: 'replication is off for this profile' };
  }
  if (
    oldImage.efs_sys_id === newImage.efs_sys_id &&
    oldImage.efs_uid === newImage.efs_uid
  ) {
    return { skip: 'the home did not move' };
  }
  if (!oldImage.efs_sys_id || !oldImage.efs_uid || !newImage.efs_uid) {
    return { skip: 'no EFS home on one side (not a Studio Classic home)' };
  }
  return {
    profile_name: newImage.profile_name,
    domain_name: newImage.domain_name,
    kind: newImage.space_name ? 'space' : 'user',
    requested_at: now(),
    source: {
      efs_sys_id: oldImage.efs_sys_id,
      efs_uid: String(oldImage.efs_uid),
      domain_id: oldImage.domain_id
    },
    target: {
      efs_sys_id: newImage.efs_sys_id,
      efs_uid: String(newImage.efs_uid),
      domain_id: newImage.domain_id,
      user_profile_name: newImage.user_profile_name ?? '',
      space_name: newImage.space_name ?? ''
    }
  };
}

export async function startRecoveries(
  sfn: SFNClient,
  stateMachineArn: string,
  event: DynamoDBStreamEvent,
  log: (line: string) => void = console.log
): Promise<string[]> {
  const started: string[] = [];
  for (const record of event.Records) {
    const input = recoveryFor(record);
    if ('skip' in input) {
      log(`skipped ${record.eventID}: ${input.skip}`);
      continue;
    }
    const result = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        input: JSON.stringify(input)
      })
    );
    started.push(result.executionArn ?? '');
  }
  return started;
}

// Created once per container, not per invocation.
let sfn: SFNClient | undefined;

export async function handler(event: DynamoDBStreamEvent): Promise<void> {
  sfn ??= new SFNClient({});
  await startRecoveries(sfn, process.env.STATE_MACHINE_ARN!, event);
}
