/**
 * The restore-requests table's stream → this Lambda: the approval policy and what an approved
 * request does.
 * - full-restore of one's own home: approved at once; the user profile is tagged
 *   studio-backup:restore=<snapshot>[:in-place], which the lifecycle configuration applies at the
 *   next start of a space and then removes.
 * - recover-profile (another profile's home): waits for an admin (`studio-backup-admin requests
 *   approve`); once approved, an EFS home recorded in studioUser is copied into the requester's
 *   home by the recovery state machine.
 */
import {
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand
} from '@aws-sdk/client-dynamodb';
import {
  AddTagsCommand,
  DescribeUserProfileCommand,
  SageMakerClient
} from '@aws-sdk/client-sagemaker';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { RESTORE_TAG } from './pending-restore';
import type { IRecoveryInput } from './recovery-trigger';

export interface IRequest {
  user_profile_name: string;
  request_id: string;
  kind: 'full-restore' | 'recover-profile';
  state: string;
  domain_id?: string;
  domain_name?: string;
  snapshot?: string;
  target?: 'original' | 'side';
  from_profile?: string;
}

export interface IRequestDeps {
  dynamodb: DynamoDBClient;
  sagemaker: SageMakerClient;
  sfn: SFNClient;
  requestsTable: string;
  userTable: string;
  stateMachineArn: string;
  now?: () => number;
}

export type Decision =
  | { action: 'tag-profile'; state: 'approved'; message: string }
  | { action: 'wait-for-admin'; state: 'pending-approval'; message: string }
  | { action: 'recover'; state: 'forwarded'; message: string }
  | { action: 'none' };

/** The approval policy, from the request as it is now and as it was. */
export function decide(request: IRequest, before?: IRequest): Decision {
  if (request.kind === 'full-restore' && request.state === 'new') {
    return {
      action: 'tag-profile',
      state: 'approved',
      message: 'Approved: applied at the next start of a space.'
    };
  }
  if (request.kind === 'recover-profile') {
    if (request.state === 'new') {
      return request.from_profile === request.user_profile_name
        ? {
            action: 'recover',
            state: 'forwarded',
            message: 'Recovery of your own former home started.'
          }
        : {
            action: 'wait-for-admin',
            state: 'pending-approval',
            message: `Recovering the home of ${request.from_profile} needs your Studio admin's approval.`
          };
    }
    if (request.state === 'approved' && before?.state === 'pending-approval') {
      return {
        action: 'recover',
        state: 'forwarded',
        message: 'Approved by an admin: recovery started.'
      };
    }
  }
  return { action: 'none' };
}

async function setState(
  deps: IRequestDeps,
  request: IRequest,
  state: string,
  message: string
) {
  await deps.dynamodb.send(
    new UpdateItemCommand({
      TableName: deps.requestsTable,
      Key: marshall({
        user_profile_name: request.user_profile_name,
        request_id: request.request_id
      }),
      UpdateExpression: 'SET #s = :s, message = :m',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: marshall({ ':s': state, ':m': message })
    })
  );
}

async function homeOf(deps: IRequestDeps, profile: string, domain: string) {
  const found = await deps.dynamodb.send(
    new GetItemCommand({
      TableName: deps.userTable,
      Key: marshall({ profile_name: profile, domain_name: domain })
    })
  );
  return found.Item ? unmarshall(found.Item) : undefined;
}

export async function processRecord(
  deps: IRequestDeps,
  record: DynamoDBRecord
): Promise<Decision> {
  if (!record.dynamodb?.NewImage) {
    return { action: 'none' };
  }
  const request = unmarshall(record.dynamodb.NewImage as any) as IRequest;
  const before = record.dynamodb.OldImage
    ? (unmarshall(record.dynamodb.OldImage as any) as IRequest)
    : undefined;
  const decision = decide(request, before);
  try {
    if (decision.action === 'tag-profile') {
      const profile = await deps.sagemaker.send(
        new DescribeUserProfileCommand({
          DomainId: request.domain_id,
          UserProfileName: request.user_profile_name
        })
      );
      const value = `${request.snapshot ?? 'latest'}${request.target === 'original' ? ':in-place' : ''}`;
      await deps.sagemaker.send(
        new AddTagsCommand({
          ResourceArn: profile.UserProfileArn,
          Tags: [{ Key: RESTORE_TAG, Value: value }]
        })
      );
    } else if (decision.action === 'recover') {
      const domain = request.domain_name ?? '';
      const [from, to] = await Promise.all([
        homeOf(deps, request.from_profile ?? '', domain),
        homeOf(deps, request.user_profile_name, domain)
      ]);
      if (!from?.efs_uid || !to?.efs_uid) {
        await setState(
          deps,
          request,
          'failed',
          `No EFS home is recorded for ${!from?.efs_uid ? request.from_profile : request.user_profile_name} in ${domain}: an admin can restore S3 snapshots with the studio-backup CLI.`
        );
        return decision;
      }
      const input: IRecoveryInput = {
        profile_name: request.user_profile_name,
        domain_name: domain,
        kind: 'user',
        requested_at: (deps.now ?? Date.now)(),
        source: {
          efs_sys_id: from.efs_sys_id,
          efs_uid: String(from.efs_uid),
          domain_id: from.domain_id
        },
        target: {
          efs_sys_id: to.efs_sys_id,
          efs_uid: String(to.efs_uid),
          domain_id: to.domain_id,
          user_profile_name: request.user_profile_name,
          space_name: ''
        }
      };
      await deps.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: deps.stateMachineArn,
          input: JSON.stringify(input)
        })
      );
    }
    if (decision.action !== 'none') {
      await setState(deps, request, decision.state, decision.message);
    }
  } catch (err) {
    await setState(
      deps,
      request,
      'failed',
      (err as Error).message.split('\n')[0]
    );
  }
  return decision;
}

export async function handler(event: DynamoDBStreamEvent): Promise<void> {
  const deps: IRequestDeps = {
    dynamodb: new DynamoDBClient({}),
    sagemaker: new SageMakerClient({}),
    sfn: new SFNClient({}),
    requestsTable: process.env.REQUESTS_TABLE!,
    userTable: process.env.USER_TABLE!,
    stateMachineArn: process.env.STATE_MACHINE_ARN!
  };
  for (const record of event.Records) {
    await processRecord(deps, record);
  }
}
