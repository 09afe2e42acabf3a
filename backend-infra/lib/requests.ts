/**
 * Restore requests filed from the Backups panel: a table the agent writes to (IAM limits each user
 * to rows keyed by their own profile, see isolation.ts), the Lambda that applies the approval
 * policy (lambda/requests.ts) and the state machine that carries approved requests out
 * (request-processing.ts).
 */
import {
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  Validations
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { acknowledgeLambdaBasics, FUNCTION_DEFAULTS } from './functions';
import { RequestProcessing } from './request-processing';

export interface IRestoreRequestsProps {
  readonly userTable: dynamodb.ITable;
  readonly historyTable: dynamodb.ITable;
  readonly stateMachine: sfn.IStateMachine;
  readonly deadLetters: sqs.IQueue;
  readonly bucket: s3.IBucket;
  readonly key: kms.IKey;
  readonly prefix: string;
  /** The recovery dashboard, which gets the requests' widgets. */
  readonly dashboard: cloudwatch.Dashboard;
}

export class RestoreRequestsConstruct extends Construct {
  readonly table: dynamodb.Table;
  readonly processing: RequestProcessing;

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
    this.processing = new RequestProcessing(this, 'Processing', {
      requestsTable: this.table,
      historyTable: props.historyTable,
      recovery: props.stateMachine,
      bucket: props.bucket,
      key: props.key,
      prefix: props.prefix
    });
    const processor = new NodejsFunction(this, 'Process', {
      ...FUNCTION_DEFAULTS,
      timeout: Duration.seconds(30),
      entry: join(__dirname, '..', 'lambda', 'requests.ts'),
      description:
        'Approves restore requests (own home) or waits for an admin (another profile)',
      environment: {
        REQUESTS_TABLE: this.table.tableName,
        USER_TABLE: props.userTable.tableName,
        PROCESSING_ARN: this.processing.stateMachine.stateMachineArn,
        BACKUP_BUCKET: props.bucket.bucketName,
        BACKUP_PREFIX: props.prefix
      }
    });
    this.table.grantReadWriteData(processor);
    props.userTable.grantReadData(processor);
    this.processing.stateMachine.grantStartExecution(processor);
    // Planning a copy lists the former profile's folders (never reads an object).
    processor.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${props.prefix}/*`] } }
      })
    );
    // Requests carry the domain id; studioUser rows are keyed by the domain's name.
    processor.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:DescribeDomain'],
        resources: [
          stack.formatArn({
            service: 'sagemaker',
            resource: 'domain',
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
    acknowledgeLambdaBasics(processor);
    for (const resource of [
      'Resource::*',
      `Resource::arn:<AWS::Partition>:sagemaker:${Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region}:${Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account}:domain/*`
    ]) {
      Validations.of(processor).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[${resource}]`,
        reason:
          'dynamodb:ListStreams has no resource-level permissions; requests name domains created at run time, so DescribeDomain covers the domains of this account and region.'
      });
    }
    const machine = this.processing.stateMachine;
    props.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Restore requests',
        left: [
          machine.metricStarted(),
          machine.metricSucceeded(),
          machine.metricFailed()
        ]
      }),
      new cloudwatch.GraphWidget({
        title: 'Request Lambda errors',
        left: [processor.metricErrors(), this.processing.copier.metricErrors()]
      })
    );
    new cloudwatch.Alarm(this, 'RequestFailedAlarm', {
      alarmDescription:
        'A restore request failed: see `studio-backup-admin requests list --state failed` (message, error_cause).',
      metric: machine.metricFailed({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING
    });
  }
}
