/**
 * The statements of the Studio execution role's isolation policy, as plain IAM JSON, for both
 * isolation modes: a role shared by every user profile, whose sessions are told apart by
 * `${aws:SourceIdentity}` (lib/isolation.ts, the stack's managed policy), or a role of one user
 * profile's own (`studio-backup-admin roles create`), where the profile is written in. No CDK here:
 * the admin CLI builds the same policy with real ARNs.
 */
import { ARTIFACTS_PREFIX, LOCKS } from './bucket-layout';

/** The key every user's session carries: Studio sets it when the domain has ExecutionRoleIdentityConfig=USER_PROFILE_NAME. */
export const SOURCE_IDENTITY = '${aws:SourceIdentity}';

/**
 * A user profile's own execution role (the second mode): its name, and the tag that names the
 * profile, which the bucket policy reads as `${aws:PrincipalTag/studio-backup-profile}`.
 */
export const PROFILE_ROLE_PREFIX = 'studio-backup-profile-';
export const PROFILE_TAG = 'studio-backup-profile';

/** The attributes of a restore request its user writes (lcc/src/agent/backend.ts); the rest are the backend's. */
export const REQUEST_ATTRIBUTES = [
  'user_profile_name',
  'request_id',
  'kind',
  'snapshot',
  'target',
  'from_profile',
  'from_space',
  'space_name',
  'domain_id',
  'created'
];

export interface IStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** What the policy names: ARNs may be CDK tokens (lib/) or real ones (admin/). */
export interface IIsolationTargets {
  partition: string;
  region: string;
  account: string;
  bucketArn: string;
  keyArn: string;
  /** Snapshots live under <prefix>/<user profile>/<space>/ (the reference layout). */
  prefix: string;
  requestsTableArn: string;
  historyTableArn: string;
  /** Retention policies and maintenance runs: both or neither (the panel's retention line). */
  retentionTableArn?: string;
  resultsTableArn?: string;
}

/**
 * Whose policy: every session of a shared role (`{ profile: undefined }`: the profile is
 * `${aws:SourceIdentity}` and every statement requires it), or one profile's own role.
 */
export interface IOwner {
  profile?: string;
  /** The profile's domain, for its own role: its ARNs then name it instead of `*`. */
  domainId?: string;
}

type Conditions = NonNullable<IStatement['Condition']>;

/** Two condition blocks as one: operators that appear in both have their keys merged. */
export function mergeConditions(a: Conditions, b: Conditions): Conditions {
  const merged: Conditions = { ...a };
  for (const [operator, keys] of Object.entries(b)) {
    merged[operator] = { ...(merged[operator] ?? {}), ...keys };
  }
  return merged;
}

export function isolationStatements(
  t: IIsolationTargets,
  owner: IOwner = {}
): IStatement[] {
  const profile = owner.profile ?? SOURCE_IDENTITY;
  const own = `${t.prefix}/${profile}`;
  const objects = (pattern: string) => `${t.bucketArn}/${pattern}`;
  const ownObjects = objects(`${own}/*`);
  const domain = owner.profile ? (owner.domainId ?? '*') : '*';
  const sagemaker = (resource: string) =>
    `arn:${t.partition}:sagemaker:${t.region}:${t.account}:${resource}`;
  const ownProfile = sagemaker(`user-profile/${domain}/${profile}`);
  const spaces = sagemaker(`space/${domain}/*`);
  // A shared role's statements hold only for a session that carries its user's identity.
  const identity: Conditions = owner.profile
    ? {}
    : { Null: { 'aws:SourceIdentity': 'false' } };
  const allow = (
    Sid: string,
    Action: string[],
    Resource: string[],
    condition: Conditions = {},
    ofSession = true
  ): IStatement => {
    const Condition = ofSession
      ? mergeConditions(identity, condition)
      : condition;
    return {
      Sid,
      Effect: 'Allow',
      Action,
      Resource,
      ...(Object.keys(Condition).length ? { Condition } : {})
    };
  };
  const ownKeys = (
    table: string,
    sid: string,
    keys: string[],
    actions: string[]
  ) =>
    allow(sid, actions, [table], {
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': keys }
    });
  return [
    allow('ReadOwnRepository', ['s3:GetObject'], [ownObjects]),
    // "Enforce conditional writes on Amazon S3 buckets" (S3 User Guide): PutObject and
    // CompleteMultipartUpload carry If-None-Match...
    allow('CreateOnceInOwnRepository', ['s3:PutObject'], [ownObjects], {
      Null: { 's3:if-none-match': 'false' }
    }),
    // ...CreateMultipartUpload and UploadPart cannot, and are told apart by
    // s3:ObjectCreationOperation = false: a part is no object until the conditional Complete.
    allow('UploadPartsInOwnRepository', ['s3:PutObject'], [ownObjects], {
      Bool: { 's3:ObjectCreationOperation': 'false' }
    }),
    allow('AbortOwnUploads', ['s3:AbortMultipartUpload'], [ownObjects]),
    // A shared lock is rewritten every 5 minutes to keep it fresh, and removed at the end.
    allow(
      'OwnLocks',
      ['s3:PutObject', 's3:DeleteObject'],
      [objects(`${own}/*/${LOCKS}/*`)]
    ),
    // Never the bare `<prefix>/<profile>` prefix: it would list `<prefix>/<profile>2/` as well.
    allow('ListOwnFolder', ['s3:ListBucket'], [t.bucketArn], {
      StringLike: { 's3:prefix': [`${own}/`, `${own}/*`] }
    }),
    allow(
      'ReadArtifacts',
      ['s3:GetObject'],
      [objects(`${ARTIFACTS_PREFIX}*`)],
      {},
      false
    ),
    // on-start.sh looks for node.tar.gz and the newest wheel with `aws s3 ls artifacts/...`.
    allow(
      'ListArtifacts',
      ['s3:ListBucket'],
      [t.bucketArn],
      {
        StringLike: {
          's3:prefix': [ARTIFACTS_PREFIX, `${ARTIFACTS_PREFIX}*`]
        }
      },
      false
    ),
    // The agent finds its owner (DescribeSpace, then DescribeUserProfile, as the reference LCC
    // does) and reads and records restore requests in tags (lcc/src/studio/restore-at-start.ts).
    // A profile's ARN ends in its name: only the own one. A space's ARN ends in the space's name,
    // which IAM cannot tie to its owner: any space (of the domain, for a profile's own role),
    // read-only, and only Studio Backup's own tag keys written.
    allow(
      'DescribeOwnProfile',
      ['sagemaker:DescribeUserProfile', 'sagemaker:ListTags'],
      [ownProfile]
    ),
    allow(
      'DescribeSpaces',
      ['sagemaker:DescribeSpace', 'sagemaker:ListTags'],
      [spaces]
    ),
    allow(
      'RecordRestoresInOwnTags',
      ['sagemaker:AddTags', 'sagemaker:DeleteTags'],
      [ownProfile, spaces],
      { 'ForAllValues:StringLike': { 'aws:TagKeys': ['studio-backup:*'] } }
    ),
    allow(
      'UseBackupKey',
      ['kms:Decrypt', 'kms:GenerateDataKey'],
      [t.keyArn],
      { StringEquals: { 'kms:ViaService': `s3.${t.region}.amazonaws.com` } },
      false
    ),
    ownKeys(
      t.historyTableArn,
      'OwnRecoveryHistory',
      [profile],
      ['dynamodb:Query']
    ),
    ...(t.retentionTableArn && t.resultsTableArn
      ? [
          ownKeys(
            t.retentionTableArn,
            'DomainAndOwnRetention',
            ['default', `profile#${profile}`],
            ['dynamodb:GetItem']
          ),
          ownKeys(
            t.resultsTableArn,
            'OwnMaintenanceRuns',
            [profile],
            ['dynamodb:Query']
          )
        ]
      : []),
    allow(
      'OwnRestoreRequests',
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      [t.requestsTableArn],
      {
        'ForAllValues:StringEquals': {
          'dynamodb:LeadingKeys': [profile],
          // What a user may write: never `state`, `message` or `decided`, so no one approves
          // their own recovery of another profile's home by writing the row twice.
          'dynamodb:Attributes': REQUEST_ATTRIBUTES
        }
      }
    )
  ];
}
