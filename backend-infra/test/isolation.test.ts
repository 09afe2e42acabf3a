/**
 * Who may do what to the backup bucket, its key and the request tables, decided by a maintained IAM
 * policy simulator (@cloud-copilot/iam-simulate: identity and resource policies together, explicit
 * denies, policy variables, condition keys) over the synthesized template: the isolation policy of
 * the Studio execution role, the bucket policy, the key policy and the backend roles' own policies.
 * The table below is every AWS call the agent, on-start.sh, the install step and the backend make,
 * and what an attacker holding a user's session would try; each statement of the four documents
 * (those three, and the policy `studio-backup-admin roles create` puts on a profile's own role) is
 * then dropped and flipped in turn, and each change must change some row of the table.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { profilePolicy } from '../admin/profile-roles';
import { PROFILE_ROLE_PREFIX, PROFILE_TAG } from '../core/isolation-statements';
import { synthStack } from './synth';

jest.setTimeout(180_000);

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const BUCKET_NAME = 'backup-bucket';
const BUCKET = `arn:aws:s3:::${BUCKET_NAME}`;
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/backup-key`;
const STUDIO_ROLE = `arn:aws:iam::${ACCOUNT}:role/AmazonSageMaker-ExecutionRole`;
const PREFIX = 'studio-backups';
const ALICE = `${PREFIX}/alice/space-1`;

type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';
type Document = { Version: string; Statement: any[] };

const { template } = synthStack({ studioExecutionRoleArns: STUDIO_ROLE });
const resources: Record<string, any> = template.toJSON().Resources;

/** Tokens (Fn::GetAtt, Ref, Fn::Join, Fn::Select, Fn::Split) become fixed names and ARNs. */
function resolve(value: any): any {
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== 'object') return value;
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'];
    return resolve(parts).join(separator);
  }
  if ('Fn::Select' in value) {
    const [index, list] = value['Fn::Select'];
    return resolve(list)[index];
  }
  if ('Fn::Split' in value) {
    const [separator, text] = value['Fn::Split'];
    return resolve(text).split(separator);
  }
  if ('Fn::GetAtt' in value) {
    const [id, attribute] = value['Fn::GetAtt'];
    if (attribute !== 'Arn')
      throw new Error(`cannot resolve ${id}.${attribute}`);
    return arnOf(id);
  }
  if ('Ref' in value) {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com'
    };
    if (pseudo[value.Ref]) return pseudo[value.Ref];
    const type = resources[value.Ref]?.Type;
    if (type === 'AWS::StepFunctions::StateMachine') return arnOf(value.Ref);
    if (type === 'AWS::S3::Bucket') return arnOf(value.Ref).split(':::')[1];
    if (type) return value.Ref; // a role's or a table's name
    throw new Error(`cannot resolve Ref ${value.Ref}`);
  }
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, resolve(v)])
  );
}

function arnOf(id: string): string {
  const type = resources[id]?.Type;
  switch (type) {
    case 'AWS::S3::Bucket':
      return id.includes('BackupBucket')
        ? BUCKET
        : `arn:aws:s3:::${id.toLowerCase()}`;
    case 'AWS::KMS::Key':
      return KEY;
    case 'AWS::DynamoDB::Table':
      return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${ACCOUNT}:role/${id}`;
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}`;
    case 'AWS::SQS::Queue':
      return `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`;
    case 'AWS::Logs::LogGroup':
      return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${id}:*`;
    default:
      throw new Error(`cannot resolve the ARN of ${id} (${type})`);
  }
}

/** The one resource of a type whose logical id contains `part`. */
function resourceId(type: string, part: string): string {
  const ids = Object.keys(resources).filter(
    id => resources[id].Type === type && id.includes(part)
  );
  if (ids.length !== 1)
    throw new Error(`${ids.length} ${type} named like ${part}`);
  return ids[0];
}

const isolationPolicy: Document = resolve(
  resources[resourceId('AWS::IAM::ManagedPolicy', 'UserIsolation')].Properties
    .PolicyDocument
);
const bucketPolicy: Document = resolve(
  resources[resourceId('AWS::S3::BucketPolicy', 'BackupBucket')].Properties
    .PolicyDocument
);
const keyPolicy: Document = resolve(
  resources[resourceId('AWS::KMS::Key', 'BackupKey')].Properties.KeyPolicy
);

/** Every inline policy CDK attached to a backend role. */
function rolePolicies(part: string): Document[] {
  const role = resourceId('AWS::IAM::Role', part);
  return Object.values(resources)
    .filter(
      r =>
        r.Type === 'AWS::IAM::Policy' &&
        r.Properties.Roles.some((ref: any) => ref.Ref === role)
    )
    .map(r => resolve(r.Properties.PolicyDocument));
}

const EVERYTHING: Document = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }]
};

interface IDocuments {
  isolation: Document;
  bucket: Document;
  key: Document;
  /** alice's own execution role's policy (the second isolation mode, no source identity). */
  profile: Document;
}

interface ISession {
  roleArn: string;
  sourceIdentity?: string;
  /** The role's studio-backup-profile tag (a profile's own role). */
  profileTag?: string;
  /** The identity policies, given the (possibly mutated) synthesized documents. */
  policies(docs: IDocuments): Document[];
}

const studio = (
  sourceIdentity: string | undefined,
  broad = false
): ISession => ({
  roleArn: STUDIO_ROLE,
  sourceIdentity,
  policies: docs => (broad ? [docs.isolation, EVERYTHING] : [docs.isolation])
});
const backend = (part: string): ISession => {
  const policies = rolePolicies(part);
  return {
    roleArn: arnOf(resourceId('AWS::IAM::Role', part)),
    policies: () => policies
  };
};

/** A profile's own execution role, as `studio-backup-admin roles create` makes it (tagged with it). */
const ownRole = (profile: string, broad = false, tagged = true): ISession => ({
  roleArn: `arn:aws:iam::${ACCOUNT}:role/${PROFILE_ROLE_PREFIX}${profile}`,
  profileTag: tagged ? profile : undefined,
  policies: docs =>
    tagged
      ? broad
        ? [docs.profile, EVERYTHING]
        : [docs.profile]
      : [EVERYTHING]
});

const SESSIONS: Record<string, ISession> = {
  "alice's own role": ownRole('alice'),
  "alice's own role with AdministratorAccess": ownRole('alice', true),
  'a profile role without its tag, AdministratorAccess': ownRole(
    'carol',
    true,
    false
  ),
  alice: studio('alice'),
  'alice, execution role with AdministratorAccess': studio('alice', true),
  'Studio session without source identity': studio(undefined),
  'Studio session without source identity, AdministratorAccess': studio(
    undefined,
    true
  ),
  admin: {
    roleArn: `arn:aws:iam::${ACCOUNT}:role/Admin`,
    policies: () => [EVERYTHING]
  },
  'backend copy Lambda': backend('CopierServiceRole'),
  'request state machine': backend('ProcessRequestRole'),
  'Studio events Lambda': backend('StudioEventsServiceRole'),
  'maintenance Lambda': backend('MaintainerServiceRole'),
  'maintenance listing Lambda': backend('ListRepositoriesServiceRole'),
  'migration Lambda': backend('MigratorServiceRole'),
  'role of another account': {
    roleArn: 'arn:aws:iam::999999999999:role/Partner',
    policies: () => [EVERYTHING]
  }
};

interface ICall {
  label: string;
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

const object = (key: string) => `${BUCKET}/${key}`;
const get = (key: string): ICall => ({
  label: `GetObject ${key}`,
  action: 's3:GetObject',
  resource: object(key)
});
const head = (key: string): ICall => ({
  ...get(key),
  label: `HeadObject ${key}`
});
/** PutObject and CompleteMultipartUpload create the object; If-None-Match: * makes it write-once. */
const put = (
  key: string,
  ifNoneMatch: boolean,
  label = 'PutObject'
): ICall => ({
  label: `${label}${ifNoneMatch ? ' If-None-Match: *' : ' (unconditional)'} ${key}`,
  action: 's3:PutObject',
  resource: object(key),
  context: {
    's3:ObjectCreationOperation': 'true',
    ...(ifNoneMatch ? { 's3:if-none-match': '*' } : {})
  }
});
const complete = (key: string, ifNoneMatch: boolean) =>
  put(key, ifNoneMatch, 'CompleteMultipartUpload');
/** CreateMultipartUpload, UploadPart and UploadPartCopy create no object and carry no condition. */
const part = (key: string, label = 'UploadPart'): ICall => ({
  label: `${label} ${key}`,
  action: 's3:PutObject',
  resource: object(key),
  context: { 's3:ObjectCreationOperation': 'false' }
});
const copy = (from: string, to: string): ICall => ({
  label: `CopyObject ${from} → ${to}`,
  action: 's3:PutObject',
  resource: object(to),
  context: {
    's3:ObjectCreationOperation': 'true',
    's3:x-amz-copy-source': `${BUCKET_NAME}/${from}`
  }
});
const abort = (key: string): ICall => ({
  label: `AbortMultipartUpload ${key}`,
  action: 's3:AbortMultipartUpload',
  resource: object(key)
});
const remove = (key: string): ICall => ({
  label: `DeleteObject ${key}`,
  action: 's3:DeleteObject',
  resource: object(key)
});
const objectAction = (action: string, key: string): ICall => ({
  label: `${action.split(':')[1]} ${key}`,
  action,
  resource: object(key)
});
const list = (prefix?: string): ICall => ({
  label: `ListObjectsV2 ${prefix === undefined ? '(no prefix)' : `prefix "${prefix}"`}`,
  action: 's3:ListBucket',
  resource: BUCKET,
  context: prefix === undefined ? {} : { 's3:prefix': prefix }
});
const bucketAction = (action: string): ICall => ({
  label: action.split(':')[1],
  action,
  resource: BUCKET
});
const overHttp = (call: ICall): ICall => ({
  ...call,
  label: `${call.label} over plain HTTP`,
  context: { ...call.context, 'aws:SecureTransport': 'false' }
});
const key = (
  action: string,
  through: 'through S3' | 'directly',
  account = ACCOUNT
): ICall => ({
  label: `${action} ${through}`,
  action,
  resource: KEY,
  context: {
    'kms:CallerAccount': account,
    ...(through === 'through S3'
      ? { 'kms:ViaService': `s3.${REGION}.amazonaws.com` }
      : {})
  }
});
const TABLE_IDS = {
  requests: 'RestoreRequestsTable',
  history: 'StudioUserHistory',
  retention: 'MaintenanceRetention',
  results: 'MaintenanceResults'
};
const table = (name: keyof typeof TABLE_IDS) =>
  arnOf(resourceId('AWS::DynamoDB::Table', TABLE_IDS[name]));
/** What the agent writes for a request (lcc/src/agent/backend.ts). */
const FILED = [
  'user_profile_name',
  'request_id',
  'kind',
  'from_profile',
  'domain_id',
  'space_name',
  'created'
];
const putRequest = (owner: string, attributes: string[]): ICall => ({
  label: `PutItem requests row of ${owner} (${attributes.includes('state') ? 'with state' : 'as filed'})`,
  action: 'dynamodb:PutItem',
  resource: table('requests'),
  context: {
    'dynamodb:LeadingKeys': [owner],
    'dynamodb:Attributes': attributes
  }
});
const queryHistory = (owner: string): ICall => ({
  label: `Query history of ${owner}`,
  action: 'dynamodb:Query',
  resource: table('history'),
  context: { 'dynamodb:LeadingKeys': [owner] }
});

const readRetention = (scope: string): ICall => ({
  label: `GetItem retention ${scope}`,
  action: 'dynamodb:GetItem',
  resource: table('retention'),
  context: { 'dynamodb:LeadingKeys': [scope] }
});
const queryRuns = (owner: string): ICall => ({
  label: `Query maintenance runs of ${owner}`,
  action: 'dynamodb:Query',
  resource: table('results'),
  context: { 'dynamodb:LeadingKeys': [owner] }
});

const A = 'Allowed';
const X = 'ExplicitlyDenied';
const I = 'ImplicitlyDenied';
const PACK = `${ALICE}/data/ab/ab12cd`;
const LOCK = `${ALICE}/locks/shared-1f2e`;
const REFERENCE = `${ALICE}/2024-05-01-10-00-00`;
const BOB = `${PREFIX}/bob/space-1`;
const ALICE2 = `${PREFIX}/alice2/space-1`;

/** The expected decision of each call: [who, call, decision]. */
const TABLE: Array<[string, ICall, Decision]> = [
  // The agent and on-start.sh, in alice's space.
  ['alice', get(`${ALICE}/config`), A],
  ['alice', head(PACK), A],
  ['alice', put(PACK, true), A],
  ['alice', put(`${ALICE}/snapshots/5e6f`, true), A],
  ['alice', part(PACK, 'CreateMultipartUpload'), A],
  ['alice', part(PACK), A],
  ['alice', complete(PACK, true), A],
  ['alice', abort(PACK), A],
  ['alice', put(`${ALICE}/locks/exclusive`, true), A],
  ['alice', put(LOCK, false), A],
  ['alice', remove(LOCK), A],
  ['alice', list(`${ALICE}/`), A],
  ['alice', list(`${PREFIX}/alice/`), A],
  ['alice', get(`${REFERENCE}/home/notes.txt`), A],
  ['alice', get('artifacts/studio-backup.js'), A],
  ['alice', list('artifacts/'), A],
  ['alice', list('artifacts/node.tar.gz'), A],
  ['alice', key('kms:GenerateDataKey', 'through S3'), A],
  ['alice', key('kms:Decrypt', 'through S3'), A],
  ['alice', putRequest('alice', FILED), A],
  ['alice', queryHistory('alice'), A],
  // The panel's retention line and last run (GET /maintenance).
  ['alice', readRetention('default'), A],
  ['alice', readRetention('profile#alice'), A],
  ['alice', queryRuns('alice'), A],
  // What a script or ransomware with alice's session cannot do to her history.
  ['alice', put(PACK, false), X],
  ['alice', put(`${ALICE}/config`, false), X],
  ['alice', complete(PACK, false), X],
  ['alice', copy(PACK, `${ALICE}/snapshots/5e6f`), X],
  ['alice', remove(PACK), X],
  ['alice', remove(`${ALICE}/snapshots/5e6f`), X],
  ['alice', remove(`${ALICE}/index/9a8b`), X],
  ['alice', remove(`${ALICE}/config`), X],
  ['alice', remove(`${REFERENCE}/home/locks/run.lock`), X],
  ['alice', put(`${REFERENCE}/home/locks/run.lock`, false), X],
  ['alice', objectAction('s3:DeleteObjectVersion', PACK), X],
  ['alice', objectAction('s3:PutObjectRetention', PACK), X],
  ['alice', objectAction('s3:BypassGovernanceRetention', PACK), X],
  ['alice', objectAction('s3:PutObjectTagging', PACK), X],
  ['alice', bucketAction('s3:PutLifecycleConfiguration'), X],
  ['alice', bucketAction('s3:PutBucketPolicy'), X],
  ['alice', bucketAction('s3:PutBucketVersioning'), X],
  ['alice', bucketAction('s3:ListBucketVersions'), X],
  ['alice', put('artifacts/studio-backup.js', true), X],
  ['alice', key('kms:Decrypt', 'directly'), X],
  ['alice', putRequest('alice', [...FILED, 'state']), I],
  ['alice', putRequest('alice', [...FILED, 'approved_by']), I],
  // alice on bob's repository, and on alice2's, whose name starts like hers.
  ['alice', get(`${BOB}/config`), X],
  ['alice', put(`${BOB}/data/ab/ab12cd`, true), X],
  ['alice', remove(`${BOB}/locks/shared-9c8d`), X],
  ['alice', list(`${PREFIX}/bob/`), X],
  ['alice', get(`${ALICE2}/config`), X],
  ['alice', put(`${ALICE2}/data/ab/ab12cd`, true), X],
  ['alice', list(`${PREFIX}/alice2/`), X],
  ['alice', list(`${PREFIX}/alice`), X],
  ['alice', list(`${PREFIX}/`), X],
  ['alice', list(''), X],
  ['alice', list(), X],
  ['alice', putRequest('bob', FILED), I],
  ['alice', queryHistory('bob'), I],
  ['alice', readRetention('profile#bob'), I],
  ['alice', readRetention('profile#alice2'), I],
  ['alice', queryRuns('bob'), I],
  // The same session on an execution role that allows everything: the bucket and key policies hold.
  ['alice, execution role with AdministratorAccess', get(`${ALICE}/config`), A],
  ['alice, execution role with AdministratorAccess', put(PACK, true), A],
  ['alice, execution role with AdministratorAccess', remove(LOCK), A],
  ['alice, execution role with AdministratorAccess', put(LOCK, false), A],
  ['alice, execution role with AdministratorAccess', put(PACK, false), X],
  ['alice, execution role with AdministratorAccess', remove(PACK), X],
  [
    'alice, execution role with AdministratorAccess',
    remove(`${REFERENCE}/home/locks/run.lock`),
    X
  ],
  [
    'alice, execution role with AdministratorAccess',
    objectAction('s3:DeleteObjectVersion', PACK),
    X
  ],
  [
    'alice, execution role with AdministratorAccess',
    bucketAction('s3:PutBucketPolicy'),
    X
  ],
  [
    'alice, execution role with AdministratorAccess',
    bucketAction('s3:PutLifecycleConfiguration'),
    X
  ],
  ['alice, execution role with AdministratorAccess', get(`${BOB}/config`), X],
  [
    'alice, execution role with AdministratorAccess',
    put(`${BOB}/data/ab/ab12cd`, true),
    X
  ],
  [
    'alice, execution role with AdministratorAccess',
    abort(`${BOB}/data/ab/ab12cd`),
    X
  ],
  ['alice, execution role with AdministratorAccess', list(`${PREFIX}/`), X],
  [
    'alice, execution role with AdministratorAccess',
    put('artifacts/studio-backup.js', false),
    X
  ],
  [
    'alice, execution role with AdministratorAccess',
    key('kms:Decrypt', 'directly'),
    X
  ],
  // A session without source identity (domain not set to USER_PROFILE_NAME).
  [
    'Studio session without source identity',
    get('artifacts/studio-backup.js'),
    A
  ],
  ['Studio session without source identity', list('artifacts/'), A],
  ['Studio session without source identity', get(`${ALICE}/config`), X],
  ['Studio session without source identity', put(PACK, true), X],
  ['Studio session without source identity', list(`${PREFIX}/alice/`), X],
  ['Studio session without source identity', putRequest('alice', FILED), I],
  ['Studio session without source identity', readRetention('default'), I],
  ['Studio session without source identity', queryRuns('alice'), I],
  [
    'Studio session without source identity, AdministratorAccess',
    get('artifacts/studio-backup.js'),
    A
  ],
  [
    'Studio session without source identity, AdministratorAccess',
    get(`${BOB}/config`),
    X
  ],
  [
    'Studio session without source identity, AdministratorAccess',
    remove(PACK),
    X
  ],
  [
    'Studio session without source identity, AdministratorAccess',
    put('artifacts/studio-backup.js', false),
    X
  ],
  [
    'Studio session without source identity, AdministratorAccess',
    list(`${PREFIX}/`),
    X
  ],
  // An admin (no source identity): the named exception, except plain HTTP and direct key use.
  ['admin', get(`${ALICE}/config`), A],
  ['admin', remove(PACK), A],
  ['admin', objectAction('s3:DeleteObjectVersion', PACK), A],
  ['admin', put('artifacts/studio-backup.js', false), A],
  ['admin', list(), A],
  ['admin', bucketAction('s3:PutBucketPolicy'), A],
  ['admin', key('kms:PutKeyPolicy', 'directly'), A],
  ['admin', key('kms:ScheduleKeyDeletion', 'directly'), A],
  ['admin', key('kms:Decrypt', 'through S3'), A],
  ['admin', key('kms:Decrypt', 'directly'), X],
  ['admin', overHttp(get(`${ALICE}/config`)), X],
  // The backend: copying a former profile's repository into a requester's, listing, never deleting.
  ['backend copy Lambda', head(`${ALICE}/data/ab/ab12cd`), A],
  ['backend copy Lambda', get(`${BOB}/config`), A],
  ['backend copy Lambda', copy(`${BOB}/data/ab/ab12cd`, PACK), A],
  ['backend copy Lambda', part(PACK, 'CreateMultipartUpload'), A],
  ['backend copy Lambda', part(PACK, 'UploadPartCopy'), A],
  ['backend copy Lambda', complete(PACK, false), A],
  ['backend copy Lambda', abort(PACK), A],
  ['backend copy Lambda', list(`${PREFIX}/bob/`), A],
  ['backend copy Lambda', key('kms:Decrypt', 'through S3'), A],
  ['backend copy Lambda', key('kms:Decrypt', 'directly'), A],
  ['backend copy Lambda', remove(PACK), I],
  ['backend copy Lambda', get('artifacts/studio-backup.js'), I],
  ['request state machine', list(`${PREFIX}/bob/`), A],
  ['request state machine', get(`${BOB}/config`), I],
  ['Studio events Lambda', list(`${PREFIX}/alice/`), A],
  ['Studio events Lambda', get(`${ALICE}/config`), I],
  // A mapped profile's new space: the request it files, approved by the mapping.
  [
    'Studio events Lambda',
    putRequest('alice', [...FILED, 'from_space', 'state', 'approved_by']),
    A
  ],
  // Maintenance: the one role that deletes snapshot data (forget + prune), in repositories only.
  // The migration (studio-backup-admin migrate): imports, and deletes only reference copies.
  ['migration Lambda', get(`${REFERENCE}/home/notes.txt`), A],
  ['migration Lambda', put(PACK, true), A],
  ['migration Lambda', put(`${ALICE}/locks/exclusive`, true), A],
  ['migration Lambda', remove(`${ALICE}/locks/exclusive`), A],
  ['migration Lambda', remove(`${REFERENCE}/home/notes.txt`), A],
  [
    'migration Lambda',
    remove(`${REFERENCE}/2024-05-01-10-00-00_BACKUP_COMPLETE`),
    A
  ],
  ['migration Lambda', remove(PACK), I],
  ['migration Lambda', remove(`${ALICE}/snapshots/5e6f`), I],
  ['migration Lambda', remove(`${ALICE}/index/9a8b`), I],
  ['migration Lambda', remove(`${ALICE}/config`), I],
  ['migration Lambda', list(`${ALICE}/`), A],
  [
    'migration Lambda',
    objectAction('s3:DeleteObjectVersion', `${REFERENCE}/home/notes.txt`),
    I
  ],
  ['migration Lambda', remove('artifacts/studio-backup.js'), I],
  ['maintenance Lambda', get(`${ALICE}/config`), A],
  ['maintenance Lambda', list(`${ALICE}/`), A],
  ['maintenance Lambda', put(`${ALICE}/index/9a8b`, true), A],
  ['maintenance Lambda', put(`${ALICE}/locks/exclusive`, true), A],
  ['maintenance Lambda', remove(`${ALICE}/locks/exclusive`), A],
  ['maintenance Lambda', remove(PACK), A],
  ['maintenance Lambda', remove(`${ALICE}/snapshots/5e6f`), A],
  ['maintenance Lambda', remove(`${BOB}/data/ab/ab12cd`), A],
  ['maintenance Lambda', remove(`${REFERENCE}/home/notes.txt`), A],
  ['maintenance Lambda', key('kms:Decrypt', 'through S3'), A],
  ['maintenance Lambda', key('kms:Decrypt', 'directly'), X],
  ['maintenance Lambda', objectAction('s3:DeleteObjectVersion', PACK), I],
  ['maintenance Lambda', objectAction('s3:BypassGovernanceRetention', PACK), I],
  ['maintenance Lambda', bucketAction('s3:PutLifecycleConfiguration'), I],
  ['maintenance Lambda', remove('artifacts/studio-backup.js'), I],
  ['maintenance Lambda', list(), I],
  ['maintenance listing Lambda', list(`${PREFIX}/`), A],
  ['maintenance listing Lambda', list(`${PREFIX}/alice/`), A],
  ['maintenance listing Lambda', put('maintenance/runs/x.json', false), A],
  ['maintenance listing Lambda', get(`${ALICE}/config`), I],
  ['maintenance listing Lambda', remove(PACK), I],
  [
    'role of another account',
    key('kms:Decrypt', 'through S3', '999999999999'),
    X
  ]
];

// ---- Issue 14 items 2 and 3: the SageMaker calls of the agent and on-start.sh (identity, restore
// tags: lcc/src/studio/identity.ts, restore-at-start.ts). Kept apart from the rows above. ----
const sagemakerArn = (resource: string) =>
  `arn:aws:sagemaker:${REGION}:${ACCOUNT}:${resource}`;
const ALICE_PROFILE = sagemakerArn('user-profile/d-1/alice');
const BOB_PROFILE = sagemakerArn('user-profile/d-1/bob');
const ALICE_SPACE = sagemakerArn('space/d-1/space-1');
const iamCall = (action: string, role: string): ICall => ({
  label: `${action} role/${role}`,
  action: `iam:${action}`,
  resource: `arn:aws:iam::${ACCOUNT}:role/${role}`
});
const sagemakerCall = (
  action: string,
  resource: string,
  tagKeys?: string[]
): ICall => ({
  label: `${action} ${resource.split(':').pop()}${tagKeys ? ` [${tagKeys.join(', ')}]` : ''}`,
  action: `sagemaker:${action}`,
  resource,
  context: tagKeys ? { 'aws:TagKeys': tagKeys } : {}
});
TABLE.push(
  ['alice', sagemakerCall('DescribeSpace', ALICE_SPACE), A],
  ['alice', sagemakerCall('DescribeUserProfile', ALICE_PROFILE), A],
  ['alice', sagemakerCall('ListTags', ALICE_PROFILE), A],
  ['alice', sagemakerCall('ListTags', ALICE_SPACE), A],
  [
    'alice',
    sagemakerCall('AddTags', ALICE_SPACE, [
      'studio-backup:last-restore',
      'studio-backup:applied:studio-backup:restore'
    ]),
    A
  ],
  [
    'alice',
    sagemakerCall('DeleteTags', ALICE_PROFILE, [
      'studio-backup:restore:space-1'
    ]),
    A
  ],
  [
    'alice',
    sagemakerCall('DeleteTags', ALICE_SPACE, ['studio-backup:restore']),
    A
  ],
  // Not Studio's own tags, nor another profile.
  [
    'alice',
    sagemakerCall('AddTags', ALICE_SPACE, ['sagemaker:user-profile-arn']),
    I
  ],
  ['alice', sagemakerCall('DeleteTags', ALICE_PROFILE, ['owner']), I],
  ['alice', sagemakerCall('DescribeUserProfile', BOB_PROFILE), I],
  ['alice', sagemakerCall('ListTags', BOB_PROFILE), I],
  [
    'alice',
    sagemakerCall('AddTags', BOB_PROFILE, ['studio-backup:restore']),
    I
  ],
  ['alice', sagemakerCall('UpdateUserProfile', ALICE_PROFILE), I],
  ['alice', sagemakerCall('DeleteSpace', ALICE_SPACE), I],
  [
    'Studio session without source identity',
    sagemakerCall('DescribeSpace', ALICE_SPACE),
    I
  ]
);
// ---- end of the SageMaker calls ----

// ---- Issue 14 item 8: the second isolation mode, a role of each profile's own, no source identity.
// Its policy is core/isolation-statements.ts's with the profile written in; the bucket policy
// fences it by the role's name and its studio-backup-profile tag. ----
const OWN = "alice's own role";
const OWN_ADMIN = "alice's own role with AdministratorAccess";
const UNTAGGED = 'a profile role without its tag, AdministratorAccess';
TABLE.push(
  [OWN, get(`${ALICE}/config`), A],
  [OWN, get(`${REFERENCE}/home/notes.txt`), A],
  [OWN, put(PACK, true), A],
  [OWN, part(PACK), A],
  [OWN, complete(PACK, true), A],
  [OWN, abort(PACK), A],
  [OWN, put(LOCK, false), A],
  [OWN, remove(LOCK), A],
  [OWN, list(`${ALICE}/`), A],
  [OWN, list(`${PREFIX}/alice/`), A],
  [OWN, get('artifacts/studio-backup.js'), A],
  [OWN, list('artifacts/'), A],
  [OWN, key('kms:GenerateDataKey', 'through S3'), A],
  [OWN, putRequest('alice', FILED), A],
  [OWN, queryHistory('alice'), A],
  [OWN, readRetention('default'), A],
  [OWN, readRetention('profile#alice'), A],
  [OWN, queryRuns('alice'), A],
  [OWN, sagemakerCall('DescribeSpace', ALICE_SPACE), A],
  [OWN, sagemakerCall('DescribeUserProfile', ALICE_PROFILE), A],
  [
    OWN,
    sagemakerCall('AddTags', ALICE_SPACE, ['studio-backup:last-restore']),
    A
  ],
  // Her own history stays append-only.
  [OWN, put(PACK, false), X],
  [OWN, remove(PACK), X],
  [OWN, put('artifacts/studio-backup.js', true), X],
  [OWN, key('kms:Decrypt', 'directly'), X],
  [OWN, putRequest('alice', [...FILED, 'state']), I],
  // bob's repository, and alice2's, whose name starts like hers.
  [OWN, get(`${BOB}/config`), X],
  [OWN, put(`${BOB}/data/ab/ab12cd`, true), X],
  [OWN, remove(`${BOB}/locks/shared-9c8d`), X],
  [OWN, list(`${PREFIX}/bob/`), X],
  [OWN, get(`${ALICE2}/config`), X],
  [OWN, put(`${ALICE2}/data/ab/ab12cd`, true), X],
  [OWN, list(`${PREFIX}/alice2/`), X],
  [OWN, list(`${PREFIX}/alice`), X],
  [OWN, list(), X],
  [OWN, putRequest('bob', FILED), I],
  [OWN, queryHistory('bob'), I],
  [OWN, readRetention('profile#bob'), I],
  [OWN, queryRuns('bob'), I],
  [OWN, sagemakerCall('DescribeUserProfile', BOB_PROFILE), I],
  [OWN, sagemakerCall('AddTags', BOB_PROFILE, ['studio-backup:restore']), I],
  // The same role allowed everything by its other policies: the bucket and key policies hold.
  [OWN_ADMIN, get(`${ALICE}/config`), A],
  [OWN_ADMIN, put(PACK, true), A],
  [OWN_ADMIN, remove(LOCK), A],
  [OWN_ADMIN, put(PACK, false), X],
  [OWN_ADMIN, remove(PACK), X],
  [OWN_ADMIN, remove(`${REFERENCE}/home/locks/run.lock`), X],
  [OWN_ADMIN, objectAction('s3:DeleteObjectVersion', PACK), X],
  [OWN_ADMIN, bucketAction('s3:PutBucketPolicy'), X],
  [OWN_ADMIN, get(`${BOB}/config`), X],
  [OWN_ADMIN, put(`${BOB}/data/ab/ab12cd`, true), X],
  [OWN_ADMIN, abort(`${BOB}/data/ab/ab12cd`), X],
  [OWN_ADMIN, get(`${ALICE2}/config`), X],
  [OWN_ADMIN, list(`${PREFIX}/`), X],
  [OWN_ADMIN, key('kms:Decrypt', 'directly'), X],
  // The fence trusts the role's tag: even with AdministratorAccess the role changes no profile
  // role (retagged as bob's, or a new one tagged so, it would reach bob's folder).
  [OWN_ADMIN, iamCall('TagRole', `${PROFILE_ROLE_PREFIX}alice`), X],
  [OWN_ADMIN, iamCall('UntagRole', `${PROFILE_ROLE_PREFIX}alice`), X],
  [OWN_ADMIN, iamCall('PutRolePolicy', `${PROFILE_ROLE_PREFIX}alice`), X],
  [
    OWN_ADMIN,
    iamCall('UpdateAssumeRolePolicy', `${PROFILE_ROLE_PREFIX}alice`),
    X
  ],
  [OWN_ADMIN, iamCall('CreateRole', `${PROFILE_ROLE_PREFIX}bob`), X],
  [OWN_ADMIN, iamCall('TagRole', `team/${PROFILE_ROLE_PREFIX}bob`), X],
  [OWN, iamCall('TagRole', `${PROFILE_ROLE_PREFIX}alice`), X],
  // A role named like a profile's own whose tag was removed reaches nothing.
  [UNTAGGED, get(`${ALICE}/config`), X],
  [UNTAGGED, get('artifacts/studio-backup.js'), X],
  [UNTAGGED, list(`${PREFIX}/`), X],
  [UNTAGGED, put(PACK, true), X]
);
// ---- end of the second isolation mode ----

async function decide(
  docs: IDocuments,
  who: string,
  call: ICall
): Promise<Decision> {
  const session = SESSIONS[who];
  if (!session) throw new Error(`no session ${who}`);
  const account = session.roleArn.split(':')[4];
  const resourcePolicy = call.action.startsWith('s3:')
    ? docs.bucket
    : call.action.startsWith('kms:')
      ? docs.key
      : undefined;
  const response = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${account}:assumed-role/${session.roleArn.split('/').pop()}/session`,
        action: call.action,
        resource: {
          resource: call.resource,
          accountId: call.resource.startsWith('arn:aws:s3')
            ? ACCOUNT
            : call.resource.split(':')[4]
        },
        contextVariables: {
          'aws:PrincipalArn': session.roleArn,
          'aws:PrincipalAccount': account,
          'aws:SecureTransport': 'true',
          ...(session.sourceIdentity
            ? { 'aws:SourceIdentity': session.sourceIdentity }
            : {}),
          ...(session.profileTag
            ? { [`aws:PrincipalTag/${PROFILE_TAG}`]: session.profileTag }
            : {}),
          ...call.context
        }
      },
      identityPolicies: session
        .policies(docs)
        .map((policy, i) => ({ name: `policy${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy
    },
    {}
  );
  if (response.resultType === 'error') {
    throw new Error(
      `${who}: ${call.label}: ${JSON.stringify(response.errors)}`
    );
  }
  return response.overallResult as Decision;
}

// What `studio-backup-admin roles create` puts on alice's own role.
const profileRolePolicy = profilePolicy(
  {
    partition: 'aws',
    region: REGION,
    account: ACCOUNT,
    bucketArn: BUCKET,
    keyArn: KEY,
    prefix: PREFIX,
    requestsTableArn: table('requests'),
    historyTableArn: table('history'),
    retentionTableArn: table('retention'),
    resultsTableArn: table('results')
  },
  'd-1',
  'alice'
) as Document;

const SYNTHESIZED: IDocuments = {
  isolation: isolationPolicy,
  bucket: bucketPolicy,
  key: keyPolicy,
  profile: profileRolePolicy
};

describe('who may do what (iam-simulate over the synthesized template)', () => {
  it.each(
    TABLE.map(([who, call, expected]) => [who, call.label, expected, call])
  )('%s: %s → %s', async (who, _label, expected, call) => {
    expect(await decide(SYNTHESIZED, who as string, call as ICall)).toBe(
      expected
    );
  });
});

type Mutation = 'dropped' | 'Effect flipped';

function mutate(
  docs: IDocuments,
  document: keyof IDocuments,
  index: number,
  how: Mutation
): IDocuments {
  const statements = docs[document].Statement.flatMap((st, i) => {
    if (i !== index) return [st];
    if (how === 'dropped') return [];
    return [{ ...st, Effect: st.Effect === 'Allow' ? 'Deny' : 'Allow' }];
  });
  return { ...docs, [document]: { ...docs[document], Statement: statements } };
}

/** Whether a statement of `document` can decide a call: a bucket policy only S3's, a key policy KMS's. */
const reaches = (document: keyof IDocuments, call: ICall) =>
  document === 'bucket'
    ? call.action.startsWith('s3:')
    : document === 'key'
      ? call.action.startsWith('kms:')
      : true;

/**
 * The rows whose decision differs from the table's when one statement is changed; with
 * `firstOnly`, the first such row (enough to show the statement matters, and much faster).
 */
async function rowsChangedBy(
  document: keyof IDocuments,
  index: number,
  how: Mutation,
  firstOnly = false
): Promise<string[]> {
  const docs = mutate(SYNTHESIZED, document, index, how);
  const changed: string[] = [];
  for (const [who, call, expected] of TABLE) {
    if (!reaches(document, call)) continue;
    const decision = await decide(docs, who, call);
    if (decision !== expected) {
      changed.push(`${who}: ${call.label}: ${expected} → ${decision}`);
      if (firstOnly) break;
    }
  }
  return changed;
}

describe('every statement of the four documents decides some row of the table', () => {
  const statements = (
    ['isolation', 'bucket', 'key', 'profile'] as const
  ).flatMap(document =>
    SYNTHESIZED[document].Statement.map((st, index) => [
      document,
      st.Sid ??
        `#${index} (${st.Effect} ${[].concat(st.Action ?? st.NotAction).join(',')})`,
      index
    ])
  );

  it('covers the statements the guard adds', () => {
    const sids = statements.map(([, sid]) => sid);
    expect(sids).toEqual(
      expect.arrayContaining([
        'CreateOnceInOwnRepository',
        'UploadPartsInOwnRepository',
        'OwnLocks',
        'SessionsDeleteOnlyTheirLocks',
        'SessionsCreateOnlyOnceOutsideTheirLocks',
        'SessionsUseNoOtherS3Action',
        'StudioRolesWithoutIdentityOnlyRead',
        'ProfileRolesReadOnlyTheirFolderAndArtifacts',
        'ProfileRolesDeleteOnlyTheirLocks',
        'ProfileRolesWithoutTheirTagUseNothing',
        'UseOnlyThroughS3',
        'UseOnlyFromThisAccount'
      ])
    );
  });

  it.each(statements)(
    '%s policy, %s: dropping it or flipping its Effect changes a row',
    async (document, _sid, index) => {
      for (const how of ['dropped', 'Effect flipped'] as Mutation[]) {
        const changed = await rowsChangedBy(
          document as keyof IDocuments,
          index as number,
          how,
          true
        );
        expect({ how, changed: changed.length > 0 }).toEqual({
          how,
          changed: true
        });
      }
    }
  );

  // Without the deny, alice's own role still refuses her (no Allow), but a session whose execution
  // role allows more (AdministratorAccess, AmazonS3FullAccess) deletes a pack of her history.
  it('for example: without SessionsDeleteOnlyTheirLocks, alice on an admin execution role deletes a pack of her history', async () => {
    const index = bucketPolicy.Statement.findIndex(
      st => st.Sid === 'SessionsDeleteOnlyTheirLocks'
    );
    expect(await rowsChangedBy('bucket', index, 'dropped')).toEqual([
      `alice: DeleteObject ${PACK}: ExplicitlyDenied → ImplicitlyDenied`,
      `alice: DeleteObject ${ALICE}/snapshots/5e6f: ExplicitlyDenied → ImplicitlyDenied`,
      `alice: DeleteObject ${ALICE}/index/9a8b: ExplicitlyDenied → ImplicitlyDenied`,
      `alice: DeleteObject ${ALICE}/config: ExplicitlyDenied → ImplicitlyDenied`,
      `alice: DeleteObject ${BOB}/locks/shared-9c8d: ExplicitlyDenied → ImplicitlyDenied`,
      `alice, execution role with AdministratorAccess: DeleteObject ${PACK}: ExplicitlyDenied → Allowed`
    ]);
  });
});

describe('without studioExecutionRoleArns', () => {
  it('has no deny for the Studio roles by name, and the isolation policy alone refuses a session without source identity', async () => {
    const plain = synthStack().template.toJSON().Resources;
    const id = Object.keys(plain).find(
      k =>
        plain[k].Type === 'AWS::S3::BucketPolicy' && k.includes('BackupBucket')
    )!;
    const docs: IDocuments = {
      ...SYNTHESIZED,
      bucket: resolve(plain[id].Properties.PolicyDocument)
    };
    // (The profile roles' fence names roles by aws:PrincipalArn too, but by their name pattern.)
    expect(JSON.stringify(docs.bucket)).not.toContain(STUDIO_ROLE);
    expect(JSON.stringify(docs.bucket)).not.toContain('StudioRolesWithout');
    expect(
      await decide(
        docs,
        'Studio session without source identity',
        get(`${ALICE}/config`)
      )
    ).toBe('ImplicitlyDenied');
    expect(
      await decide(
        docs,
        'alice, execution role with AdministratorAccess',
        remove(PACK)
      )
    ).toBe('ExplicitlyDenied');
  });
});
