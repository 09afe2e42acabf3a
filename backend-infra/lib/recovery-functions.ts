/**
 * The recovery's Lambda functions and what starts them: CloudTrail's Create* events record where a
 * home lives, the studioUser stream starts a recovery when it moved, and seeding fills the table
 * from the domains that exist at deploy.
 */
import { CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { acknowledgeLambdaBasics, FUNCTION_DEFAULTS } from './functions';
import { shown } from './recovery-state-machine';

export interface IRecoveryTables {
  readonly userTable: dynamodb.Table;
  readonly historyTable: dynamodb.Table;
  readonly deadLetters: sqs.IQueue;
}

/** A function of the recovery: the shared defaults, a 30 s timeout, failures to the dead letters. */
export function recoveryFunction(
  scope: Construct,
  id: string,
  tables: IRecoveryTables,
  props: {
    entry: string;
    description: string;
    environment: Record<string, string>;
    timeout?: Duration;
  }
): NodejsFunction {
  const fn = new NodejsFunction(scope, id, {
    ...FUNCTION_DEFAULTS,
    timeout: props.timeout ?? Duration.seconds(30),
    deadLetterQueue: tables.deadLetters,
    entry: join(__dirname, '..', 'lambda', props.entry),
    description: props.description,
    environment: props.environment
  });
  acknowledgeLambdaBasics(fn);
  return fn;
}

/** CreateUserProfile, CreateSpace and CreateDomain (CloudTrail) → studio-events.ts. */
export function recordStudioCreations(
  scope: Construct,
  tables: IRecoveryTables,
  backup: { bucket: s3.IBucket; prefix: string }
): { fn: NodejsFunction; rule: events.Rule } {
  const stack = Stack.of(scope);
  const fn = recoveryFunction(scope, 'StudioEvents', tables, {
    entry: 'studio-events.ts',
    description:
      'Records the EFS home of created Studio profiles, spaces and domains',
    environment: {
      USER_TABLE: tables.userTable.tableName,
      HISTORY_TABLE: tables.historyTable.tableName,
      BACKUP_BUCKET: backup.bucket.bucketName,
      BACKUP_PREFIX: backup.prefix
    }
  });
  tables.userTable.grantReadWriteData(fn);
  // Only listing (is there a snapshot?) and tagging the new space; never reading snapshot content.
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [backup.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${backup.prefix}/*`] } }
    })
  );
  const sagemakerArn = (resource: string) =>
    stack.formatArn({ service: 'sagemaker', resource, resourceName: '*' });
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['sagemaker:AddTags'],
      resources: [sagemakerArn('space')]
    })
  );
  tables.historyTable.grantWriteData(fn);
  const kinds = ['domain', 'user-profile', 'space'];
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: [
        'sagemaker:DescribeDomain',
        'sagemaker:DescribeUserProfile',
        'sagemaker:DescribeSpace'
      ],
      resources: kinds.map(sagemakerArn)
    })
  );
  for (const kind of kinds) {
    Validations.of(fn).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:${shown(stack.region, 'AWS::Region')}:${shown(stack.account, 'AWS::AccountId')}:${kind}/*]`,
      reason:
        'Profiles, spaces and domains are created at run time, so their names are unknown at deploy; the statement only allows Describe calls on SageMaker domains, user profiles and spaces of this account and region.'
    });
  }
  const rule = new events.Rule(scope, 'StudioCreated', {
    description:
      'Studio user profiles, spaces and domains created (CloudTrail)',
    eventPattern: {
      source: ['aws.sagemaker'],
      detailType: ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['sagemaker.amazonaws.com'],
        eventName: ['CreateUserProfile', 'CreateSpace', 'CreateDomain']
      }
    }
  });
  rule.addTarget(
    new targets.LambdaFunction(fn, {
      deadLetterQueue: tables.deadLetters,
      retryAttempts: 4
    })
  );
  return { fn, rule };
}

/**
 * The spaces of a mapped profile (core/mapped-restore.ts): studio-events.ts records an approved
 * restore request for each, once (a conditional PutItem), and never reads or changes another row.
 * Separate from recordStudioCreations because the requests table is made after the recovery.
 */
export function fileMappedRestores(
  fn: lambda.Function,
  requestsTable: dynamodb.ITable
): void {
  fn.addEnvironment('REQUESTS_TABLE', requestsTable.tableName);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:PutItem'],
      resources: [requestsTable.tableArn]
    })
  );
}

/** The studioUser stream (MODIFY only) → recovery-trigger.ts, which starts the state machine. */
export function startRecoveriesOnMove(
  scope: Construct,
  tables: IRecoveryTables,
  stateMachine: sfn.IStateMachine
): NodejsFunction {
  const fn = recoveryFunction(scope, 'RecoveryTrigger', tables, {
    entry: 'recovery-trigger.ts',
    description: 'Starts a recovery when a studioUser row gets a new EFS home',
    environment: { STATE_MACHINE_ARN: stateMachine.stateMachineArn }
  });
  stateMachine.grantStartExecution(fn);
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason:
      'dynamodb:ListStreams, which the stream event source needs, has no resource-level permissions; reading records is limited to the studioUser stream.'
  });
  fn.addEventSource(
    new sources.DynamoEventSource(tables.userTable, {
      startingPosition: lambda.StartingPosition.LATEST,
      retryAttempts: 5,
      bisectBatchOnError: true,
      onFailure: new sources.SqsDlq(tables.deadLetters),
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('MODIFY')
        })
      ]
    })
  );
  return fn;
}

/** A custom resource that runs seed.ts at deploy: studioUser gets the homes that exist already. */
export function seedExistingHomes(
  scope: Construct,
  tables: IRecoveryTables
): void {
  const stack = Stack.of(scope);
  const seeder = recoveryFunction(scope, 'Seed', tables, {
    timeout: Duration.minutes(10),
    entry: 'seed.ts',
    description: 'Fills studioUser from existing Studio domains at deploy',
    environment: {
      USER_TABLE: tables.userTable.tableName,
      HISTORY_TABLE: tables.historyTable.tableName
    }
  });
  tables.userTable.grantReadWriteData(seeder);
  tables.historyTable.grantWriteData(seeder);
  seeder.addToRolePolicy(
    new iam.PolicyStatement({
      actions: [
        'sagemaker:ListDomains',
        'sagemaker:ListUserProfiles',
        'sagemaker:ListSpaces',
        'sagemaker:DescribeDomain',
        'sagemaker:DescribeUserProfile',
        'sagemaker:DescribeSpace'
      ],
      resources: ['*']
    })
  );
  Validations.of(seeder).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason:
      'The SageMaker List calls have no resource-level permissions; the rest are read-only Describe calls over every domain, which is what seeding is.'
  });
  const provider = new cr.Provider(scope, 'SeedProvider', {
    onEventHandler: seeder
  });
  const framework = provider.node.findChild(
    'framework-onEvent'
  ) as lambda.Function;
  acknowledgeLambdaBasics(framework);
  Validations.of(framework).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.resolve((seeder.node.defaultChild as lambda.CfnFunction).logicalId)}.Arn>:*]`,
    reason:
      'The custom-resource framework invokes any version of the seeding function.'
  });
  Validations.of(framework).acknowledge({
    id: 'AwsSolutions::AwsSolutions-L1',
    reason:
      'The custom-resource framework function is provided by aws-cdk-lib, which picks its runtime.'
  });
  new CustomResource(scope, 'SeedExisting', {
    serviceToken: provider.serviceToken
  });
}
