/**
 * Retention and garbage collection in the backend, with a role of its own (the agent only appends):
 * a schedule (EventBridge Scheduler, daily by default) starts a state machine that lists every
 * repository in the bucket (lambda/list-repositories.ts), then runs the engine's forget + prune on
 * each (lambda/maintenance.ts) from a distributed map. A repository that fails after its retries
 * goes to the dead-letter queue and the run goes on; an alarm watches the queue and the runs.
 *
 * Why the list comes from the bucket and not the profile table: the bucket is what holds data to
 * forget, including the repositories of deleted profiles and of spaces the table never recorded.
 * S3ObjectsItemReader cannot be used directly: it lists every object (millions of packs), not the
 * `<profile>/<space>` folders, so one Lambda lists the folders (one request per profile) and writes
 * them as a JSON array, which S3JsonItemReader reads.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { STEPFUNCTIONS_USE_DISTRIBUTED_MAP_RESULT_WRITER_V2 } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { RUNS_PREFIX } from '../core/bucket-layout';
import { acknowledgeLambdaBasics, FUNCTION_DEFAULTS } from './functions';
import {
  acknowledgeRepositoryMap,
  repositoryMapMachine
} from './repository-map';

/** Daily at 03:00 UTC, when the fewest Studio sessions back up. */
export const DEFAULT_SCHEDULE = 'cron(0 3 * * ? *)';
/** Repositories maintained at once (sizing: docs/deploy.md, "Retention and maintenance"). */
export const DEFAULT_CONCURRENCY = 40;

export interface IMaintenanceProps {
  readonly bucket: s3.Bucket;
  readonly key: kms.IKey;
  /** Repositories live under `<prefix>/<profile>/<space>/`. */
  readonly prefix: string;
  /** An EventBridge Scheduler expression (context maintenanceSchedule). */
  readonly schedule?: string;
  /** The distributed map's MaxConcurrency (context maintenanceConcurrency). */
  readonly maxConcurrency?: number;
}

export class MaintenanceConstruct extends Construct {
  readonly retentionTable: dynamodb.Table;
  readonly resultsTable: dynamodb.Table;
  readonly maintainer: NodejsFunction;
  readonly lister: NodejsFunction;
  readonly deadLetters: sqs.Queue;
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: IMaintenanceProps) {
    super(scope, id);
    // The map's ResultWriter in its current form (without the flag, CDK renders the deprecated one).
    this.node.setContext(
      STEPFUNCTIONS_USE_DISTRIBUTED_MAP_RESULT_WRITER_V2,
      true
    );
    const { bucket, key, prefix } = props;
    const concurrency = props.maxConcurrency ?? DEFAULT_CONCURRENCY;
    if (
      !Number.isInteger(concurrency) ||
      concurrency < 1 ||
      concurrency > 10000
    ) {
      throw new Error(
        `-c maintenanceConcurrency=${props.maxConcurrency}: a whole number from 1 to 10000.`
      );
    }
    // Each run's list of repositories and the map's result files, kept a month for a look back.
    bucket.addLifecycleRule({
      id: 'expire-maintenance-runs',
      prefix: RUNS_PREFIX,
      expiration: Duration.days(30)
    });
    const tableDefaults = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN
    };
    this.retentionTable = new dynamodb.Table(this, 'Retention', {
      ...tableDefaults,
      partitionKey: { name: 'scope', type: dynamodb.AttributeType.STRING }
    });
    this.resultsTable = new dynamodb.Table(this, 'Results', {
      ...tableDefaults,
      partitionKey: { name: 'profile', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'run', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expires_at'
    });
    this.deadLetters = new sqs.Queue(this, 'FailedMaintenance', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the maintenance state machine (its Catch sends to it), which cdk-nag cannot see from a redrive policy.'
    });

    const environment = {
      BACKUP_BUCKET: bucket.bucketName,
      BACKUP_PREFIX: prefix
    };
    this.lister = new NodejsFunction(this, 'ListRepositories', {
      ...FUNCTION_DEFAULTS,
      timeout: Duration.minutes(5),
      memorySize: 512,
      entry: join(__dirname, '..', 'lambda', 'list-repositories.ts'),
      description:
        'Lists every <profile>/<space> repository of the backup bucket for a maintenance run',
      environment
    });
    this.lister.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: {
          StringLike: { 's3:prefix': [`${prefix}/`, `${prefix}/*`] }
        }
      })
    );
    this.lister.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${RUNS_PREFIX}*`)]
      })
    );
    this.lister.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey'],
        resources: [key.keyArn]
      })
    );

    // The one backend role that deletes snapshot data: the named exception of docs/trust-model.md.
    this.maintainer = new NodejsFunction(this, 'Maintainer', {
      ...FUNCTION_DEFAULTS,
      // Prune holds the index and one pack (16 MiB) at a time; 1 GB is also most of a vCPU.
      memorySize: 1024,
      timeout: Duration.minutes(15),
      entry: join(__dirname, '..', 'lambda', 'maintenance.ts'),
      description:
        "Forgets and prunes one repository with the engine's own code, by the retention policy",
      environment: {
        ...environment,
        RETENTION_TABLE: this.retentionTable.tableName,
        RESULTS_TABLE: this.resultsTable.tableName
      }
    });
    this.maintainer.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [bucket.arnForObjects(`${prefix}/*`)]
      })
    );
    this.maintainer.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}/*`] } }
      })
    );
    this.maintainer.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [key.keyArn]
      })
    );
    this.retentionTable.grant(this.maintainer, 'dynamodb:GetItem');
    this.resultsTable.grant(this.maintainer, 'dynamodb:PutItem');

    const stack = Stack.of(this);
    const bucketId = stack.resolve(
      (bucket.node.defaultChild as s3.CfnBucket).logicalId
    );
    for (const fn of [this.lister, this.maintainer]) {
      acknowledgeLambdaBasics(fn);
    }
    Validations.of(this.lister).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${RUNS_PREFIX}*]`,
      reason:
        "Each run writes its list under a key named by the run's execution, unknown at deploy."
    });
    Validations.of(this.maintainer).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}/*]`,
      reason:
        'Maintenance runs on every repository; their profiles and spaces are created at run time and their packs are named by content.'
    });

    this.stateMachine = repositoryMapMachine(this, {
      bucket,
      key,
      lister: this.lister,
      worker: this.maintainer,
      deadLetters: this.deadLetters,
      maxConcurrency: concurrency,
      // A prune that stopped on something unreadable stops again: no retry, straight to the queue.
      noRetry: ['PruneStopped'],
      names: {
        work: 'Maintain',
        done: 'Maintained',
        failError: 'MaintenanceFailed',
        failCause: 'See the maintenance dead-letter queue',
        machine: 'Maintenance'
      },
      timeout: Duration.hours(23)
    });
    acknowledgeRepositoryMap(
      this.stateMachine,
      this.lister,
      this.maintainer,
      bucketId,
      {
        work: 'Invoking the maintenance function includes its versions, as CDK grants it.'
      }
    );

    new scheduler.Schedule(this, 'Schedule', {
      description: 'Starts the Studio Backup maintenance (forget + prune)',
      schedule: scheduler.ScheduleExpression.expression(
        props.schedule ?? DEFAULT_SCHEDULE
      ),
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {})
    });
    new cloudwatch.Alarm(this, 'FailedRepositoriesAlarm', {
      alarmDescription:
        'A repository could not be maintained: its error is in the maintenance dead-letter queue and the results table.',
      metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5)
      }),
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING
    });
    new cloudwatch.Alarm(this, 'FailedRunAlarm', {
      alarmDescription:
        'A maintenance run failed as a whole (the repositories could not be listed, or the map failed).',
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING
    });
  }
}
