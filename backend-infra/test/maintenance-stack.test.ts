/**
 * The maintenance state machine as synthesized. moto's Step Functions cannot run a distributed map
 * (no ItemReader, no child executions, no ResultWriter), Lambda tasks, EventBridge Scheduler or
 * CloudWatch alarms, so these are asserted on the template: the map's type, reader, concurrency and
 * writer; the retries and the catch to the dead-letter queue; the schedule; the alarms; the role.
 * The Lambdas themselves run on moto in maintenance.test.ts.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { stateMachine, stateMachineDefinition, synthStack } from './synth';

const { template } = synthStack({
  maintenanceSchedule: 'cron(30 2 * * ? *)',
  maintenanceConcurrency: '25'
});
const definition = stateMachineDefinition(template, 'Maintenance');
const map = definition.States.EveryRepository;
const item = map.ItemProcessor.States.Maintain;

test('a distributed map over the listed repositories, at the configured concurrency, no batching', () => {
  expect(definition.StartAt).toBe('List');
  expect(definition.States.List.Next).toBe('EveryRepository');
  expect(map.Type).toBe('Map');
  expect(map.ItemProcessor.ProcessorConfig).toEqual({
    Mode: 'DISTRIBUTED',
    ExecutionType: 'STANDARD'
  });
  expect(map.MaxConcurrency).toBe(25);
  expect(map.ItemBatcher).toBeUndefined();
  expect(map.ItemReader).toMatchObject({
    Resource: 'arn:aws:states:::s3:getObject',
    ReaderConfig: { InputType: 'JSON' },
    Parameters: { 'Key.$': '$.list.key' }
  });
  expect(map.ItemSelector).toEqual({ 'prefix.$': '$$.Map.Item.Value.prefix' });
  expect(map.ResultWriter.Parameters.Prefix).toBe('maintenance/runs/results');
});

test('each repository: no retry of a stopped prune, two retries of anything else, then the dead-letter queue', () => {
  const retries = item.Retry.map((r: any) => [r.ErrorEquals, r.MaxAttempts]);
  expect(retries).toContainEqual([['PruneStopped'], 0]);
  expect(retries).toContainEqual([['States.ALL'], 2]);
  // Retriers apply in order: the stopped prune's must come before the catch-all.
  expect(
    retries.findIndex((r: any) => r[0][0] === 'PruneStopped')
  ).toBeLessThan(retries.findIndex((r: any) => r[0][0] === 'States.ALL'));
  expect(item.Catch).toEqual([
    {
      ErrorEquals: ['States.ALL'],
      ResultPath: '$.error',
      Next: 'RepositoryToDeadLetters'
    }
  ]);
  const toQueue = map.ItemProcessor.States.RepositoryToDeadLetters;
  expect(toQueue.Resource).toBe('arn:aws:states:::sqs:sendMessage');
  expect(toQueue.Parameters['MessageBody.$']).toBe('$');
  // A failed listing or map also ends in the queue, then fails the run (the run alarm).
  for (const state of ['List', 'EveryRepository']) {
    expect(definition.States[state].Catch[0].Next).toBe('RunToDeadLetters');
  }
  expect(definition.States.RunToDeadLetters.Next).toBe('RunFailed');
});

test('started by EventBridge Scheduler on the configured schedule, alarms on the queue and on failed runs', () => {
  const machineId = Object.keys(
    template.findResources('AWS::StepFunctions::StateMachine')
  ).find(id => id.includes('Maintenance'))!;
  expect(stateMachine(template, 'Maintenance')).toBeDefined();
  template.hasResourceProperties('AWS::Scheduler::Schedule', {
    ScheduleExpression: 'cron(30 2 * * ? *)',
    Target: Match.objectLike({ Arn: { Ref: machineId } })
  });
  const alarms = Object.values(
    template.findResources('AWS::CloudWatch::Alarm')
  ).map((a: any) => a.Properties);
  const dlq = Object.keys(template.findResources('AWS::SQS::Queue')).find(id =>
    id.includes('FailedMaintenance')
  );
  expect(
    alarms.some(
      a =>
        a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
        a.Dimensions[0].Value['Fn::GetAtt'][0] === dlq &&
        a.Threshold === 1
    )
  ).toBe(true);
  expect(
    alarms.some(
      a =>
        a.MetricName === 'ExecutionsFailed' &&
        a.Dimensions[0].Value.Ref === machineId
    )
  ).toBe(true);
});

test('the maintenance function: 15 minutes, 1 GB, its tables, and delete only under the backups prefix', () => {
  const fns = template.findResources('AWS::Lambda::Function', {
    Properties: { Description: Match.stringLikeRegexp('^Forgets and prunes') }
  });
  const [fnId, fn] = Object.entries(fns)[0] as [string, any];
  expect(fn.Properties).toMatchObject({ Timeout: 900, MemorySize: 1024 });
  expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual([
    'BACKUP_BUCKET',
    'BACKUP_PREFIX',
    'RESULTS_TABLE',
    'RETENTION_TABLE'
  ]);
  const role = fn.Properties.Role['Fn::GetAtt'][0];
  const statements = Object.values(
    template.findResources('AWS::IAM::Policy')
  ).flatMap((p: any) =>
    p.Properties.Roles.some((r: any) => r.Ref === role)
      ? p.Properties.PolicyDocument.Statement
      : []
  );
  const deletes = statements.filter((s: any) =>
    [s.Action].flat().includes('s3:DeleteObject')
  );
  expect(deletes).toHaveLength(1);
  expect(JSON.stringify(deletes[0].Resource)).toContain('/studio-backups/*');
  expect(fnId).toContain('Maintainer');
});
