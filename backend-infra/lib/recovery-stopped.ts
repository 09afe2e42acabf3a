/**
 * Runs of the recovery state machine that end without their own recording and cleanup (TIMED_OUT
 * after the 2-day limit, ABORTED by hand, FAILED on an error no Catch handles): Step Functions'
 * status-change event → recovery-stopped.ts, which records, sends to the dead letters and deletes
 * the run's DataSync task and locations; and an alarm on the timed-out and aborted runs.
 */
import { Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { IRecoveryTables, recoveryFunction } from './recovery-functions';
import { shown } from './recovery-state-machine';

/** The statuses a run can end in without passing its own failure path. */
export const STOPPED_STATUSES = ['TIMED_OUT', 'ABORTED', 'FAILED'];

export function recordStoppedRecoveries(
  scope: Construct,
  tables: IRecoveryTables,
  stateMachine: sfn.StateMachine
): NodejsFunction {
  const stack = Stack.of(scope);
  const fn = recoveryFunction(scope, 'RecoveryStopped', tables, {
    entry: 'recovery-stopped.ts',
    description:
      'Records recoveries that timed out or were stopped, and deletes their DataSync task and locations',
    environment: {
      USER_TABLE: tables.userTable.tableName,
      HISTORY_TABLE: tables.historyTable.tableName,
      DEAD_LETTER_URL: tables.deadLetters.queueUrl
    },
    timeout: Duration.minutes(1)
  });
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:UpdateItem'],
      resources: [tables.userTable.tableArn]
    })
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:PutItem'],
      resources: [tables.historyTable.tableArn]
    })
  );
  tables.deadLetters.grantSendMessages(fn);
  stateMachine.grantExecution(
    fn,
    'states:DescribeExecution',
    'states:GetExecutionHistory'
  );
  // grantExecution names the executions as execution:<machine name>:*, the name cut from the ARN.
  const machineName = JSON.stringify(
    stack.resolve(Fn.select(6, Fn.split(':', stateMachine.stateMachineArn)))
  );
  Validations.of(fn).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${shown(stack.region, 'AWS::Region')}:${shown(stack.account, 'AWS::AccountId')}:execution:${machineName}:*]`,
    reason:
      'Only the executions of the recovery state machine, whose names are made at run time; the function only describes them and reads their history.'
  });
  const dataSync = (resource: string) =>
    stack.formatArn({ service: 'datasync', resource, resourceName: '*' });
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: [
        'datasync:CancelTaskExecution',
        'datasync:DeleteTask',
        'datasync:DeleteLocation'
      ],
      resources: [dataSync('task'), dataSync('location')]
    })
  );
  for (const kind of ['task', 'location']) {
    Validations.of(fn).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:datasync:${shown(stack.region, 'AWS::Region')}:${shown(stack.account, 'AWS::AccountId')}:${kind}/*]`,
      reason:
        'Each recovery creates its own DataSync task and locations, so only their ARN pattern is known at deploy; the function only cancels and deletes them.'
    });
  }
  const rule = new events.Rule(scope, 'RecoveryStoppedRule', {
    description:
      'Recovery executions that ended TIMED_OUT, ABORTED or FAILED (Step Functions)',
    eventPattern: {
      source: ['aws.states'],
      detailType: ['Step Functions Execution Status Change'],
      detail: {
        stateMachineArn: [stateMachine.stateMachineArn],
        status: STOPPED_STATUSES
      }
    }
  });
  rule.addTarget(
    new targets.LambdaFunction(fn, {
      deadLetterQueue: tables.deadLetters,
      retryAttempts: 4
    })
  );
  new cloudwatch.Alarm(scope, 'RecoveryStoppedAlarm', {
    alarmDescription:
      'A home recovery timed out or was stopped: see the FAILED rows in studioUser and the dead-letter queue.',
    metric: new cloudwatch.MathExpression({
      expression: 'timedOut + aborted',
      usingMetrics: {
        timedOut: stateMachine.metricTimedOut(),
        aborted: stateMachine.metricAborted()
      },
      period: Duration.minutes(5)
    }),
    threshold: 1,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING
  });
  return fn;
}
