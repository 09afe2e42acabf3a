/** The AWS clients the admin CLI uses; tests give them emulator endpoints. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';

export interface IAdminClients {
  dynamodb: DynamoDBClient;
  sagemaker: SageMakerClient;
  efs: EFSClient;
  ec2: EC2Client;
  /** Step Functions, for migrate (created when first needed otherwise). */
  sfn?: SFNClient;
}

export interface IAdminContext extends IAdminClients {
  userTable: string;
  historyTable: string;
  requestsTable: string;
  out: (line: string) => void;
}

/** Clients from the standard credential chain and region (AWS_ENDPOINT_URL_* work too). */
export function defaultClients(): IAdminClients {
  return {
    dynamodb: new DynamoDBClient({}),
    sagemaker: new SageMakerClient({}),
    efs: new EFSClient({}),
    ec2: new EC2Client({}),
    sfn: new SFNClient({})
  };
}

/** Left-aligned columns with a header, as `aws ... --output table` would, minus the boxes. */
export function table(
  rows: Array<Record<string, unknown>>,
  columns: string[]
): string {
  const cell = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const widths = columns.map(c =>
    Math.max(c.length, ...rows.map(r => cell(r[c]).length))
  );
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [
    line(columns),
    ...rows.map(r => line(columns.map(c => cell(r[c]))))
  ].join('\n');
}
