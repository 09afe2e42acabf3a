/**
 * Restore requests filed from the Backups panel: a table the agent writes to (IAM limits each user
 * to rows keyed by their own profile, see isolation.ts) and the Lambda that applies the approval
 * policy (lambda/requests.ts).
 */
import {
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  Validations
} from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { join } from 'node:path';

export interface IRestoreRequestsProps {
  readonly userTable: dynamodb.ITable;
  readonly stateMachine: sfn.IStateMachine;
  readonly deadLetters: sqs.IQueue;
}

export class RestoreRequestsConstruct extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: IRestoreRequestsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: {
        name: 'user_profile_name',
        type: dynamodb.AttributeType.STRING
      },
      sortKey: { name: 'request_id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      removalPolicy: RemovalPolicy.RETAIN
    });
    const processor = new NodejsFunction(this, 'Process', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.seconds(30),
      entry: join(__dirname, '..', 'lambda', 'requests.ts'),
      description:
        'Approves restore requests (own home) or waits for an admin (another profile)',
      bundling: { minify: true, externalModules: [] },
      environment: {
        REQUESTS_TABLE: this.table.tableName,
        USER_TABLE: props.userTable.tableName,
        STATE_MACHINE_ARN: props.stateMachine.stateMachineArn
      }
    });
    this.table.grantReadWriteData(processor);
    props.userTable.grantReadData(processor);
    props.stateMachine.grantStartExecution(processor);
    processor.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:DescribeUserProfile', 'sagemaker:AddTags'],
        resources: [
          stack.formatArn({
            service: 'sagemaker',
            resource: 'user-profile',
            resourceName: '*'
          })
        ]
      })
    );
    processor.addEventSource(
      new sources.DynamoEventSource(this.table, {
        startingPosition: lambda.StartingPosition.LATEST,
        retryAttempts: 5,
        bisectBatchOnError: true,
        onFailure: new sources.SqsDlq(props.deadLetters),
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.or('INSERT', 'MODIFY')
          })
        ]
      })
    );
    Validations.of(processor).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch Logs.'
    });
    for (const resource of [
      'Resource::*',
      `Resource::arn:<AWS::Partition>:sagemaker:${Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region}:${Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account}:user-profile/*`
    ]) {
      Validations.of(processor).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[${resource}]`,
        reason:
          'dynamodb:ListStreams has no resource-level permissions; requests name user profiles created at run time, so the Describe and AddTags calls cover this account and region.'
      });
    }
  }
}
