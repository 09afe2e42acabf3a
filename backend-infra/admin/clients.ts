/** The AWS clients the admin CLI uses; tests give them emulator endpoints. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';

export interface IAdminClients {
  dynamodb: DynamoDBClient;
  sagemaker: SageMakerClient;
  efs: EFSClient;
  ec2: EC2Client;
  /** Step Functions, for migrate (created when first needed otherwise). */
  sfn?: SFNClient;
  /** IAM and S3, for roles and doctor (created when first needed otherwise). */
  iam?: IAMClient;
  s3?: S3Client;
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
    sfn: new SFNClient({}),
    iam: new IAMClient({}),
    s3: new S3Client({})
  };
}

const CREDENTIAL_ERRORS = [
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidSignatureException'
];

/** What to do when AWS refused the credentials, or there were none; undefined for any other error. */
export function credentialsProblem(e: unknown): string | undefined {
  const { name, message } = e as Error;
  if (name === 'CredentialsProviderError') {
    return `No AWS credentials (${message}): set AWS_PROFILE or sign in (aws sso login) and run it again.`;
  }
  if (CREDENTIAL_ERRORS.includes(name)) {
    return `AWS refused the credentials (${name}: ${message}): sign in again (aws sso login, or new keys in the environment) and run it again.`;
  }
  return undefined;
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
