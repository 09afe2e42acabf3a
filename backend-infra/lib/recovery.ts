/**
 * Event-driven recovery of Studio Classic EFS homes, as the reference sample does it and with what it
 * leaves broken fixed: CreateDomain is heard too, the DataSync task and both locations are deleted
 * after every run, and every failure is visible (a FAILED status on the row, the dead-letter queue,
 * an alarm).
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
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import { CustomResource } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { acknowledgeLambdaBasics, FUNCTION_DEFAULTS } from './functions';

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

/** The reference's DataSync options: copy what changed, overwrite, leave ownership to the new home. */
export const DATASYNC_OPTIONS = {
  TransferMode: 'CHANGED',
  OverwriteMode: 'ALWAYS',
  PosixPermissions: 'NONE',
  Uid: 'NONE',
  Gid: 'NONE',
  LogLevel: 'TRANSFER',
  VerifyMode: 'ONLY_FILES_TRANSFERRED'
};

const THROTTLED = [
  'DataSync.ThrottlingException',
  'DataSync.InternalException',
  'SageMaker.ThrottlingException',
  'SageMaker.SageMakerException'
];

/** A value as cdk-nag prints it in a finding id: itself, or <Pseudo::Parameter> when deploy-time. */
const shown = (value: string, pseudo: string) =>
  Token.isUnresolved(value) ? `<${pseudo}>` : value;

export class RecoveryConstruct extends Construct {
  readonly userTable: dynamodb.Table;
  readonly historyTable: dynamodb.Table;
  readonly deadLetters: sqs.Queue;
  readonly stateMachine: sfn.StateMachine;
  readonly rule: events.Rule;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: IRecoveryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const tableDefaults = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN
    };
    this.userTable = new dynamodb.Table(this, 'StudioUser', {
      ...tableDefaults,
      partitionKey: {
        name: 'profile_name',
        type: dynamodb.AttributeType.STRING
      },
      sortKey: { name: 'domain_name', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES
    });
    this.historyTable = new dynamodb.Table(this, 'StudioUserHistory', {
      ...tableDefaults,
      partitionKey: {
        name: 'profile_name',
        type: dynamodb.AttributeType.STRING
      },
      sortKey: { name: 'epoctime', type: dynamodb.AttributeType.NUMBER }
    });
    this.deadLetters = new sqs.Queue(this, 'FailedRecoveries', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true
    });

    this.stateMachine = this.buildStateMachine(stack, props);

    const handlerDefaults = {
      ...FUNCTION_DEFAULTS,
      timeout: Duration.seconds(30),
      deadLetterQueue: this.deadLetters
    };
    const onCreate = new NodejsFunction(this, 'StudioEvents', {
      ...handlerDefaults,
      entry: join(__dirname, '..', 'lambda', 'studio-events.ts'),
      description:
        'Records the EFS home of created Studio profiles, spaces and domains',
      environment: {
        USER_TABLE: this.userTable.tableName,
        HISTORY_TABLE: this.historyTable.tableName,
        BACKUP_BUCKET: props.backupBucket.bucketName,
        BACKUP_PREFIX: props.backupPrefix
      }
    });
    this.userTable.grantReadWriteData(onCreate);
    // Only listing (is there a snapshot?) and tagging the new space; never reading snapshot content.
    onCreate.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.backupBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${props.backupPrefix}/*`] } }
      })
    );
    onCreate.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:AddTags'],
        resources: [
          stack.formatArn({
            service: 'sagemaker',
            resource: 'space',
            resourceName: '*'
          })
        ]
      })
    );
    this.historyTable.grantWriteData(onCreate);
    onCreate.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'sagemaker:DescribeDomain',
          'sagemaker:DescribeUserProfile',
          'sagemaker:DescribeSpace'
        ],
        resources: [
          stack.formatArn({
            service: 'sagemaker',
            resource: 'domain',
            resourceName: '*'
          }),
          stack.formatArn({
            service: 'sagemaker',
            resource: 'user-profile',
            resourceName: '*'
          }),
          stack.formatArn({
            service: 'sagemaker',
            resource: 'space',
            resourceName: '*'
          })
        ]
      })
    );
    for (const fn of [onCreate]) {
      acknowledgeLambdaBasics(fn);
    }
    for (const kind of ['domain', 'user-profile', 'space']) {
      Validations.of(onCreate).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:${shown(stack.region, 'AWS::Region')}:${shown(stack.account, 'AWS::AccountId')}:${kind}/*]`,
        reason:
          'Profiles, spaces and domains are created at run time, so their names are unknown at deploy; the statement only allows Describe calls on SageMaker domains, user profiles and spaces of this account and region.'
      });
    }
    this.rule = new events.Rule(this, 'StudioCreated', {
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
    this.rule.addTarget(
      new targets.LambdaFunction(onCreate, {
        deadLetterQueue: this.deadLetters,
        retryAttempts: 4
      })
    );

    const trigger = new NodejsFunction(this, 'RecoveryTrigger', {
      ...handlerDefaults,
      entry: join(__dirname, '..', 'lambda', 'recovery-trigger.ts'),
      description:
        'Starts a recovery when a studioUser row gets a new EFS home',
      environment: { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn }
    });
    this.stateMachine.grantStartExecution(trigger);
    acknowledgeLambdaBasics(trigger);
    Validations.of(trigger).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams, which the stream event source needs, has no resource-level permissions; reading records is limited to the studioUser stream.'
    });
    trigger.addEventSource(
      new sources.DynamoEventSource(this.userTable, {
        startingPosition: lambda.StartingPosition.LATEST,
        retryAttempts: 5,
        bisectBatchOnError: true,
        onFailure: new sources.SqsDlq(this.deadLetters),
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.isEqual('MODIFY')
          })
        ]
      })
    );

    if (props.seed ?? true) {
      const seeder = new NodejsFunction(this, 'Seed', {
        ...handlerDefaults,
        timeout: Duration.minutes(10),
        entry: join(__dirname, '..', 'lambda', 'seed.ts'),
        description: 'Fills studioUser from existing Studio domains at deploy',
        environment: {
          USER_TABLE: this.userTable.tableName,
          HISTORY_TABLE: this.historyTable.tableName
        }
      });
      this.userTable.grantReadWriteData(seeder);
      this.historyTable.grantWriteData(seeder);
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
      acknowledgeLambdaBasics(seeder);
      Validations.of(seeder).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'The SageMaker List calls have no resource-level permissions; the rest are read-only Describe calls over every domain, which is what seeding is.'
      });
      const provider = new cr.Provider(this, 'SeedProvider', {
        onEventHandler: seeder
      });
      for (const fn of [
        provider.node.findChild('framework-onEvent') as lambda.Function
      ]) {
        acknowledgeLambdaBasics(fn);
        Validations.of(fn).acknowledge({
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.resolve((seeder.node.defaultChild as lambda.CfnFunction).logicalId)}.Arn>:*]`,
          reason:
            'The custom-resource framework invokes any version of the seeding function.'
        });
        Validations.of(fn).acknowledge({
          id: 'AwsSolutions::AwsSolutions-L1',
          reason:
            'The custom-resource framework function is provided by aws-cdk-lib, which picks its runtime.'
        });
      }
      new CustomResource(this, 'SeedExisting', {
        serviceToken: provider.serviceToken
      });
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${stack.stackName}-recovery`,
      defaultInterval: Duration.days(7)
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Home recoveries',
        left: [
          this.stateMachine.metricStarted(),
          this.stateMachine.metricSucceeded(),
          this.stateMachine.metricFailed()
        ]
      }),
      new cloudwatch.GraphWidget({
        title: 'Failed events (dead-letter queue)',
        left: [this.deadLetters.metricApproximateNumberOfMessagesVisible()]
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda errors',
        left: [onCreate.metricErrors(), trigger.metricErrors()]
      })
    );

    new cloudwatch.Alarm(this, 'RecoveryFailedAlarm', {
      alarmDescription:
        'A home recovery failed: see the FAILED rows in studioUser and the dead-letter queue.',
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING
    });
    new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: 'Studio Backup recovery events could not be processed.',
      metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5)
      }),
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING
    });
  }

  private buildStateMachine(
    stack: Stack,
    props: IRecoveryProps
  ): sfn.StateMachine {
    const retryThrottled = <T extends sfn.TaskStateBase>(task: T): T => {
      task.addRetry({
        errors: THROTTLED,
        interval: Duration.seconds(10),
        backoffRate: 2,
        maxAttempts: 8,
        maxDelay: Duration.minutes(5),
        jitterStrategy: sfn.JitterType.FULL
      });
      return task;
    };
    // Tasks and locations are created during the run: their ARNs are known only by pattern.
    const dataSyncResources = ['task/*', 'location/*'].map(resourceName =>
      stack.formatArn({
        service: 'datasync',
        resource: resourceName.split('/')[0],
        resourceName: '*'
      })
    );
    const datasync = (
      id: string,
      action: string,
      parameters: Record<string, unknown>,
      resultPath?: string
    ) =>
      retryThrottled(
        new tasks.CallAwsService(this, id, {
          service: 'datasync',
          action,
          parameters,
          iamResources:
            action === 'createLocationEfs' ? ['*'] : dataSyncResources,
          resultPath: resultPath ?? sfn.JsonPath.DISCARD
        })
      );
    const efsArn = (side: 'source' | 'target') =>
      sfn.JsonPath.format(
        `arn:${stack.partition}:elasticfilesystem:${stack.region}:${stack.account}:file-system/{}`,
        sfn.JsonPath.stringAt(`$.${side}.efs_sys_id`)
      );
    const location = (side: 'source' | 'target') =>
      datasync(
        `CreateLocation-${side}`,
        'createLocationEfs',
        {
          EfsFilesystemArn: efsArn(side),
          Subdirectory: sfn.JsonPath.format(
            '/{}',
            sfn.JsonPath.stringAt(`$.${side}.efs_uid`)
          ),
          Ec2Config: {
            SubnetArn: props.subnetArn,
            SecurityGroupArns: [props.securityGroupArn]
          }
        },
        `$.locations.${side}`
      );
    const logGroup = new logs.LogGroup(this, 'DataSyncLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY
    });

    // 1. Wait until the recreated profile's or space's app is InService (its home exists then).
    const listApps = (kind: 'user' | 'space') =>
      retryThrottled(
        new tasks.CallAwsService(this, `ListApps-${kind}`, {
          service: 'sagemaker',
          action: 'listApps',
          parameters: {
            DomainIdEquals: sfn.JsonPath.stringAt('$.target.domain_id'),
            ...(kind === 'user'
              ? {
                  UserProfileNameEquals: sfn.JsonPath.stringAt(
                    '$.target.user_profile_name'
                  )
                }
              : {
                  SpaceNameEquals: sfn.JsonPath.stringAt('$.target.space_name')
                })
          },
          iamResources: ['*'],
          resultSelector: {
            'inService.$': "$.Apps[?(@.Status == 'InService')]"
          },
          resultPath: '$.apps'
        })
      );
    const waitForApp = new sfn.Wait(this, 'WaitForApp', {
      time: sfn.WaitTime.duration(Duration.minutes(5))
    });
    const createSource = location('source');
    const appReady = new sfn.Choice(this, 'AppInService?')
      .when(sfn.Condition.isPresent('$.apps.inService[0]'), createSource)
      .otherwise(waitForApp);
    const listUser = listApps('user').next(appReady);
    const listSpace = listApps('space').next(appReady);
    const chooseKind = new sfn.Choice(this, 'UserOrSpace?')
      .when(sfn.Condition.stringEquals('$.kind', 'space'), listSpace)
      .otherwise(listUser);
    waitForApp.next(chooseKind);

    // 2. Locations, task, run, poll.
    const createTask = datasync(
      'CreateTask',
      'createTask',
      {
        SourceLocationArn: sfn.JsonPath.stringAt(
          '$.locations.source.LocationArn'
        ),
        DestinationLocationArn: sfn.JsonPath.stringAt(
          '$.locations.target.LocationArn'
        ),
        Name: sfn.JsonPath.format(
          'studio-backup-{}',
          sfn.JsonPath.stringAt('$.profile_name')
        ),
        Options: DATASYNC_OPTIONS,
        CloudWatchLogGroupArn: logGroup.logGroupArn
      },
      '$.task'
    );
    const start = datasync(
      'StartTaskExecution',
      'startTaskExecution',
      { TaskArn: sfn.JsonPath.stringAt('$.task.TaskArn') },
      '$.execution'
    );
    const waitForCopy = new sfn.Wait(this, 'WaitForCopy', {
      time: sfn.WaitTime.duration(Duration.seconds(30))
    });
    const describe = datasync(
      'DescribeTaskExecution',
      'describeTaskExecution',
      {
        TaskExecutionArn: sfn.JsonPath.stringAt('$.execution.TaskExecutionArn')
      },
      '$.result'
    );

    // 3. Record the outcome on the row and in the history, then always clean up.
    const rowKey = {
      profile_name: tasks.DynamoAttributeValue.fromString(
        sfn.JsonPath.stringAt('$.profile_name')
      ),
      domain_name: tasks.DynamoAttributeValue.fromString(
        sfn.JsonPath.stringAt('$.domain_name')
      )
    };
    const record = new tasks.DynamoUpdateItem(this, 'RecordSuccess', {
      table: this.userTable,
      key: rowKey,
      updateExpression:
        'SET bytes_written = :bw, bytes_file_transferred = :bf, total_duration_ms = :d, replication_status = :s',
      expressionAttributeValues: {
        ':bw': tasks.DynamoAttributeValue.numberFromString(
          sfn.JsonPath.format(
            '{}',
            sfn.JsonPath.stringAt('$.result.BytesWritten')
          )
        ),
        ':bf': tasks.DynamoAttributeValue.numberFromString(
          sfn.JsonPath.format(
            '{}',
            sfn.JsonPath.stringAt('$.result.FilesTransferred')
          )
        ),
        ':d': tasks.DynamoAttributeValue.numberFromString(
          sfn.JsonPath.format(
            '{}',
            sfn.JsonPath.stringAt('$.result.Result.TotalDuration')
          )
        ),
        ':s': tasks.DynamoAttributeValue.fromString(
          sfn.JsonPath.stringAt('$.result.Status')
        )
      },
      resultPath: sfn.JsonPath.DISCARD
    });
    const fromResult = (path: string) =>
      tasks.DynamoAttributeValue.numberFromString(
        sfn.JsonPath.format('{}', sfn.JsonPath.stringAt(path))
      );
    const history = (
      id: string,
      status: string,
      extra: Record<string, tasks.DynamoAttributeValue> = {}
    ) =>
      new tasks.DynamoPutItem(this, id, {
        table: this.historyTable,
        item: {
          profile_name: tasks.DynamoAttributeValue.fromString(
            sfn.JsonPath.stringAt('$.profile_name')
          ),
          epoctime: tasks.DynamoAttributeValue.numberFromString(
            sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.requested_at'))
          ),
          domain_name: tasks.DynamoAttributeValue.fromString(
            sfn.JsonPath.stringAt('$.domain_name')
          ),
          event: tasks.DynamoAttributeValue.fromString('recovery'),
          replication_status: tasks.DynamoAttributeValue.fromString(status),
          execution: tasks.DynamoAttributeValue.fromString(
            sfn.JsonPath.stringAt('$$.Execution.Id')
          ),
          ...extra
        },
        resultPath: sfn.JsonPath.DISCARD
      });

    const markFailed = new tasks.DynamoUpdateItem(this, 'RecordFailure', {
      table: this.userTable,
      key: rowKey,
      updateExpression: 'SET replication_status = :s, replication_error = :e',
      expressionAttributeValues: {
        ':s': tasks.DynamoAttributeValue.fromString('FAILED'),
        ':e': tasks.DynamoAttributeValue.fromString(
          sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.error'))
        )
      },
      resultPath: sfn.JsonPath.DISCARD
    });
    const toDeadLetters = new tasks.SqsSendMessage(this, 'SendToDeadLetters', {
      queue: this.deadLetters,
      messageBody: sfn.TaskInput.fromJsonPathAt('$'),
      resultPath: sfn.JsonPath.DISCARD
    });

    // The reference never deletes these; each run here removes its task and both locations.
    // Each delete is guarded: a path to a field that was never set is a States.Runtime error,
    // which no Catch can handle, so a failure before the task existed must skip its delete.
    const outcome = new sfn.Choice(this, 'Outcome?')
      .when(
        sfn.Condition.isPresent('$.error'),
        new sfn.Fail(this, 'RecoveryFailed', {
          error: 'RecoveryFailed',
          cause: 'See studioUser.replication_error and the dead-letter queue'
        })
      )
      .otherwise(new sfn.Succeed(this, 'Recovered'));
    const guardedDelete = (
      id: string,
      action: string,
      path: string,
      parameter: string,
      next: sfn.IChainable
    ): sfn.Choice => {
      const remove = datasync(id, action, {
        [parameter]: sfn.JsonPath.stringAt(path)
      });
      remove.addCatch(next, { resultPath: sfn.JsonPath.DISCARD });
      remove.next(next);
      return new sfn.Choice(this, `${id}?`)
        .when(sfn.Condition.isPresent(path), remove)
        .otherwise(next);
    };
    const deleteTarget = guardedDelete(
      'DeleteLocation-target',
      'deleteLocation',
      '$.locations.target.LocationArn',
      'LocationArn',
      outcome
    );
    const deleteSource = guardedDelete(
      'DeleteLocation-source',
      'deleteLocation',
      '$.locations.source.LocationArn',
      'LocationArn',
      deleteTarget
    );
    const cleanup = guardedDelete(
      'DeleteTask',
      'deleteTask',
      '$.task.TaskArn',
      'TaskArn',
      deleteSource
    );

    const failure = sfn.Chain.start(markFailed)
      .next(history('HistoryFailure', 'FAILED'))
      .next(toDeadLetters)
      .next(cleanup);
    const copyDone = new sfn.Choice(this, 'CopyDone?')
      .when(
        sfn.Condition.stringEquals('$.result.Status', 'SUCCESS'),
        sfn.Chain.start(record)
          .next(
            history('HistorySuccess', 'SUCCESS', {
              bytes_written: fromResult('$.result.BytesWritten'),
              bytes_file_transferred: fromResult('$.result.FilesTransferred'),
              total_duration_ms: fromResult('$.result.Result.TotalDuration')
            })
          )
          .next(cleanup)
      )
      .when(
        sfn.Condition.stringEquals('$.result.Status', 'ERROR'),
        new sfn.Pass(this, 'CopyFailed', {
          parameters: {
            Error: 'DataSync.TaskExecutionError',
            'Cause.$': 'States.JsonToString($.result.Result)'
          },
          resultPath: '$.error'
        }).next(failure)
      )
      .otherwise(waitForCopy);
    waitForCopy.next(describe);

    const createTarget = location('target');
    sfn.Chain.start(createSource)
      .next(createTarget)
      .next(createTask)
      .next(start)
      .next(describe)
      .next(copyDone);
    const listUserTask = listUser.startState as tasks.CallAwsService;
    const listSpaceTask = listSpace.startState as tasks.CallAwsService;
    for (const step of [
      listUserTask,
      listSpaceTask,
      createSource,
      createTarget,
      createTask,
      start,
      describe,
      record
    ]) {
      step.addCatch(failure, { resultPath: '$.error' });
    }
    const definition = sfn.Chain.start(chooseKind);

    const machine = new sfn.StateMachine(this, 'RecoverHome', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.days(2),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'StateMachineLogs', {
          retention: logs.RetentionDays.THREE_MONTHS,
          removalPolicy: RemovalPolicy.DESTROY
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false
      }
    });
    for (const kind of ['task', 'location']) {
      Validations.of(machine).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:datasync:${shown(stack.region, 'AWS::Region')}:${shown(stack.account, 'AWS::AccountId')}:${kind}/*]`,
        reason:
          'Each run creates its own DataSync task and locations, so only their ARN pattern is known at deploy.'
      });
    }
    Validations.of(machine).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'DataSync tasks and locations are created during each run, so their ARNs cannot be named at deploy; sagemaker:ListApps and the EC2 network-interface calls DataSync makes have no resource-level permissions.'
    });
    // DataSync needs to pass its log group and create ENIs in the subnet for EFS locations.
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'ec2:DescribeNetworkInterfaces',
          'ec2:CreateNetworkInterface',
          'ec2:DeleteNetworkInterface',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
          'elasticfilesystem:DescribeFileSystems',
          'elasticfilesystem:DescribeMountTargets'
        ],
        resources: ['*']
      })
    );
    return machine;
  }
}
