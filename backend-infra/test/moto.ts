/** The local AWS emulator (moto server) and the SageMaker stand-in for the APIs moto lacks. */
import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateItemCommand
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { main } from '../admin/cli';
import type { IAdminClients } from '../admin/clients';
import { IS3Server, startS3 } from '../../lcc/test/helpers/s3';
import {
  ISageMakerState,
  newState,
  startSageMaker
} from '../../lcc/test/helpers/sagemaker-standin';

export interface IEmulators {
  moto: IS3Server;
  sagemakerState: ISageMakerState;
  sagemakerEndpoint: string;
  dynamodb: DynamoDBClient;
  sagemaker: SageMakerClient;
  stop(): Promise<void>;
}

/**
 * moto in server mode for DynamoDB (and its streams), SQS, Step Functions, EFS and EC2; moto 5.2.5 has
 * no DescribeUserProfile, DescribeSpace, ListApps or EFS DataSync locations, so SageMaker is the
 * stand-in from lcc/test/helpers, over the same JSON wire protocol.
 */
export async function startEmulators(): Promise<IEmulators> {
  const moto = await startS3();
  const sagemakerState = newState();
  const sm = await startSageMaker(sagemakerState);
  const dynamodb = new DynamoDBClient({ endpoint: moto.endpoint });
  const sagemaker = new SageMakerClient({ endpoint: sm.endpoint });
  return {
    moto,
    sagemakerState,
    sagemakerEndpoint: sm.endpoint,
    dynamodb,
    sagemaker,
    stop: async () => {
      dynamodb.destroy();
      sagemaker.destroy();
      await sm.stop();
      await moto.stop();
    }
  };
}

/** moto's Step Functions runs executions only when asked to (its default leaves them RUNNING). */
export async function runStateMachines(env: IEmulators): Promise<void> {
  await fetch(`${env.moto.endpoint}/moto-api/config`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ stepfunctions: { execute_state_machine: true } })
  });
}

/** studio-backup-admin against the emulators, its output and errors collected. */
export async function adminCli(
  env: IEmulators,
  args: string[],
  more: Partial<IAdminClients> = {}
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    clients: {
      dynamodb: env.dynamodb,
      sagemaker: env.sagemaker,
      efs: new EFSClient({ endpoint: env.moto.endpoint }),
      ec2: new EC2Client({ endpoint: env.moto.endpoint }),
      ...more
    },
    out: line => out.push(line),
    err: line => err.push(line)
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A pay-per-request table with a string partition key and a sort key, optionally streamed. */
export async function createTable(
  dynamodb: DynamoDBClient,
  name: string,
  keys: { hash: string; range: string; rangeType?: 'S' | 'N' },
  stream = false
): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: keys.hash, KeyType: 'HASH' },
        { AttributeName: keys.range, KeyType: 'RANGE' }
      ],
      AttributeDefinitions: [
        { AttributeName: keys.hash, AttributeType: 'S' },
        { AttributeName: keys.range, AttributeType: keys.rangeType ?? 'S' }
      ],
      ...(stream
        ? {
            StreamSpecification: {
              StreamEnabled: true,
              StreamViewType: 'NEW_AND_OLD_IMAGES' as const
            }
          }
        : {})
    })
  );
}

export const USER_KEYS = { hash: 'profile_name', range: 'domain_name' };
export const HISTORY_KEYS = {
  hash: 'profile_name',
  range: 'epoctime',
  rangeType: 'N' as const
};
export const REQUEST_KEYS = { hash: 'user_profile_name', range: 'request_id' };

/** Sets a restore request's state, as the approval Lambda or an admin would. */
export async function setRequestState(
  dynamodb: DynamoDBClient,
  table: string,
  key: { profile: string; id: string },
  state: string
): Promise<void> {
  await dynamodb.send(
    new UpdateItemCommand({
      TableName: table,
      Key: marshall({ user_profile_name: key.profile, request_id: key.id }),
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: marshall({ ':s': state })
    })
  );
}
