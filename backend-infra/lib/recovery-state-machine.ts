/**
 * The recovery state machine: wait until the recreated profile's or space's app is InService, copy
 * the former EFS home into the new one with a DataSync task, record the outcome on the studioUser
 * row and in the history, and always delete the task and both locations it made.
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
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RECORDED_FAILURE } from '../../lcc/src/api/backend-rows';
import { skipCheckov } from './checkov';
import { IRecoveryHistoryProps, putRecoveryHistory } from './recovery-history';

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

/** How long a recovery may run before Step Functions stops it (TIMED_OUT). */
export const RECOVERY_TIMEOUT = Duration.days(2);

const THROTTLED = [
  'DataSync.ThrottlingException',
  'DataSync.InternalException',
  'SageMaker.ThrottlingException',
  'SageMaker.SageMakerException'
];

/** A value as cdk-nag prints it in a finding id: itself, or <Pseudo::Parameter> when deploy-time. */
export const shown = (value: string, pseudo: string) =>
  Token.isUnresolved(value) ? `<${pseudo}>` : value;

export interface IRecoveryStateMachineProps {
  readonly userTable: dynamodb.ITable;
  readonly historyTable: dynamodb.ITable;
  readonly deadLetters: sqs.IQueue;
  readonly subnetArn: string;
  readonly securityGroupArn: string;
}

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

/** A DataSync call of the state machine, retried when throttled. */
function dataSyncCall(
  scope: Construct,
  id: string,
  action: string,
  parameters: Record<string, unknown>,
  resultPath?: string
): tasks.CallAwsService {
  const stack = Stack.of(scope);
  // Tasks and locations are created during the run: their ARNs are known only by pattern.
  const dataSyncResources = ['task', 'location'].map(resource =>
    stack.formatArn({ service: 'datasync', resource, resourceName: '*' })
  );
  return retryThrottled(
    new tasks.CallAwsService(scope, id, {
      service: 'datasync',
      action,
      parameters,
      iamResources: action === 'createLocationEfs' ? ['*'] : dataSyncResources,
      resultPath: resultPath ?? sfn.JsonPath.DISCARD
    })
  );
}

/** 1. Wait until the recreated profile's or space's app is InService (its home exists then). */
function waitForApp(scope: Construct, then: sfn.IChainable) {
  const listApps = (kind: 'user' | 'space') =>
    retryThrottled(
      new tasks.CallAwsService(scope, `ListApps-${kind}`, {
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
  const wait = new sfn.Wait(scope, 'WaitForApp', {
    time: sfn.WaitTime.duration(Duration.minutes(5))
  });
  const appReady = new sfn.Choice(scope, 'AppInService?')
    .when(sfn.Condition.isPresent('$.apps.inService[0]'), then)
    .otherwise(wait);
  const listUser = listApps('user');
  const listSpace = listApps('space');
  listUser.next(appReady);
  listSpace.next(appReady);
  const start = new sfn.Choice(scope, 'UserOrSpace?')
    .when(sfn.Condition.stringEquals('$.kind', 'space'), listSpace)
    .otherwise(listUser);
  wait.next(start);
  return { start, listUser, listSpace };
}

/** 2. Both locations, the task, its run and the polling of its status. */
function copySteps(
  scope: Construct,
  props: IRecoveryStateMachineProps,
  logGroup: logs.ILogGroup
) {
  const stack = Stack.of(scope);
  const efsArn = (side: 'source' | 'target') =>
    sfn.JsonPath.format(
      `arn:${stack.partition}:elasticfilesystem:${stack.region}:${stack.account}:file-system/{}`,
      sfn.JsonPath.stringAt(`$.${side}.efs_sys_id`)
    );
  const location = (side: 'source' | 'target') =>
    dataSyncCall(
      scope,
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
  const createSource = location('source');
  const createTarget = location('target');
  const createTask = dataSyncCall(
    scope,
    'CreateTask',
    'createTask',
    {
      SourceLocationArn: sfn.JsonPath.stringAt(
        '$.locations.source.LocationArn'
      ),
      DestinationLocationArn: sfn.JsonPath.stringAt(
        '$.locations.target.LocationArn'
      ),
      // Named by the kind of home and its new uid: a row key (space#<name>) holds a character
      // DataSync's task names refuse.
      Name: sfn.JsonPath.format(
        'studio-backup-{}-{}',
        sfn.JsonPath.stringAt('$.kind'),
        sfn.JsonPath.stringAt('$.target.efs_uid')
      ),
      Options: DATASYNC_OPTIONS,
      CloudWatchLogGroupArn: logGroup.logGroupArn
    },
    '$.task'
  );
  const start = dataSyncCall(
    scope,
    'StartTaskExecution',
    'startTaskExecution',
    { TaskArn: sfn.JsonPath.stringAt('$.task.TaskArn') },
    '$.execution'
  );
  const waitForCopy = new sfn.Wait(scope, 'WaitForCopy', {
    time: sfn.WaitTime.duration(Duration.seconds(30))
  });
  const describe = dataSyncCall(
    scope,
    'DescribeTaskExecution',
    'describeTaskExecution',
    {
      TaskExecutionArn: sfn.JsonPath.stringAt('$.execution.TaskExecutionArn')
    },
    '$.result'
  );
  waitForCopy.next(describe);
  return {
    createSource,
    createTarget,
    createTask,
    start,
    describe,
    waitForCopy
  };
}

/** 3. Writing the outcome: on the row, in the history and, for a failure, the dead-letter queue. */
function recordSteps(scope: Construct, props: IRecoveryStateMachineProps) {
  const rowKey = {
    profile_name: tasks.DynamoAttributeValue.fromString(
      sfn.JsonPath.stringAt('$.profile_name')
    ),
    domain_name: tasks.DynamoAttributeValue.fromString(
      sfn.JsonPath.stringAt('$.domain_name')
    )
  };
  const fromResult = (path: string) =>
    tasks.DynamoAttributeValue.numberFromString(
      sfn.JsonPath.format('{}', sfn.JsonPath.stringAt(path))
    );
  const record = new tasks.DynamoUpdateItem(scope, 'RecordSuccess', {
    table: props.userTable,
    key: rowKey,
    updateExpression:
      'SET bytes_written = :bw, bytes_file_transferred = :bf, total_duration_ms = :d, replication_status = :s',
    expressionAttributeValues: {
      ':bw': fromResult('$.result.BytesWritten'),
      ':bf': fromResult('$.result.FilesTransferred'),
      ':d': fromResult('$.result.Result.TotalDuration'),
      ':s': tasks.DynamoAttributeValue.fromString(
        sfn.JsonPath.stringAt('$.result.Status')
      )
    },
    resultPath: sfn.JsonPath.DISCARD
  });
  const history = (
    id: string,
    status: 'SUCCESS' | 'FAILED',
    fields: IRecoveryHistoryProps['fields'] = {}
  ) =>
    putRecoveryHistory(scope, id, {
      table: props.historyTable,
      profilePath: '$.profile_name',
      status,
      fields: {
        domain_name: tasks.DynamoAttributeValue.fromString(
          sfn.JsonPath.stringAt('$.domain_name')
        ),
        ...fields
      }
    });
  const markFailed = new tasks.DynamoUpdateItem(scope, 'RecordFailure', {
    table: props.userTable,
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
  const toDeadLetters = new tasks.SqsSendMessage(scope, 'SendToDeadLetters', {
    queue: props.deadLetters,
    messageBody: sfn.TaskInput.fromJsonPathAt('$'),
    resultPath: sfn.JsonPath.DISCARD
  });
  const successHistory = history('HistorySuccess', 'SUCCESS', {
    bytes_written: fromResult('$.result.BytesWritten'),
    bytes_file_transferred: fromResult('$.result.FilesTransferred'),
    total_duration_ms: fromResult('$.result.Result.TotalDuration')
  });
  return {
    record,
    successHistory,
    markFailed,
    failureHistory: history('HistoryFailure', 'FAILED'),
    toDeadLetters
  };
}

/**
 * 4. The reference never deletes the task and locations; each run here removes them, then ends as
 * it went. Each delete is guarded: a path to a field that was never set is a States.Runtime error,
 * which no Catch can handle, so a failure before the task existed must skip its delete.
 */
function cleanupSteps(scope: Construct): sfn.Choice {
  const outcome = new sfn.Choice(scope, 'Outcome?')
    .when(
      sfn.Condition.isPresent('$.error'),
      new sfn.Fail(scope, RECORDED_FAILURE, {
        error: RECORDED_FAILURE,
        cause: 'See studioUser.replication_error and the dead-letter queue'
      })
    )
    .otherwise(new sfn.Succeed(scope, 'Recovered'));
  const guardedDelete = (
    id: string,
    action: string,
    path: string,
    parameter: string,
    next: sfn.IChainable
  ): sfn.Choice => {
    const remove = dataSyncCall(scope, id, action, {
      [parameter]: sfn.JsonPath.stringAt(path)
    });
    remove.addCatch(next, { resultPath: sfn.JsonPath.DISCARD });
    remove.next(next);
    return new sfn.Choice(scope, `${id}?`)
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
  return guardedDelete(
    'DeleteTask',
    'deleteTask',
    '$.task.TaskArn',
    'TaskArn',
    deleteSource
  );
}

/** The definition: wait for the app, copy, record, clean up; every failing call goes to the failure path. */
function recoveryDefinition(
  scope: Construct,
  props: IRecoveryStateMachineProps,
  dataSyncLogs: logs.ILogGroup
): sfn.IChainable {
  const copy = copySteps(scope, props, dataSyncLogs);
  const apps = waitForApp(scope, copy.createSource);
  const record = recordSteps(scope, props);
  const cleanup = cleanupSteps(scope);
  const failure = sfn.Chain.start(record.markFailed)
    .next(record.failureHistory)
    .next(record.toDeadLetters)
    .next(cleanup);
  const copyDone = new sfn.Choice(scope, 'CopyDone?')
    .when(
      sfn.Condition.stringEquals('$.result.Status', 'SUCCESS'),
      sfn.Chain.start(record.record).next(record.successHistory).next(cleanup)
    )
    .when(
      sfn.Condition.stringEquals('$.result.Status', 'ERROR'),
      new sfn.Pass(scope, 'CopyFailed', {
        parameters: {
          Error: 'DataSync.TaskExecutionError',
          'Cause.$': 'States.JsonToString($.result.Result)'
        },
        resultPath: '$.error'
      }).next(failure)
    )
    .otherwise(copy.waitForCopy);
  sfn.Chain.start(copy.createSource)
    .next(copy.createTarget)
    .next(copy.createTask)
    .next(copy.start)
    .next(copy.describe)
    .next(copyDone);
  for (const step of [
    apps.listUser,
    apps.listSpace,
    copy.createSource,
    copy.createTarget,
    copy.createTask,
    copy.start,
    copy.describe,
    record.record
  ]) {
    step.addCatch(failure, { resultPath: '$.error' });
  }
  return sfn.Chain.start(apps.start);
}

/** The state machine, its logs, and the rights DataSync needs that the task calls do not grant. */
export function buildRecoveryStateMachine(
  scope: Construct,
  props: IRecoveryStateMachineProps
): sfn.StateMachine {
  const stack = Stack.of(scope);
  const dataSyncLogs = new logs.LogGroup(scope, 'DataSyncLogs', {
    retention: logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.DESTROY
  });
  const definition = recoveryDefinition(scope, props, dataSyncLogs);
  const machine = new sfn.StateMachine(scope, 'RecoverHome', {
    definitionBody: sfn.DefinitionBody.fromChainable(definition),
    timeout: RECOVERY_TIMEOUT,
    tracingEnabled: true,
    logs: {
      destination: new logs.LogGroup(scope, 'StateMachineLogs', {
        retention: logs.RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.DESTROY
      }),
      level: sfn.LogLevel.ALL,
      includeExecutionData: false
    }
  });
  skipCheckov(machine.role.node.findChild('DefaultPolicy'), [
    {
      id: 'CKV_AWS_111',
      comment:
        "sagemaker:ListApps and datasync:CreateLocationEfs cannot be scoped to a resource (the apps are found, the locations made, at run time), and the logs/X-Ray actions are Step Functions' own delivery."
    }
  ]);
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
