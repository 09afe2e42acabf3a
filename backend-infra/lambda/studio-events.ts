/**
 * EventBridge (CloudTrail) → this Lambda: a user profile, space or domain was created. Records
 * where its home lives in `studioUser` and `studioUserHistory` (core/studio-homes.ts); a changed
 * EFS id or uid on an existing row is what the stream Lambda turns into a recovery. A new space
 * with snapshots under its name is tagged for a restore at its first start.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { S3Client } from '@aws-sdk/client-s3';
import { markPendingRestore } from '../core/pending-restore';
import {
  describeCreated,
  IDeps,
  IStudioApiEvent,
  recordCreated
} from '../core/studio-homes';

// Created once per container, not per invocation.
let deps: IDeps | undefined;
let s3: S3Client | undefined;

export async function handler(event: IStudioApiEvent): Promise<void> {
  deps ??= {
    sagemaker: new SageMakerClient({}),
    dynamodb: new DynamoDBClient({}),
    userTable: process.env.USER_TABLE!,
    historyTable: process.env.HISTORY_TABLE!
  };
  const row = await describeCreated(deps.sagemaker, event);
  if (!row) {
    return;
  }
  await recordCreated(deps, row);
  if (row.space_name && row.arn && process.env.BACKUP_BUCKET) {
    const tagged = await markPendingRestore(
      {
        s3: (s3 ??= new S3Client({})),
        sagemaker: deps.sagemaker,
        bucket: process.env.BACKUP_BUCKET,
        prefix: process.env.BACKUP_PREFIX ?? 'studio-backups'
      },
      { arn: row.arn, owner: row.user_profile_name, name: row.space_name }
    );
    console.log(
      `${row.space_name}: ${tagged ? 'snapshots found, restore at first start' : 'no snapshots'}`
    );
  }
}
