/**
 * Migration from the reference LCC, started by `studio-backup-admin migrate`: the maintenance
 * machinery (list every repository, a distributed map, the dead-letter queue) with another worker,
 * lambda/migrate.ts, which imports a repository's full copies, verifies them by reading every byte
 * back, and, when the admin asked, deletes each verified copy. No schedule: it runs on demand.
 *
 * Its role may delete only objects named like a copy, `<prefix>/<profile>/<space>/<YYYY-MM-DD-HH-MM-
 * SS>/…` (IAM's `?` is one character), and the repository's lock objects: never a pack, an index or a
 * snapshot of ours.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { acknowledgeLambdaBasics, FUNCTION_DEFAULTS } from './functions';
import { LOCKS } from './isolation';
import {
  acknowledgeRepositoryMap,
  repositoryMapMachine
} from './repository-map';

/** The keys of a reference copy under a repository, as an IAM resource pattern. */
export const COPY_KEYS = '*/*/????-??-??-??-??-??/*';

export interface IMigrationProps {
  readonly bucket: s3.IBucket;
  readonly key: kms.IKey;
  readonly prefix: string;
  /** The maintenance's listing function: the same list of repositories. */
  readonly lister: NodejsFunction;
  readonly maxConcurrency: number;
}

export class MigrationConstruct extends Construct {
  readonly migrator: NodejsFunction;
  readonly deadLetters: sqs.Queue;
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: IMigrationProps) {
    super(scope, id);
    const { bucket, key, prefix } = props;
    this.deadLetters = new sqs.Queue(this, 'FailedMigrations', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the migration state machine (its Catch sends to it), which cdk-nag cannot see from a redrive policy.'
    });
    this.migrator = new NodejsFunction(this, 'Migrator', {
      ...FUNCTION_DEFAULTS,
      // The import holds a copy's file list and a pack (16 MiB) at a time; check reads pack by pack.
      memorySize: 1024,
      timeout: Duration.minutes(15),
      entry: join(__dirname, '..', 'lambda', 'migrate.ts'),
      description:
        "Imports one repository's reference copies, verifies them, and deletes them when asked",
      environment: { BACKUP_BUCKET: bucket.bucketName, BACKUP_PREFIX: prefix }
    });
    this.migrator.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [bucket.arnForObjects(`${prefix}/*`)]
      })
    );
    this.migrator.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:DeleteObject'],
        resources: [
          bucket.arnForObjects(`${prefix}/${COPY_KEYS}`),
          bucket.arnForObjects(`${prefix}/*/*/${LOCKS}/*`)
        ]
      })
    );
    this.migrator.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}/*`] } }
      })
    );
    this.migrator.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [key.keyArn]
      })
    );
    acknowledgeLambdaBasics(this.migrator);
    const stack = Stack.of(this);
    const bucketId = stack.resolve(
      (bucket.node.defaultChild as s3.CfnBucket).logicalId
    );
    for (const pattern of [
      `${prefix}/*`,
      `${prefix}/${COPY_KEYS}`,
      `${prefix}/*/*/${LOCKS}/*`
    ]) {
      Validations.of(this.migrator).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${pattern}]`,
        reason:
          "A migration reads and writes every repository; the copies' timestamps and the packs' names are known only at run time."
      });
    }

    this.stateMachine = repositoryMapMachine(this, {
      bucket,
      key,
      lister: props.lister,
      worker: this.migrator,
      deadLetters: this.deadLetters,
      maxConcurrency: props.maxConcurrency,
      itemFields: {
        deleteCopies: '$.deleteCopies',
        since: '$.since',
        profiles: '$.profiles'
      },
      names: {
        work: 'Migrate',
        done: 'Migrated',
        failError: 'MigrationFailed',
        failCause: 'See the migration dead-letter queue',
        machine: 'Migration'
      },
      timeout: Duration.hours(23)
    });
    acknowledgeRepositoryMap(
      this.stateMachine,
      props.lister,
      this.migrator,
      bucketId,
      {
        work: 'Invoking the migration function includes its versions, as CDK grants it.'
      }
    );
    new cloudwatch.Alarm(this, 'FailedRepositoriesAlarm', {
      alarmDescription:
        'A repository could not be migrated: its error is in the migration dead-letter queue; its copies were not deleted.',
      metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5)
      }),
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING
    });
  }
}
