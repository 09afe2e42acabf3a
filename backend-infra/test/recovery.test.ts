import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { DATASYNC_OPTIONS } from '../lib/recovery';
import { stateMachineDefinition, successors, synthStack } from './synth';

jest.setTimeout(120_000);

const { stack, template } = synthStack({
  subnetArn: 'arn:aws:ec2:us-east-1:123456789012:subnet/subnet-1',
  securityGroupArn: 'arn:aws:ec2:us-east-1:123456789012:security-group/sg-1'
});
const definition = stateMachineDefinition(template);
const states = definition.States;

describe('studioUser tables (as the reference sample)', () => {
  it('keys studioUser by profile_name and domain_name with a NEW_AND_OLD_IMAGES stream', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'profile_name', KeyType: 'HASH' },
        { AttributeName: 'domain_name', KeyType: 'RANGE' }
      ],
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }
    });
  });

  it('keys studioUserHistory by profile_name and epoctime (a number)', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'profile_name', KeyType: 'HASH' },
        { AttributeName: 'epoctime', KeyType: 'RANGE' }
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'epoctime', AttributeType: 'N' }
      ])
    });
  });
});

describe('events', () => {
  it('hears CreateUserProfile, CreateSpace and CreateDomain from CloudTrail', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['sagemaker.amazonaws.com'],
          eventName: ['CreateUserProfile', 'CreateSpace', 'CreateDomain']
        }
      }
    });
  });

  it("lets the studio-events Lambda file a mapped profile's space request: PutItem on the requests table, nothing more there", () => {
    const fns = template.findResources('AWS::Lambda::Function', {
      Properties: {
        Description: Match.stringLikeRegexp('^Records the EFS home')
      }
    });
    const [fn] = Object.values(fns) as any[];
    const requests = Object.keys(
      template.findResources('AWS::DynamoDB::Table', {
        Properties: {
          KeySchema: Match.arrayWith([
            { AttributeName: 'request_id', KeyType: 'RANGE' }
          ])
        }
      })
    )[0];
    expect(fn.Properties.Environment.Variables.REQUESTS_TABLE).toEqual({
      Ref: requests
    });
    const role = fn.Properties.Role['Fn::GetAtt'][0];
    const onRequests = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === role))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) =>
        JSON.stringify(st.Resource).includes(`"${requests}"`)
      );
    expect(onRequests).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: { 'Fn::GetAtt': [requests, 'Arn'] }
      }
    ]);
  });

  it('feeds only MODIFY stream records to the trigger, with a dead-letter queue on failure', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FilterCriteria: {
        Filters: [{ Pattern: JSON.stringify({ eventName: ['MODIFY'] }) }]
      },
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } }
    });
  });

  it('has a dashboard of recoveries, dead letters and Lambda errors', () => {
    const [dashboard] = Object.values(
      template.findResources('AWS::CloudWatch::Dashboard')
    );
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const title of [
      'Home recoveries',
      'Failed events (dead-letter queue)',
      'Lambda errors',
      'Restore requests',
      'Request Lambda errors'
    ]) {
      expect(body).toContain(title);
    }
  });

  it('alarms on failed recoveries, failed requests and on the dead-letter queue', () => {
    const failedExecutions = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { MetricName: 'ExecutionsFailed' }
      })
    ).map(a => JSON.stringify(a.Properties.Dimensions));
    expect(failedExecutions).toHaveLength(3);
    expect(failedExecutions.some(d => d.includes('Maintenance'))).toBe(true);
    expect(failedExecutions.some(d => d.includes('RecoverHome'))).toBe(true);
    expect(failedExecutions.some(d => d.includes('ProcessRequest'))).toBe(true);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible'
    });
  });
});

describe('the recovery state machine', () => {
  it('creates the DataSync task with the reference options and a log group', () => {
    expect(states.CreateTask.Parameters.Options).toEqual(DATASYNC_OPTIONS);
    expect(states.CreateTask.Resource).toBe(
      'arn:aws:states:::aws-sdk:datasync:createTask'
    );
    expect(states['CreateLocation-source'].Parameters['Subdirectory.$']).toBe(
      "States.Format('/{}', $.source.efs_uid)"
    );
  });

  it('waits until the target app is InService before copying', () => {
    expect(states['ListApps-user'].ResultSelector).toEqual({
      'inService.$': "$.Apps[?(@.Status == 'InService')]"
    });
    expect(states['AppInService?'].Default).toBe('WaitForApp');
    expect(states.WaitForApp.Seconds).toBe(300);
  });

  it('retries throttled DataSync calls with backoff', () => {
    for (const name of [
      'CreateTask',
      'StartTaskExecution',
      'DescribeTaskExecution'
    ]) {
      expect(states[name].Retry).toEqual([
        expect.objectContaining({
          ErrorEquals: expect.arrayContaining(['DataSync.ThrottlingException']),
          IntervalSeconds: 10,
          BackoffRate: 2
        })
      ]);
    }
  });

  it('deletes the task and both locations on every path after the task is created', () => {
    // Walk every path from CreateTask to an end state; each must pass the three guarded deletes in order.
    const ends = (name: string) =>
      ['Succeed', 'Fail'].includes(states[name].Type) || states[name].End;
    const guards = [
      'DeleteTask?',
      'DeleteLocation-source?',
      'DeleteLocation-target?'
    ];
    let paths = 0;
    const walk = (name: string, seen: string[]) => {
      if (seen.includes(name)) {
        return; // the polling loop
      }
      const path = [...seen, name];
      if (ends(name)) {
        paths++;
        const at = guards.map(step => path.indexOf(step));
        expect({ path, all: at.every(i => i >= 0) }).toEqual({
          path,
          all: true
        });
        expect(at).toEqual([...at].sort((a, b) => a - b));
        return;
      }
      for (const next of successors(states[name])) {
        walk(next, path);
      }
    };
    walk('CreateTask', []);
    expect(paths).toBeGreaterThan(3);
    // Each guard deletes when the resource exists, and a failed delete moves on.
    for (const [guard, field] of [
      ['DeleteTask?', '$.task.TaskArn'],
      ['DeleteLocation-source?', '$.locations.source.LocationArn'],
      ['DeleteLocation-target?', '$.locations.target.LocationArn']
    ]) {
      const [when] = states[guard].Choices;
      expect(when).toEqual({
        Variable: field,
        IsPresent: true,
        Next: guard.slice(0, -1)
      });
      const remove = states[guard.slice(0, -1)];
      expect(remove.Catch[0].Next).toBe(remove.Next);
    }
  });

  it('records a failure on the row, in the history and in the dead-letter queue', () => {
    for (const name of [
      'CreateLocation-source',
      'CreateLocation-target',
      'CreateTask',
      'StartTaskExecution',
      'DescribeTaskExecution',
      'ListApps-user',
      'ListApps-space'
    ]) {
      expect(states[name].Catch).toEqual([
        expect.objectContaining({
          ErrorEquals: ['States.ALL'],
          Next: 'RecordFailure'
        })
      ]);
    }
    expect(
      states.RecordFailure.Parameters.ExpressionAttributeValues[':s']
    ).toEqual({
      S: 'FAILED'
    });
    expect(states.RecordFailure.Next).toBe('HistoryFailure');
    expect(states.HistoryFailure.Next).toBe('SendToDeadLetters');
  });

  it('records bytes, files, duration and status on success', () => {
    expect(states.RecordSuccess.Parameters.UpdateExpression).toBe(
      'SET bytes_written = :bw, bytes_file_transferred = :bf, total_duration_ms = :d, replication_status = :s'
    );
    expect(states.RecordSuccess.Next).toBe('HistorySuccess');
  });
});

it('synthesizes without warnings (a warning is a setting CDK ignores)', () => {
  expect(
    Annotations.fromStack(stack)
      .findWarning('*', Match.anyValue())
      .map(w => `${w.id}: ${JSON.stringify(w.entry.data)}`)
  ).toEqual([]);
});
