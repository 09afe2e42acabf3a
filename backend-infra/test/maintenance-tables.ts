/** The maintenance tables on the emulator, keyed as the stack creates them (lib/maintenance.ts). */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const RETENTION_TABLE = 'studioBackupRetention';
export const RESULTS_TABLE = 'studioBackupMaintenance';

export async function createMaintenanceTables(
  dynamodb: DynamoDBClient
): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: RETENTION_TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'scope', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'scope', AttributeType: 'S' }]
    })
  );
  await dynamodb.send(
    new CreateTableCommand({
      TableName: RESULTS_TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'profile', KeyType: 'HASH' },
        { AttributeName: 'run', KeyType: 'RANGE' }
      ],
      AttributeDefinitions: [
        { AttributeName: 'profile', AttributeType: 'S' },
        { AttributeName: 'run', AttributeType: 'S' }
      ]
    })
  );
}
