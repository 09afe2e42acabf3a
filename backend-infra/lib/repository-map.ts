/**
 * A state machine that works on every repository of the bucket: a Lambda lists them into a JSON
 * file (lambda/list-repositories.ts), a DISTRIBUTED map reads it and runs a worker Lambda on each;
 * an item that fails after its retries goes to the dead-letter queue and the run goes on; a run
 * that cannot list or map fails into the queue too. Maintenance (forget + prune) and migration
 * (import of the reference LCC's copies) are both this machine with another worker.
 */
import { Duration, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RUNS_PREFIX } from '../core/bucket-layout';
import { stateMachineLogging } from './functions';

export interface IRepositoryMapProps {
  readonly bucket: s3.IBucket;
  readonly key: kms.IKey;
  readonly lister: NodejsFunction;
  readonly worker: NodejsFunction;
  readonly deadLetters: sqs.IQueue;
  readonly maxConcurrency: number;
  /** More fields of each item than its `prefix`, as JSONPaths into the execution's input. */
  readonly itemFields?: Record<string, string>;
  /** Errors of the worker that happen again if retried: straight to the queue. */
  readonly noRetry?: string[];
  readonly names: {
    /** The worker's state, the last state, the whole machine. */
    work: string;
    done: string;
    machine: string;
    failError: string;
    failCause: string;
  };
  readonly timeout: Duration;
}

export function repositoryMapMachine(
  scope: Construct,
  props: IRepositoryMapProps
): sfn.StateMachine {
  const toDeadLetters = (id: string) =>
    new tasks.SqsSendMessage(scope, id, {
      queue: props.deadLetters,
      messageBody: sfn.TaskInput.fromJsonPathAt('$'),
      resultPath: sfn.JsonPath.DISCARD
    });

  const list = new tasks.LambdaInvoke(scope, 'List', {
    lambdaFunction: props.lister,
    payload: sfn.TaskInput.fromObject({
      run: sfn.JsonPath.stringAt('$$.Execution.Name')
    }),
    payloadResponseOnly: true,
    resultPath: '$.list'
  });
  list.addRetry({
    errors: ['States.TaskFailed'],
    interval: Duration.seconds(30),
    backoffRate: 2,
    maxAttempts: 2
  });

  const work = new tasks.LambdaInvoke(scope, props.names.work, {
    lambdaFunction: props.worker,
    payloadResponseOnly: true,
    retryOnServiceExceptions: true
  });
  if (props.noRetry?.length) {
    work.addRetry({ errors: props.noRetry, maxAttempts: 0 });
  }
  work.addRetry({
    errors: ['States.ALL'],
    interval: Duration.seconds(30),
    backoffRate: 2,
    maxAttempts: 2
  });
  work.addCatch(
    toDeadLetters('RepositoryToDeadLetters').next(
      new sfn.Pass(scope, 'RepositoryFailed')
    ),
    { resultPath: '$.error' }
  );

  const map = new sfn.DistributedMap(scope, 'EveryRepository', {
    itemReader: new sfn.S3JsonItemReader({
      bucket: props.bucket,
      key: sfn.JsonPath.stringAt('$.list.key')
    }),
    itemSelector: {
      prefix: sfn.JsonPath.stringAt('$$.Map.Item.Value.prefix'),
      ...Object.fromEntries(
        Object.entries(props.itemFields ?? {}).map(([name, path]) => [
          name,
          sfn.JsonPath.stringAt(path)
        ])
      )
    },
    maxConcurrency: props.maxConcurrency,
    // Each item's results are in its own records; the map's own output would outgrow 256 KiB.
    resultWriterV2: new sfn.ResultWriterV2({
      bucket: props.bucket,
      prefix: `${RUNS_PREFIX}results`
    }),
    resultPath: sfn.JsonPath.DISCARD,
    // Standard, not Express: one repository may take up to the Lambda's 15 minutes.
    mapExecutionType: sfn.StateMachineType.STANDARD
  });
  map.itemProcessor(work);
  const runFailed = toDeadLetters('RunToDeadLetters').next(
    new sfn.Fail(scope, 'RunFailed', {
      error: props.names.failError,
      cause: props.names.failCause
    })
  );
  list.addCatch(runFailed, { resultPath: '$.error' });
  map.addCatch(runFailed, { resultPath: '$.error' });

  const machine = new sfn.StateMachine(scope, props.names.machine, {
    definitionBody: sfn.DefinitionBody.fromChainable(
      list.next(map).next(new sfn.Succeed(scope, props.names.done))
    ),
    timeout: props.timeout,
    ...stateMachineLogging(scope)
  });
  // The run's list and the map's result files are encrypted with the bucket's key.
  props.key.grantEncryptDecrypt(machine);
  return machine;
}

/** cdk-nag's findings on such a machine's role, each with its reason. */
export function acknowledgeRepositoryMap(
  machine: sfn.StateMachine,
  lister: NodejsFunction,
  worker: NodejsFunction,
  bucketId: string,
  reasons: { work: string }
): void {
  const stack = Stack.of(machine);
  const shown = (value: string, pseudo: string) =>
    Token.isUnresolved(value) ? `<${pseudo}>` : value;
  const name = JSON.stringify(
    stack.resolve(Fn.select(6, Fn.split(':', machine.stateMachineArn)))
  );
  const execution = `arn:<AWS::Partition>:states:${shown(stack.region, 'AWS::Region')}:${shown(stack.account, 'AWS::AccountId')}:execution:${name}`;
  const fnId = (fn: NodejsFunction) =>
    stack.resolve((fn.node.defaultChild as lambda.CfnFunction).logicalId);
  const all: Record<string, string> = {
    '*': 'X-Ray tracing, the delivery of execution logs and ListBucket for the item reader have no narrower resource.',
    [`${execution}:*`]:
      "The distributed map's child executions are named at run time.",
    [`${execution}/*:*`]:
      "The distributed map's child executions are named at run time.",
    [`arn:<AWS::Partition>:s3:::<${bucketId}>/*`]:
      "The item reader reads the run's list and the result writer writes the map's results, under keys named at run time.",
    [`<${fnId(worker)}.Arn>:*`]: reasons.work,
    [`<${fnId(lister)}.Arn>:*`]:
      'Invoking the listing function includes its versions, as CDK grants it.',
    'Action::kms:GenerateDataKey*':
      'What CDK grants for SSE-KMS reads and writes.',
    'Action::kms:ReEncrypt*': 'What CDK grants for SSE-KMS reads and writes.'
  };
  for (const [resource, reason] of Object.entries(all)) {
    Validations.of(machine).acknowledge({
      id: resource.startsWith('Action::')
        ? `AwsSolutions::AwsSolutions-IAM5[${resource}]`
        : `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`,
      reason
    });
  }
}
