/**
 * The processing of a restore request, once lambda/requests.ts has applied the approval policy:
 * - tag-profile: the user profile gets studio-backup:restore:<space>=<snapshot>[:in-place] (the key
 *   comes with the input: lambda/requests.ts), applied by the lifecycle configuration at that
 *   space's next start;
 * - recover, EFS (Studio Classic): the recovery state machine runs the DataSync copy, and this one
 *   waits for it and records the outcome on the request;
 * - recover, S3 (new Studio): the former profile's repository is copied server-side into the
 *   requester's space by a distributed map (one Lambda a batch of objects), then the space is tagged
 *   studio-backup:restore=latest@<former profile>, restored at its next start.
 * Every failure ends with the request FAILED and a message the panel shows.
 */
import {
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  Token,
  Validations
} from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { acknowledgeLambdaBasics, FUNCTION_DEFAULTS } from './functions';
import { RESTORE_TAG } from '../../lcc/src/api/layout';
import { IRecoveryHistoryProps, putRecoveryHistory } from './recovery-history';

export interface IRequestProcessingProps {
  readonly requestsTable: dynamodb.ITable;
  readonly historyTable: dynamodb.ITable;
  readonly recovery: sfn.IStateMachine;
  readonly bucket: s3.IBucket;
  readonly key: kms.IKey;
  readonly prefix: string;
}

/** Objects a copy Lambda gets at once: small enough to finish well inside its timeout. */
export const COPY_BATCH = 100;

export class RequestProcessing extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly copier: NodejsFunction;

  constructor(scope: Construct, id: string, props: IRequestProcessingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.copier = new NodejsFunction(this, 'Copier', {
      ...FUNCTION_DEFAULTS,
      timeout: Duration.minutes(15),
      memorySize: 512,
      entry: join(__dirname, '..', 'lambda', 'copy-snapshots.ts'),
      description:
        "Copies a batch of a former profile's snapshot objects into the requester's repository",
      environment: {
        BACKUP_BUCKET: props.bucket.bucketName,
        REQUESTS_TABLE: props.requestsTable.tableName
      }
    });
    // Counting the progress on the request row, and nothing else there.
    this.copier.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [props.requestsTable.tableArn]
      })
    );
    this.copier.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
        resources: [props.bucket.arnForObjects(`${props.prefix}/*`)]
      })
    );
    // Without ListBucket, a missing target object answers 403 instead of 404.
    this.copier.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${props.prefix}/*`] } }
      })
    );
    this.copier.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.key.keyArn]
      })
    );
    acknowledgeLambdaBasics(this.copier);
    Validations.of(this.copier).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.resolve((props.bucket.node.defaultChild as s3.CfnBucket).logicalId)}.Arn>/${props.prefix}/*]`,
      reason:
        "Snapshot objects are content-addressed and the profiles are named by the request, so only the backups prefix can be named; the copy never touches artifacts/ or another bucket's objects."
    });
    this.stateMachine = this.build(props);
  }

  private build(props: IRequestProcessingProps): sfn.StateMachine {
    const requestKey = {
      user_profile_name: tasks.DynamoAttributeValue.fromString(
        sfn.JsonPath.stringAt('$.request.user_profile_name')
      ),
      request_id: tasks.DynamoAttributeValue.fromString(
        sfn.JsonPath.stringAt('$.request.request_id')
      )
    };
    /** Writes the request's state and message (and, for a failure, its cause). */
    const setState = (
      id: string,
      state: string,
      message: string,
      cause?: string
    ) =>
      new tasks.DynamoUpdateItem(this, id, {
        table: props.requestsTable,
        key: requestKey,
        updateExpression: `SET #s = :s, message = :m${cause ? ', error_cause = :c' : ''}`,
        expressionAttributeNames: { '#s': 'state' },
        expressionAttributeValues: {
          ':s': tasks.DynamoAttributeValue.fromString(state),
          ':m': tasks.DynamoAttributeValue.fromString(message),
          ...(cause
            ? { ':c': tasks.DynamoAttributeValue.fromString(cause) }
            : {})
        },
        resultPath: sfn.JsonPath.DISCARD
      });
    const sagemaker = (
      id: string,
      action: string,
      parameters: Record<string, unknown>,
      resource: 'user-profile' | 'space',
      resultPath: string
    ) =>
      new tasks.CallAwsService(this, id, {
        service: 'sagemaker',
        action,
        parameters,
        iamResources: [
          Stack.of(this).formatArn({
            service: 'sagemaker',
            resource,
            resourceName: '*'
          })
        ],
        resultPath
      });
    const tag = (
      id: string,
      arnPath: string,
      resource: 'user-profile' | 'space',
      key: string = RESTORE_TAG
    ) =>
      sagemaker(
        id,
        'addTags',
        {
          ResourceArn: sfn.JsonPath.stringAt(arnPath),
          Tags: [
            {
              Key: key,
              Value: sfn.JsonPath.stringAt('$.tag_value')
            }
          ]
        },
        resource,
        sfn.JsonPath.DISCARD
      );

    const failed = sfn.Chain.start(
      setState(
        'RecordFailure',
        'failed',
        sfn.JsonPath.format(
          'The request failed ({}): your Studio admin sees why with studio-backup-admin requests show.',
          sfn.JsonPath.stringAt('$.error.Error')
        ),
        sfn.JsonPath.stringAt('$.error.Cause')
      )
    ).next(
      new sfn.Fail(this, 'RequestFailed', {
        error: 'RequestFailed',
        cause: 'See the request row: state failed, error_cause'
      })
    );
    const done = new sfn.Succeed(this, 'Processed');
    const onError = <T extends sfn.TaskStateBase>(task: T): T => {
      task.addCatch(failed, { resultPath: '$.error' });
      return task;
    };

    // Own full restore: tag the user profile.
    const describeProfile = onError(
      sagemaker(
        'DescribeUserProfile',
        'describeUserProfile',
        {
          DomainId: sfn.JsonPath.stringAt('$.domain_id'),
          UserProfileName: sfn.JsonPath.stringAt('$.request.user_profile_name')
        },
        'user-profile',
        '$.profile'
      )
    );
    describeProfile.next(
      onError(
        tag(
          'TagProfile',
          '$.profile.UserProfileArn',
          'user-profile',
          sfn.JsonPath.stringAt('$.tag_key')
        )
      ).next(done)
    );

    // Recovery of an EFS home: the recovery state machine, waited for.
    const recoverEfs = onError(
      new tasks.StepFunctionsStartExecution(this, 'RecoverEfsHome', {
        stateMachine: props.recovery,
        integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        input: sfn.TaskInput.fromJsonPathAt('$.efs'),
        resultPath: sfn.JsonPath.DISCARD
      })
    );
    recoverEfs.next(
      onError(
        setState(
          'RecordRecovered',
          'done',
          'Recovered: the former home was copied into yours (see the recovery history).'
        )
      ).next(done)
    );

    // Recovery from S3 snapshots: are there any, copy them, tag the space.
    const copy = new sfn.DistributedMap(this, 'CopySnapshots', {
      itemReader: new sfn.S3ObjectsItemReader({
        bucket: props.bucket,
        prefix: sfn.JsonPath.stringAt('$.s3.source_prefix')
      }),
      itemSelector: {
        Key: sfn.JsonPath.stringAt('$$.Map.Item.Value.Key'),
        Size: sfn.JsonPath.numberAt('$$.Map.Item.Value.Size'),
        copy: sfn.JsonPath.objectAt('$.s3')
      },
      itemBatcher: new sfn.ItemBatcher({ maxItemsPerBatch: COPY_BATCH }),
      maxConcurrency: 20,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      resultPath: sfn.JsonPath.DISCARD
    });
    const copyBatch = new tasks.LambdaInvoke(this, 'CopyBatch', {
      lambdaFunction: this.copier,
      payloadResponseOnly: true,
      retryOnServiceExceptions: true
    });
    copyBatch.addRetry({
      errors: ['States.TaskFailed'],
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: 3
    });
    copy.itemProcessor(copyBatch);
    copy.addCatch(failed, { resultPath: '$.error' });
    const describeSpace = onError(
      sagemaker(
        'DescribeSpace',
        'describeSpace',
        {
          DomainId: sfn.JsonPath.stringAt('$.domain_id'),
          SpaceName: sfn.JsonPath.stringAt('$.s3.space_name')
        },
        'space',
        '$.space'
      )
    );
    // The recovery history (what the panel lists), with the bytes the copy Lambdas counted on the row.
    const history = (id: string, fields: IRecoveryHistoryProps['fields']) =>
      onError(
        putRecoveryHistory(this, id, {
          table: props.historyTable,
          profilePath: '$.request.user_profile_name',
          status: 'SUCCESS',
          fields: {
            domain_id: tasks.DynamoAttributeValue.fromString(
              sfn.JsonPath.stringAt('$.domain_id')
            ),
            method: tasks.DynamoAttributeValue.fromString('s3-snapshots'),
            from_profile: tasks.DynamoAttributeValue.fromString(
              sfn.JsonPath.stringAt('$.s3.from_profile')
            ),
            ...fields
          }
        })
      );
    const recordCopied = onError(
      setState(
        'RecordCopied',
        'forwarded',
        sfn.JsonPath.format(
          'The snapshots of {} are in your space {}: the latest is restored at its next start.',
          sfn.JsonPath.stringAt('$.s3.from_profile'),
          sfn.JsonPath.stringAt('$.s3.space_name')
        )
      )
    ).next(done);
    const readCounts = onError(
      new tasks.DynamoGetItem(this, 'ReadCopyCounts', {
        table: props.requestsTable,
        key: requestKey,
        projectionExpression: [
          new tasks.DynamoProjectionExpression().withAttribute('bytes_copied')
        ],
        resultPath: '$.row'
      })
    );
    // A path to an absent attribute is an uncatchable States.Runtime: look before reading it.
    readCounts.next(
      new sfn.Choice(this, 'Counted?')
        .when(
          sfn.Condition.isPresent('$.row.Item.bytes_copied.N'),
          history('HistoryCopied', {
            bytes_written: tasks.DynamoAttributeValue.numberFromString(
              sfn.JsonPath.stringAt('$.row.Item.bytes_copied.N')
            )
          }).next(recordCopied)
        )
        .otherwise(history('HistoryCopiedUncounted', {}).next(recordCopied))
    );
    copy
      .next(describeSpace)
      .next(onError(tag('TagSpace', '$.space.SpaceArn', 'space')))
      .next(readCounts);
    const findSnapshots = onError(
      new tasks.CallAwsService(this, 'FindSnapshots', {
        service: 's3',
        action: 'listObjectsV2',
        parameters: {
          Bucket: props.bucket.bucketName,
          Prefix: sfn.JsonPath.stringAt('$.s3.source_prefix'),
          MaxKeys: 1
        },
        iamResources: [props.bucket.bucketArn],
        iamAction: 's3:ListBucket',
        resultSelector: { 'count.$': '$.KeyCount' },
        resultPath: '$.found'
      })
    );
    const noSnapshots = setState(
      'RecordNothingToRecover',
      'failed',
      sfn.JsonPath.format(
        'Nothing to recover: {} has no EFS home recorded and no snapshots in the backup bucket.',
        sfn.JsonPath.stringAt('$.s3.from_profile')
      )
    ).next(
      new sfn.Fail(this, 'NothingToRecover', {
        error: 'NothingToRecover',
        cause: 'No EFS home and no S3 snapshots of the former profile'
      })
    );
    findSnapshots.next(
      new sfn.Choice(this, 'AnySnapshots?')
        .when(sfn.Condition.numberGreaterThan('$.found.count', 0), copy)
        .otherwise(noSnapshots)
    );

    const recover = new sfn.Choice(this, 'EfsOrS3?')
      .when(sfn.Condition.isPresent('$.efs'), recoverEfs)
      .otherwise(findSnapshots);
    const start = onError(
      setState(
        'RecordDecision',
        sfn.JsonPath.stringAt('$.state'),
        sfn.JsonPath.stringAt('$.message')
      )
    );
    start.next(
      new sfn.Choice(this, 'Action?')
        .when(
          sfn.Condition.stringEquals('$.action', 'tag-profile'),
          describeProfile
        )
        .when(sfn.Condition.stringEquals('$.action', 'recover'), recover)
        .otherwise(done)
    );

    const machine = new sfn.StateMachine(this, 'ProcessRequest', {
      definitionBody: sfn.DefinitionBody.fromChainable(start),
      timeout: Duration.days(3),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'Logs', {
          retention: logs.RetentionDays.THREE_MONTHS,
          removalPolicy: RemovalPolicy.DESTROY
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false
      }
    });
    this.acknowledge(machine, props.recovery);
    return machine;
  }

  /** cdk-nag's findings on the processing role, each with its reason. */
  private acknowledge(machine: sfn.StateMachine, recovery: sfn.IStateMachine) {
    const stack = Stack.of(this);
    const shown = (value: string, pseudo: string) =>
      Token.isUnresolved(value) ? `<${pseudo}>` : value;
    const arn = (resource: string) =>
      `arn:<AWS::Partition>:${resource.split(':')[0]}:${shown(stack.region, 'AWS::Region')}:${shown(stack.account, 'AWS::AccountId')}:${resource.slice(resource.indexOf(':') + 1)}`;
    const nameOf = (m: sfn.IStateMachine) =>
      JSON.stringify(
        stack.resolve(Fn.select(6, Fn.split(':', m.stateMachineArn)))
      );
    const copierId = stack.resolve(
      (this.copier.node.defaultChild as lambda.CfnFunction).logicalId
    );
    const reasons: Record<string, string> = {
      '*': 'X-Ray tracing and the delivery of the execution logs have no resource-level permissions.',
      [arn('sagemaker:space/*')]:
        'The space to tag is named by the request, at run time; only DescribeSpace and AddTags are allowed on spaces.',
      [arn('sagemaker:user-profile/*')]:
        'The profile to tag is named by the request, at run time; only DescribeUserProfile and AddTags are allowed on profiles.',
      [arn(`states:execution:${nameOf(recovery)}*`)]:
        'Waiting for a recovery (RUN_JOB) describes and stops the executions it started, whose names are generated.',
      [arn(`states:execution:${nameOf(machine)}:*`)]:
        "The distributed map's child executions are named at run time.",
      [arn(`states:execution:${nameOf(machine)}/*:*`)]:
        "The distributed map's child executions are named at run time.",
      [`<${copierId}.Arn>:*`]:
        'Invoking the copy function includes its versions, as CDK grants it.'
    };
    for (const [resource, reason] of Object.entries(reasons)) {
      Validations.of(machine).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`,
        reason
      });
    }
  }
}
