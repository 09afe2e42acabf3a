/**
 * The seeding custom resource: at deploy, fills `studioUser` from the domains, user profiles and
 * spaces that exist already (the reference's seeding Lambda); core/studio-homes.ts does the work.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { seed } from '../core/studio-homes';

/** The custom resource: seeds on Create and Update, nothing on Delete (the tables are kept). */
export async function handler(
  event: CloudFormationCustomResourceEvent
): Promise<{ PhysicalResourceId: string; Data: { Seeded: number } }> {
  const id = 'studio-backup-seed';
  if (event.RequestType === 'Delete') {
    return { PhysicalResourceId: id, Data: { Seeded: 0 } };
  }
  const rows = await seed({
    sagemaker: new SageMakerClient({}),
    dynamodb: new DynamoDBClient({}),
    userTable: process.env.USER_TABLE!,
    historyTable: process.env.HISTORY_TABLE!
  });
  return { PhysicalResourceId: id, Data: { Seeded: rows.length } };
}
