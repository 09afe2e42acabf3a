/**
 * EventBridge (CloudTrail) → this Lambda: a user profile, space or domain was created. Records
 * where its home lives in `studioUser` and `studioUserHistory` (core/studio-homes.ts); a changed
 * EFS id or uid on an existing row is what the stream Lambda turns into a recovery. A new space
 * with snapshots under its name is tagged for a restore at its first start; a new space of a
 * profile the admin mapped, without snapshots of its own, gets an approved request for the old
 * profile's space of that name (core/mapped-restore.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { S3Client } from '@aws-sdk/client-s3';
import { fileMappedRestore } from '../core/mapped-restore';
import { markPendingRestore } from '../core/pending-restore';
import {
  describeCreated,
  IDeps,
  IStudioApiEvent,
  recordCreated
} from '../core/studio-homes';

export interface IStudioEventDeps extends IDeps {
  /** Where snapshots live; without it, spaces are only recorded. */
  backup?: { s3: S3Client; bucket: string; prefix: string };
  /** The restore-requests table, for the spaces of mapped profiles. */
  requestsTable?: string;
}

export async function onCreated(
  deps: IStudioEventDeps,
  event: IStudioApiEvent
): Promise<string> {
  const row = await describeCreated(deps.sagemaker, event);
  if (!row) {
    return 'ignored';
  }
  await recordCreated(deps, row);
  if (!row.space_name || !row.arn || !deps.backup) {
    return 'recorded';
  }
  const backup = { ...deps.backup, sagemaker: deps.sagemaker };
  const space = {
    arn: row.arn,
    owner: row.user_profile_name,
    name: row.space_name
  };
  if (await markPendingRestore(backup, space)) {
    return 'snapshots found, restore at first start';
  }
  const request =
    deps.requestsTable &&
    (await fileMappedRestore(
      { ...backup, ...deps, requestsTable: deps.requestsTable },
      row
    ));
  return request
    ? `mapped: ${request.from_profile}/${request.from_space} is copied in, restore at the next start after the copy`
    : 'no snapshots';
}

// Created once per container, not per invocation.
let deps: IStudioEventDeps | undefined;

export async function handler(event: IStudioApiEvent): Promise<void> {
  deps ??= {
    sagemaker: new SageMakerClient({}),
    dynamodb: new DynamoDBClient({}),
    userTable: process.env.USER_TABLE!,
    historyTable: process.env.HISTORY_TABLE!,
    backup: process.env.BACKUP_BUCKET
      ? {
          s3: new S3Client({}),
          bucket: process.env.BACKUP_BUCKET,
          prefix: process.env.BACKUP_PREFIX ?? 'studio-backups'
        }
      : undefined,
    requestsTable: process.env.REQUESTS_TABLE || undefined
  };
  const outcome = await onCreated(deps, event);
  const name = event.detail.requestParameters?.spaceName;
  if (name) {
    console.log(`${name}: ${outcome}`);
  }
}
