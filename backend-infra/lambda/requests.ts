/**
 * The restore-requests table's stream → this Lambda: the approval policy. What an approved request
 * does is carried out by the request-processing state machine (lib/request-processing.ts), started
 * here with everything it needs resolved:
 * - full-restore of one's own home: approved at once; the user profile is tagged
 *   studio-backup:restore:<space>=<snapshot>[:in-place] for the space that filed it (the bare
 *   studio-backup:restore, for every space, when the request names none), applied at its next start;
 * - recover-profile (another profile's home): waits for an admin (`studio-backup-admin requests
 *   approve`), unless the backend filed it already approved for a space of a mapped profile
 *   (approved_by: 'map', core/mapped-restore.ts: always the S3 copy); once approved, an EFS home
 *   recorded in studioUser is copied by DataSync, otherwise the former profile's S3 snapshots are
 *   copied into the requester's space and restored at its next start.
 * A user may write only their own rows, and never the state: an approval is an admin's alone (or,
 * for a mapped profile's space, the mapping the admin made).
 */
import {
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand
} from '@aws-sdk/client-dynamodb';
import {
  DescribeDomainCommand,
  SageMakerClient
} from '@aws-sdk/client-sagemaker';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { IRequestRow } from '../../lcc/src/api/backend-rows';
import { RESTORE_TAG, STUDIO_NAME } from '../../lcc/src/api/layout';
import { isProfileRow } from '../core/home-rows';
import { planCopy } from '../core/plan-copy';
import type { IRecoveryInput } from '../core/recovery-input';

export interface IRequestDeps {
  dynamodb: DynamoDBClient;
  sagemaker: SageMakerClient;
  sfn: SFNClient;
  requestsTable: string;
  userTable: string;
  processingArn: string;
  s3: S3Client;
  bucket: string;
  prefix: string;
  now?: () => number;
}

export type Decision =
  | { action: 'tag-profile'; state: 'approved'; message: string }
  | { action: 'wait-for-admin'; state: 'pending-approval'; message: string }
  | { action: 'recover'; state: 'forwarded'; message: string }
  | { action: 'refuse'; state: 'failed'; message: string }
  | { action: 'none' };

/** What the request-processing state machine is started with. */
export interface IProcessInput {
  request: { user_profile_name: string; request_id: string };
  action: Exclude<Decision['action'], 'none' | 'refuse'>;
  state: string;
  message: string;
  domain_id: string;
  /** When the policy started it (ms): the recovery history row's sort key. */
  requested_at: number;
  tag_value?: string;
  /** tag-profile: studio-backup:restore:<space> for the space that filed it, the bare key for all. */
  tag_key?: string;
  efs?: IRecoveryInput;
  s3?: {
    request: { user_profile_name: string; request_id: string };
    from_profile: string;
    space_name: string;
    source_prefix: string;
    target_prefix: string;
    all_spaces: boolean;
    keep_reference: Record<string, string>;
  };
}

/** SageMaker's own rule for profile and space names: no "/" or "..", so no way out of a prefix. */

/** A snapshot as the agent resolves it: an id or its prefix, a reference timestamp, latest[@profile]. */
const SNAPSHOT_REF =
  /^(latest(@[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})?|[0-9a-f]{4,64}|\d{4}(-\d\d){5})$/;

export class RequestError extends Error {}

/** The value of the restore tag: the snapshot, and whether it goes back in place. */
const tagValue = (snapshot: string, request: IRequestRow) =>
  `${snapshot}${request.target === 'original' ? ':in-place' : ''}`;

/** The approval policy, from the request as it is now and as it was. */
export function decide(request: IRequestRow, before?: IRequestRow): Decision {
  const state = request.state ?? 'new';
  // Users may put their own rows, never a state: a row that had one and lost it was rewritten
  // after it was decided (another former profile slipped under an admin's review, say).
  if (state === 'new' && before?.state) {
    return {
      action: 'refuse',
      state: 'failed',
      message:
        'The request was changed after it was filed: file a new one from the Backups panel.'
    };
  }
  if (request.kind === 'full-restore' && state === 'new') {
    return {
      action: 'tag-profile',
      state: 'approved',
      message: 'Approved: applied at the next start of a space.'
    };
  }
  if (request.kind === 'recover-profile') {
    if (state === 'new') {
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
    // Filed approved by the backend for a mapped profile's new space (core/mapped-restore.ts): an
    // INSERT, or filed again over its failed copy; users can write neither state nor approved_by
    // (lib/isolation.ts).
    if (
      state === 'approved' &&
      request.approved_by === 'map' &&
      (!before || before.state === 'failed')
    ) {
      return {
        action: 'recover',
        state: 'forwarded',
        message: `Approved by your Studio admin's mapping: copying the snapshots of ${request.from_profile}.`
      };
    }
    if (state === 'approved' && before?.state === 'pending-approval') {
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
  request: IRequestRow,
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
  const row = found.Item ? unmarshall(found.Item) : undefined;
  // A space's row under a bare name (written before spaces had keys of their own) is no profile's home.
  return isProfileRow(row) ? row : undefined;
}

function checkName(what: string, name: string | undefined): string {
  if (!name || !STUDIO_NAME.test(name)) {
    throw new RequestError(
      `The request names ${what} "${name ?? ''}", which is not a Studio name: file it again from the Backups panel.`
    );
  }
  return name;
}

/**
 * The EFS copy when both homes are recorded, otherwise the copy of the S3 snapshots. A request that
 * names a former space, or a mapping's, is for that space's S3 repository: an EFS home has no spaces.
 */
async function recovery(
  deps: IRequestDeps,
  request: IRequestRow,
  fromProfile: string,
  domainName: string,
  requestedAt: number
): Promise<Pick<IProcessInput, 'efs' | 's3' | 'tag_value'>> {
  // A mapping's profile home is recovered by the mapping itself (the studioUser stream), not here.
  const [from, to] =
    request.approved_by === 'map' || request.from_space
      ? []
      : await Promise.all([
          homeOf(deps, fromProfile, domainName),
          homeOf(deps, request.user_profile_name, domainName)
        ]);
  if (from?.efs_uid && to?.efs_uid) {
    return {
      efs: {
        profile_name: request.user_profile_name,
        domain_name: domainName,
        kind: 'user',
        requested_at: requestedAt,
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
      }
    };
  }
  const space = checkName('the space to restore into', request.space_name);
  const fromSpace = request.from_space
    ? checkName('the former space', request.from_space)
    : undefined;
  const root = deps.prefix.replace(/\/+$/, '');
  const source = {
    from_profile: fromProfile,
    source_prefix: `${root}/${fromProfile}/${fromSpace ? `${fromSpace}/` : ''}`,
    all_spaces: !fromSpace
  };
  const plan = await planCopy(deps.s3, deps.bucket, source);
  return {
    tag_value: tagValue(plan.restore, request),
    s3: {
      request: {
        user_profile_name: request.user_profile_name,
        request_id: request.request_id
      },
      ...source,
      space_name: space,
      target_prefix: `${root}/${request.user_profile_name}/${space}/`,
      keep_reference: plan.keep_reference
    }
  };
}

/** The state machine's input for a decision, with names checked and the domain resolved. */
export async function processInput(
  deps: IRequestDeps,
  request: IRequestRow,
  decision: Exclude<Decision, { action: 'none' | 'refuse' }>
): Promise<IProcessInput> {
  const input: IProcessInput = {
    request: {
      user_profile_name: request.user_profile_name,
      request_id: request.request_id
    },
    action: decision.action,
    state: decision.state,
    message: decision.message,
    domain_id: request.domain_id ?? '',
    requested_at: (deps.now ?? Date.now)()
  };
  // Checked before an admin is even asked: a name with "/" or ".." would leave the prefix.
  const fromProfile =
    request.kind === 'recover-profile'
      ? checkName('the former profile', request.from_profile)
      : '';
  if (decision.action === 'tag-profile') {
    const snapshot = request.snapshot ?? 'latest';
    if (!SNAPSHOT_REF.test(snapshot)) {
      throw new RequestError(
        `The request names the snapshot "${snapshot}", which is not a snapshot id, a timestamp or "latest": pick one in the Backups panel.`
      );
    }
    input.tag_value = tagValue(snapshot, request);
    // A request names its space: it restores that space only, not whichever starts first.
    input.tag_key = request.space_name
      ? `${RESTORE_TAG}:${checkName('the space to restore', request.space_name)}`
      : RESTORE_TAG;
  } else if (decision.action === 'recover') {
    const domainName =
      request.domain_name ??
      (
        await deps.sagemaker.send(
          new DescribeDomainCommand({ DomainId: request.domain_id })
        )
      ).DomainName ??
      '';
    Object.assign(
      input,
      await recovery(deps, request, fromProfile, domainName, input.requested_at)
    );
  }
  return input;
}

/**
 * Execution names are unique, and a record redelivered by the stream keeps its sequence number: so a
 * retried batch starts nothing twice, while a request rewritten later is a new record and runs again.
 */
export const executionName = (
  request: IRequestRow,
  state: string,
  sequence = ''
) =>
  `${request.request_id.slice(0, 40)}-${state}-${sequence.slice(-20)}`
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .slice(0, 80);

export async function processRecord(
  deps: IRequestDeps,
  record: DynamoDBRecord
): Promise<Decision> {
  if (!record.dynamodb?.NewImage) {
    return { action: 'none' };
  }
  const request = unmarshall(record.dynamodb.NewImage as any) as IRequestRow;
  const before = record.dynamodb.OldImage
    ? (unmarshall(record.dynamodb.OldImage as any) as IRequestRow)
    : undefined;
  const decision = decide(request, before);
  if (decision.action === 'none') {
    return decision;
  }
  if (decision.action === 'refuse') {
    await setState(deps, request, decision.state, decision.message);
    return decision;
  }
  try {
    const input = await processInput(deps, request, decision);
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.processingArn,
        name: executionName(
          request,
          decision.state,
          record.dynamodb.SequenceNumber
        ),
        input: JSON.stringify(input)
      })
    );
  } catch (err) {
    // A redelivered record (the stream retries a batch) finds its execution already started.
    if ((err as Error).name !== 'ExecutionAlreadyExists') {
      await setState(
        deps,
        request,
        'failed',
        (err as Error).message.split('\n')[0]
      );
    }
  }
  return decision;
}

// Created once per container, not per invocation.
let deps: IRequestDeps | undefined;

export async function handler(event: DynamoDBStreamEvent): Promise<void> {
  deps ??= {
    dynamodb: new DynamoDBClient({}),
    sagemaker: new SageMakerClient({}),
    sfn: new SFNClient({}),
    requestsTable: process.env.REQUESTS_TABLE!,
    userTable: process.env.USER_TABLE!,
    processingArn: process.env.PROCESSING_ARN!,
    s3: new S3Client({}),
    bucket: process.env.BACKUP_BUCKET!,
    prefix: process.env.BACKUP_PREFIX!
  };
  for (const record of event.Records) {
    await processRecord(deps, record);
  }
}
