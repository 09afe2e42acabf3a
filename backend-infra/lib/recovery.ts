/**
 * Event-driven recovery of Studio Classic EFS homes, as the reference sample does it and with what it
 * leaves broken fixed: CreateDomain is heard too, the DataSync task and both locations are deleted
 * after every run, and every failure is visible (a FAILED status on the row, the dead-letter queue,
 * an alarm), including a run that times out or is stopped.
 *
 * The parts: recovery-functions.ts (the Lambdas and their triggers), recovery-state-machine.ts (the
 * copy), recovery-stopped.ts (runs that end without their own cleanup), recovery-monitoring.ts.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  recordStudioCreations,
  seedExistingHomes,
  startRecoveriesOnMove
} from './recovery-functions';
import { monitorRecoveries } from './recovery-monitoring';
import { buildRecoveryStateMachine } from './recovery-state-machine';
import { recordStoppedRecoveries } from './recovery-stopped';

export { DATASYNC_OPTIONS } from './recovery-state-machine';

export interface IRecoveryProps {
  /** Subnet and security group DataSync uses to reach the EFS mount targets (the reference's SAM parameters). */
  readonly subnetArn: string;
  readonly securityGroupArn: string;
  /** Fill studioUser from the existing domains at deploy (default true, as the reference). */
  readonly seed?: boolean;
  /** Where snapshots live, to find the ones a recreated EBS space should get back. */
  readonly backupBucket: s3.IBucket;
  readonly backupPrefix: string;
}

export class RecoveryConstruct extends Construct {
  readonly userTable: dynamodb.Table;
  readonly historyTable: dynamodb.Table;
  readonly deadLetters: sqs.Queue;
  readonly stateMachine: sfn.StateMachine;
  readonly rule: events.Rule;
  /** The CreateX events' Lambda (studio-events.ts). */
  readonly studioEvents: NodejsFunction;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: IRecoveryProps) {
    super(scope, id);
    const tableDefaults = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN
    };
    const profileKey = {
      name: 'profile_name',
      type: dynamodb.AttributeType.STRING
    };
    this.userTable = new dynamodb.Table(this, 'StudioUser', {
      ...tableDefaults,
      partitionKey: profileKey,
      sortKey: { name: 'domain_name', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES
    });
    this.historyTable = new dynamodb.Table(this, 'StudioUserHistory', {
      ...tableDefaults,
      partitionKey: profileKey,
      sortKey: { name: 'epoctime', type: dynamodb.AttributeType.NUMBER }
    });
    this.deadLetters = new sqs.Queue(this, 'FailedRecoveries', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true
    });
    const tables = {
      userTable: this.userTable,
      historyTable: this.historyTable,
      deadLetters: this.deadLetters
    };

    this.stateMachine = buildRecoveryStateMachine(this, {
      ...tables,
      subnetArn: props.subnetArn,
      securityGroupArn: props.securityGroupArn
    });
    const created = recordStudioCreations(this, tables, {
      bucket: props.backupBucket,
      prefix: props.backupPrefix
    });
    this.rule = created.rule;
    this.studioEvents = created.fn;
    const trigger = startRecoveriesOnMove(this, tables, this.stateMachine);
    const stopped = recordStoppedRecoveries(this, tables, this.stateMachine);
    if (props.seed ?? true) {
      seedExistingHomes(this, tables);
    }
    this.dashboard = monitorRecoveries(this, {
      stateMachine: this.stateMachine,
      deadLetters: this.deadLetters,
      functions: [created.fn, trigger, stopped]
    });
  }
}
