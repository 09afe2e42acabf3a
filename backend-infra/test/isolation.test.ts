/**
 * The per-user isolation policy, evaluated: a small evaluator of the synthesized statements (Allow
 * only, as ours are; variables, wildcards, StringLike/StringEquals/Null/ForAllValues) answers
 * whether a session of one user profile may do something to another's snapshots.
 */
import { synthStack } from './synth';

jest.setTimeout(120_000);

const { template } = synthStack();
const [policy] = Object.values(
  template.findResources('AWS::IAM::ManagedPolicy')
);
const BUCKET = 'arn:aws:s3:::backup-bucket';

/** Tokens (Fn::GetAtt of the bucket, table, key) become fixed ARNs for the evaluation. */
function resolve(value: any): string {
  if (typeof value === 'string') {
    return value;
  }
  if (value['Fn::Join']) {
    return value['Fn::Join'][1].map(resolve).join(value['Fn::Join'][0]);
  }
  if (value['Fn::GetAtt']) {
    const [logical] = value['Fn::GetAtt'];
    if (logical.includes('BackupBucket')) return BUCKET;
    if (logical.includes('StudioUserHistory'))
      return 'arn:aws:dynamodb:us-east-1:123456789012:table/history';
    if (logical.includes('RestoreRequests'))
      return 'arn:aws:dynamodb:us-east-1:123456789012:table/requests';
    if (logical.includes('BackupKey'))
      return 'arn:aws:kms:us-east-1:123456789012:key/k';
  }
  if (value.Ref === 'AWS::Partition') return 'aws';
  if (value.Ref === 'AWS::Region') return 'us-east-1';
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

const glob = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`
  ).test(value);

interface IRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[] | undefined>;
}

function allowed(request: IRequest): boolean {
  const vars = (s: string) =>
    s.replace(
      /\$\{aws:SourceIdentity\}/g,
      String(request.context['aws:SourceIdentity'] ?? '\u0000')
    );
  return policy.Properties.PolicyDocument.Statement.some((st: any) => {
    const actions: string[] = [].concat(st.Action);
    const resources: string[] = [].concat(st.Resource).map(resolve).map(vars);
    if (!actions.some(a => glob(a, request.action))) return false;
    if (!resources.some(r => glob(r, request.resource))) return false;
    for (const [operator, tests] of Object.entries<any>(st.Condition ?? {})) {
      for (const [key, expected] of Object.entries<any>(tests)) {
        const actual = request.context[key];
        const wanted: string[] = []
          .concat(expected)
          .map((e: any) => vars(resolve(e)));
        if (operator === 'Null') {
          if ((actual === undefined) !== (expected === 'true')) return false;
        } else if (operator === 'StringLike') {
          if (
            actual === undefined ||
            !wanted.some(w => glob(w, String(actual)))
          )
            return false;
        } else if (operator === 'StringEquals') {
          if (actual === undefined || !wanted.includes(String(actual)))
            return false;
        } else if (operator === 'ForAllValues:StringEquals') {
          if (
            ![]
              .concat((actual as any) ?? [])
              .every((v: string) => wanted.includes(v))
          )
            return false;
        } else {
          throw new Error(`operator ${operator} not evaluated here`);
        }
      }
    }
    return true;
  });
}

const as = (identity: string | undefined) => ({
  'aws:SourceIdentity': identity
});

describe('per-user isolation (sts:SourceIdentity)', () => {
  it('lets alice read and write her own snapshots', () => {
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
      expect(
        allowed({
          action,
          resource: `${BUCKET}/studio-backups/alice/space-1/packs/ab/cd`,
          context: as('alice')
        })
      ).toBe(true);
    }
    expect(
      allowed({
        action: 's3:ListBucket',
        resource: BUCKET,
        context: {
          ...as('alice'),
          's3:prefix': 'studio-backups/alice/space-1/'
        }
      })
    ).toBe(true);
  });

  it("refuses alice bob's snapshots, their listing, and a prefix that only starts like hers", () => {
    expect(
      allowed({
        action: 's3:GetObject',
        resource: `${BUCKET}/studio-backups/bob/s/config`,
        context: as('alice')
      })
    ).toBe(false);
    expect(
      allowed({
        action: 's3:PutObject',
        resource: `${BUCKET}/studio-backups/alice2/s/x`,
        context: as('alice')
      })
    ).toBe(false);
    expect(
      allowed({
        action: 's3:ListBucket',
        resource: BUCKET,
        context: { ...as('alice'), 's3:prefix': 'studio-backups/bob/' }
      })
    ).toBe(false);
    expect(
      allowed({
        action: 's3:ListBucket',
        resource: BUCKET,
        context: { ...as('alice'), 's3:prefix': '' }
      })
    ).toBe(false);
  });

  it('refuses a session without a source identity (domain not set to USER_PROFILE_NAME)', () => {
    expect(
      allowed({
        action: 's3:GetObject',
        resource: `${BUCKET}/studio-backups/alice/s/x`,
        context: as(undefined)
      })
    ).toBe(false);
  });

  it('lets every session read the staged agent and panel, nothing else outside its folder', () => {
    expect(
      allowed({
        action: 's3:GetObject',
        resource: `${BUCKET}/artifacts/studio-backup.js`,
        context: as('bob')
      })
    ).toBe(true);
    expect(
      allowed({
        action: 's3:PutObject',
        resource: `${BUCKET}/artifacts/studio-backup.js`,
        context: as('bob')
      })
    ).toBe(false);
  });

  it('limits restore requests to rows keyed by the own user profile (dynamodb:LeadingKeys)', () => {
    const table = 'arn:aws:dynamodb:us-east-1:123456789012:table/requests';
    expect(
      allowed({
        action: 'dynamodb:PutItem',
        resource: table,
        context: { ...as('alice'), 'dynamodb:LeadingKeys': ['alice'] }
      })
    ).toBe(true);
    expect(
      allowed({
        action: 'dynamodb:PutItem',
        resource: table,
        context: { ...as('alice'), 'dynamodb:LeadingKeys': ['bob'] }
      })
    ).toBe(false);
    expect(
      allowed({
        action: 'dynamodb:DeleteItem',
        resource: table,
        context: { ...as('alice'), 'dynamodb:LeadingKeys': ['alice'] }
      })
    ).toBe(false);
  });

  it("never lets a user write a request's state: approving one's own recovery of another home is refused", () => {
    const table = 'arn:aws:dynamodb:us-east-1:123456789012:table/requests';
    const put = (attributes: string[]) =>
      allowed({
        action: 'dynamodb:PutItem',
        resource: table,
        context: {
          ...as('alice'),
          'dynamodb:LeadingKeys': ['alice'],
          'dynamodb:Attributes': attributes
        }
      });
    // What the agent writes (lcc/src/agent/backend.ts).
    const filed = [
      'user_profile_name',
      'request_id',
      'kind',
      'from_profile',
      'domain_id',
      'space_name',
      'created'
    ];
    expect(put(filed)).toBe(true);
    expect(put([...filed, 'state'])).toBe(false);
    expect(put([...filed, 'message'])).toBe(false);
  });

  it('lets a user read only their own recovery history', () => {
    const table = 'arn:aws:dynamodb:us-east-1:123456789012:table/history';
    const query = (keys: string[]) =>
      allowed({
        action: 'dynamodb:Query',
        resource: table,
        context: { ...as('alice'), 'dynamodb:LeadingKeys': keys }
      });
    expect(query(['alice'])).toBe(true);
    expect(query(['bob'])).toBe(false);
    expect(
      allowed({
        action: 'dynamodb:PutItem',
        resource: table,
        context: { ...as('alice'), 'dynamodb:LeadingKeys': ['alice'] }
      })
    ).toBe(false);
  });
});
