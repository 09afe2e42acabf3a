/** What an operator watches of the recoveries: a dashboard, and alarms on every way one is lost. */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface IRecoveryMonitoringProps {
  readonly stateMachine: sfn.StateMachine;
  readonly deadLetters: sqs.IQueue;
  readonly functions: lambda.IFunction[];
}

const breachedOnce = {
  threshold: 1,
  evaluationPeriods: 1,
  treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING
};

export function monitorRecoveries(
  scope: Construct,
  props: IRecoveryMonitoringProps
): cloudwatch.Dashboard {
  const { stateMachine, deadLetters } = props;
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: `${Stack.of(scope).stackName}-recovery`,
    defaultInterval: Duration.days(7)
  });
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Home recoveries',
      left: [
        stateMachine.metricStarted(),
        stateMachine.metricSucceeded(),
        stateMachine.metricFailed()
      ]
    }),
    new cloudwatch.GraphWidget({
      title: 'Failed events (dead-letter queue)',
      left: [deadLetters.metricApproximateNumberOfMessagesVisible()]
    }),
    new cloudwatch.GraphWidget({
      title: 'Lambda errors',
      left: props.functions.map(fn => fn.metricErrors())
    })
  );

  new cloudwatch.Alarm(scope, 'RecoveryFailedAlarm', {
    alarmDescription:
      'A home recovery failed: see the FAILED rows in studioUser and the dead-letter queue.',
    metric: stateMachine.metricFailed({ period: Duration.minutes(5) }),
    ...breachedOnce
  });
  new cloudwatch.Alarm(scope, 'DeadLetterAlarm', {
    alarmDescription: 'Studio Backup recovery events could not be processed.',
    metric: deadLetters.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(5)
    }),
    ...breachedOnce
  });
  return dashboard;
}
