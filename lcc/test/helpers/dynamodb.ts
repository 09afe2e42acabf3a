/** A DynamoDB table on moto for the agent's backend tests, keyed like the backend's own. */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';

export async function createTable(
  client: DynamoDBClient,
  name: string,
  hash: string,
  range?: { name: string; type: 'S' | 'N' }
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: hash, KeyType: 'HASH' },
        ...(range
          ? [{ AttributeName: range.name, KeyType: 'RANGE' as const }]
          : [])
      ],
      AttributeDefinitions: [
        { AttributeName: hash, AttributeType: 'S' },
        ...(range
          ? [{ AttributeName: range.name, AttributeType: range.type }]
          : [])
      ]
    })
  );
}
