/**
 * IAM least privilege over the whole template: no action wildcard like "s3:*" or "*", and a
 * statement on Resource "*" only for actions that have no resource-level permissions (or whose
 * resources only exist at run time), each listed here with the reason.
 */
import { synthStack } from './synth';

jest.setTimeout(120_000);

const ON_ANY_RESOURCE: Record<string, string> = {
  'dynamodb:ListStreams': 'no resource-level permissions',
  'xray:PutTraceSegments':
    'X-Ray tracing of the state machine; no resource-level permissions',
  'xray:PutTelemetryRecords': 'same',
  'xray:GetSamplingRules': 'same',
  'xray:GetSamplingTargets': 'same',
  'logs:CreateLogDelivery':
    'Step Functions log delivery; no resource-level permissions',
  'logs:GetLogDelivery': 'same',
  'logs:UpdateLogDelivery': 'same',
  'logs:DeleteLogDelivery': 'same',
  'logs:ListLogDeliveries': 'same',
  'logs:PutResourcePolicy': 'same',
  'logs:DescribeResourcePolicies': 'same',
  'logs:DescribeLogGroups': 'same',
  'sagemaker:ListApps': 'no resource-level permissions',
  'sagemaker:ListDomains': 'no resource-level permissions',
  'sagemaker:ListUserProfiles': 'no resource-level permissions',
  'sagemaker:ListSpaces': 'no resource-level permissions',
  'sagemaker:DescribeDomain': 'seeding describes every domain of the account',
  'sagemaker:DescribeUserProfile':
    'seeding describes every profile of the account',
  'sagemaker:DescribeSpace': 'seeding describes every space of the account',
  'datasync:CreateLocationEfs':
    'locations and tasks are created during each run',
  'ec2:DescribeNetworkInterfaces':
    'DataSync creates its network interfaces in the subnet; EC2 Describe has no resource-level permissions',
  'ec2:CreateNetworkInterface': 'same',
  'ec2:DeleteNetworkInterface': 'same',
  'ec2:DescribeSubnets': 'same',
  'ec2:DescribeSecurityGroups': 'same',
  'elasticfilesystem:DescribeFileSystems':
    'the file systems are named by the recovery input',
  'elasticfilesystem:DescribeMountTargets': 'same'
};

// IAM action names are case-insensitive (CDK writes service-integration actions in camelCase).
const EXPLAINED = Object.fromEntries(
  Object.entries(ON_ANY_RESOURCE).map(([a, why]) => [a.toLowerCase(), why])
);

const { template } = synthStack();

function statements() {
  const out: Array<{ where: string; actions: string[]; resources: unknown[] }> =
    [];
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, policy] of Object.entries(template.findResources(type))) {
      for (const st of policy.Properties.PolicyDocument.Statement) {
        if (st.Effect !== 'Allow') continue;
        out.push({
          where: id,
          actions: [].concat(st.Action),
          resources: [].concat(st.Resource)
        });
      }
    }
  }
  return out;
}

it('grants no action wildcard', () => {
  const wild = statements().flatMap(s =>
    s.actions
      .filter(a => a === '*' || a.endsWith(':*'))
      .map(a => `${s.where}: ${a}`)
  );
  expect(wild).toEqual([]);
});

it('uses Resource "*" only for the actions listed with their reason', () => {
  const unexplained = statements()
    .filter(s => s.resources.includes('*'))
    .flatMap(s =>
      s.actions
        .filter(a => !(a.toLowerCase() in EXPLAINED))
        .map(a => `${s.where}: ${a}`)
    );
  expect(unexplained).toEqual([]);
});
