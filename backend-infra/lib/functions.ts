/** What every Lambda function of the backend shares: runtime, architecture, bundling, log rights. */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export const FUNCTION_DEFAULTS = {
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
  bundling: { minify: true, externalModules: [] as string[] }
};

/** The one managed policy Lambda functions get: writing their own CloudWatch logs. */
export function acknowledgeLambdaBasics(fn: lambda.IFunction): void {
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch Logs; a hand-written copy would say the same.'
  });
}

/** What every state machine of the backend logs: all events, without execution data, kept 3 months. */
export function stateMachineLogging(scope: Construct) {
  return {
    tracingEnabled: true,
    logs: {
      destination: new logs.LogGroup(scope, 'Logs', {
        retention: logs.RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.DESTROY
      }),
      level: sfn.LogLevel.ALL,
      includeExecutionData: false
    }
  };
}
