/** What the recovery tests share: a recovery's input, as recovery-trigger.ts makes it, and its history row. */
import {
  DynamoDBClient,
  GetItemCommand,
  QueryCommand
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { IRecoveryInput } from '../../core/recovery-input';

/** alice's profile recreated: her home moves from fs-old/200001 to fs-new/200002. */
export const recoveryInput = (requestedAt: number): IRecoveryInput => ({
  profile_name: 'alice',
  domain_name: 'research',
  kind: 'user',
  requested_at: requestedAt,
  source: { efs_sys_id: 'fs-old', efs_uid: '200001', domain_id: 'd-1' },
  target: {
    efs_sys_id: 'fs-new',
    efs_uid: '200002',
    domain_id: 'd-1',
    user_profile_name: 'alice',
    space_name: ''
  }
});

/** The studioUserHistory rows of alice's recovery asked for at `epoctime`. */
export async function recoveryHistory(
  dynamodb: DynamoDBClient,
  epoctime: number
): Promise<Array<Record<string, unknown>>> {
  const rows = await dynamodb.send(
    new QueryCommand({
      TableName: 'studioUserHistory',
      KeyConditionExpression: 'profile_name = :p AND epoctime = :t',
      ExpressionAttributeValues: marshall({ ':p': 'alice', ':t': epoctime })
    })
  );
  return (rows.Items ?? []).map(i => unmarshall(i));
}

/** alice's studioUser row (empty when there is none). */
export async function aliceRow(
  dynamodb: DynamoDBClient
): Promise<Record<string, any>> {
  const { Item } = await dynamodb.send(
    new GetItemCommand({
      TableName: 'studioUser',
      Key: marshall({ profile_name: 'alice', domain_name: 'research' })
    })
  );
  return Item ? unmarshall(Item) : {};
}
