import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ARTIFACTS_PREFIX as ARTIFACTS } from './storage';

/** The key every user's session carries: Studio sets it when the domain has ExecutionRoleIdentityConfig=USER_PROFILE_NAME. */
export const SOURCE_IDENTITY = '${aws:SourceIdentity}';

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

export interface IUserIsolationProps {
  readonly bucket: s3.IBucket;
  readonly key: kms.IKey;
  /** Snapshots live under <prefix>/<user profile>/<space>/ (the reference layout). */
  readonly prefix: string;
  readonly requestsTable: dynamodb.ITable;
  /** Recovery history, readable for one's own rows (the panel's recovery list). */
  readonly historyTable: dynamodb.ITable;
  /** Retention policies: the domain's and one's own are readable (the panel's retention line). */
  readonly retentionTable?: dynamodb.ITable;
  /** Maintenance runs, readable for one's own rows (the panel's last run). */
  readonly resultsTable?: dynamodb.ITable;
}

/** Where the agent's lock objects live in a repository: `<prefix>/<profile>/<space>/locks/`. */
export const LOCKS = 'locks';

/**
 * The policy to attach to the Studio execution role(s): a session reads its own user profile's
 * folder of the bucket, creates objects there only once (S3 conditional writes, `If-None-Match: *`),
 * overwrites and deletes nothing but its own lock objects, and reaches only its own restore
 * requests, whatever role it shares. The bucket policy (bucket-guard.ts) denies the same things
 * again for every session that carries a source identity, whatever its role's other policies say.
 */
export class UserIsolationPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: IUserIsolationProps) {
    super(scope, id);
    const own = `${props.prefix}/${SOURCE_IDENTITY}`;
    const ownObjects = props.bucket.arnForObjects(`${own}/*`);
    const hasIdentity = { Null: { 'aws:SourceIdentity': 'false' } };
    const stack = Stack.of(this);
    const ownProfile = stack.formatArn({
      service: 'sagemaker',
      resource: 'user-profile',
      resourceName: `*/${SOURCE_IDENTITY}`
    });
    const spaces = stack.formatArn({
      service: 'sagemaker',
      resource: 'space',
      resourceName: '*/*'
    });
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description:
        'Studio Backup: each user profile reaches only its own snapshots and restore requests, and only adds to its snapshots (needs ExecutionRoleIdentityConfig=USER_PROFILE_NAME on the domain).',
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadOwnRepository',
          actions: ['s3:GetObject'],
          resources: [ownObjects],
          conditions: hasIdentity
        }),
        // "Enforce conditional writes on Amazon S3 buckets" (S3 User Guide): PutObject and
        // CompleteMultipartUpload carry If-None-Match...
        new iam.PolicyStatement({
          sid: 'CreateOnceInOwnRepository',
          actions: ['s3:PutObject'],
          resources: [ownObjects],
          conditions: {
            Null: { 'aws:SourceIdentity': 'false', 's3:if-none-match': 'false' }
          }
        }),
        // ...CreateMultipartUpload and UploadPart cannot, and are told apart by
        // s3:ObjectCreationOperation = false: a part is no object until the conditional Complete.
        new iam.PolicyStatement({
          sid: 'UploadPartsInOwnRepository',
          actions: ['s3:PutObject'],
          resources: [ownObjects],
          conditions: {
            ...hasIdentity,
            Bool: { 's3:ObjectCreationOperation': 'false' }
          }
        }),
        new iam.PolicyStatement({
          sid: 'AbortOwnUploads',
          actions: ['s3:AbortMultipartUpload'],
          resources: [ownObjects],
          conditions: hasIdentity
        }),
        // A shared lock is rewritten every 5 minutes to keep it fresh, and removed at the end.
        new iam.PolicyStatement({
          sid: 'OwnLocks',
          actions: ['s3:PutObject', 's3:DeleteObject'],
          resources: [props.bucket.arnForObjects(`${own}/*/${LOCKS}/*`)],
          conditions: hasIdentity
        }),
        // Never the bare `<prefix>/<profile>` prefix: it would list `<prefix>/<profile>2/` as well.
        new iam.PolicyStatement({
          sid: 'ListOwnFolder',
          actions: ['s3:ListBucket'],
          resources: [props.bucket.bucketArn],
          conditions: {
            ...hasIdentity,
            StringLike: { 's3:prefix': [`${own}/`, `${own}/*`] }
          }
        }),
        new iam.PolicyStatement({
          sid: 'ReadArtifacts',
          actions: ['s3:GetObject'],
          resources: [props.bucket.arnForObjects(`${ARTIFACTS}*`)]
        }),
        // on-start.sh looks for node.tar.gz and the newest wheel with `aws s3 ls artifacts/...`.
        new iam.PolicyStatement({
          sid: 'ListArtifacts',
          actions: ['s3:ListBucket'],
          resources: [props.bucket.bucketArn],
          conditions: {
            StringLike: { 's3:prefix': [ARTIFACTS, `${ARTIFACTS}*`] }
          }
        }),
        // The agent finds its owner (DescribeSpace, then DescribeUserProfile, as the reference LCC
        // does) and reads and records restore requests in tags (lcc/src/studio/restore-at-start.ts).
        // A profile's ARN ends in its name, the source identity: only the own one. A space's ARN
        // ends in the space's name, which IAM cannot tie to its owner: any space of the account,
        // read-only, and only Studio Backup's own tag keys written.
        new iam.PolicyStatement({
          sid: 'DescribeOwnProfile',
          actions: ['sagemaker:DescribeUserProfile', 'sagemaker:ListTags'],
          resources: [ownProfile],
          conditions: hasIdentity
        }),
        new iam.PolicyStatement({
          sid: 'DescribeSpaces',
          actions: ['sagemaker:DescribeSpace', 'sagemaker:ListTags'],
          resources: [spaces],
          conditions: hasIdentity
        }),
        new iam.PolicyStatement({
          sid: 'RecordRestoresInOwnTags',
          actions: ['sagemaker:AddTags', 'sagemaker:DeleteTags'],
          resources: [ownProfile, spaces],
          conditions: {
            ...hasIdentity,
            'ForAllValues:StringLike': { 'aws:TagKeys': ['studio-backup:*'] }
          }
        }),
        new iam.PolicyStatement({
          sid: 'UseBackupKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.key.keyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': `s3.${props.bucket.stack.region}.amazonaws.com`
            }
          }
        }),
        new iam.PolicyStatement({
          sid: 'OwnRecoveryHistory',
          actions: ['dynamodb:Query'],
          resources: [props.historyTable.tableArn],
          conditions: {
            ...hasIdentity,
            'ForAllValues:StringEquals': {
              'dynamodb:LeadingKeys': [SOURCE_IDENTITY]
            }
          }
        }),
        ...(props.retentionTable && props.resultsTable
          ? [
              new iam.PolicyStatement({
                sid: 'DomainAndOwnRetention',
                actions: ['dynamodb:GetItem'],
                resources: [props.retentionTable.tableArn],
                conditions: {
                  ...hasIdentity,
                  'ForAllValues:StringEquals': {
                    'dynamodb:LeadingKeys': [
                      'default',
                      `profile#${SOURCE_IDENTITY}`
                    ]
                  }
                }
              }),
              new iam.PolicyStatement({
                sid: 'OwnMaintenanceRuns',
                actions: ['dynamodb:Query'],
                resources: [props.resultsTable.tableArn],
                conditions: {
                  ...hasIdentity,
                  'ForAllValues:StringEquals': {
                    'dynamodb:LeadingKeys': [SOURCE_IDENTITY]
                  }
                }
              })
            ]
          : []),
        new iam.PolicyStatement({
          sid: 'OwnRestoreRequests',
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
          resources: [props.requestsTable.tableArn],
          conditions: {
            ...hasIdentity,
            'ForAllValues:StringEquals': {
              'dynamodb:LeadingKeys': [SOURCE_IDENTITY],
              // What a user may write: never `state`, `message` or `decided`, so no one approves
              // their own recovery of another profile's home by writing the row twice.
              'dynamodb:Attributes': REQUEST_ATTRIBUTES
            }
          }
        })
      ]
    });
    const region = Token.isUnresolved(stack.region)
      ? '<AWS::Region>'
      : stack.region;
    const account = Token.isUnresolved(stack.account)
      ? '<AWS::AccountId>'
      : stack.account;
    for (const resource of [
      'user-profile/*/<aws:SourceIdentity>',
      'space/*/*'
    ]) {
      Validations.of(this.policy).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:${region}:${account}:${resource}]`,
        reason:
          "The agent's own user profile (any domain: the policy is shared by domains), and spaces, whose names IAM cannot tie to an owner: read-only, and tags written only under studio-backup: keys."
      });
    }
    // cdk-nag names each wildcard finding by the resource it saw, the bucket by its logical id.
    const bucketId = Stack.of(this).resolve(
      (props.bucket.node.defaultChild as s3.CfnBucket).logicalId
    );
    for (const resource of [
      `${own}/*`,
      `${own}/*/${LOCKS}/*`,
      `${ARTIFACTS}*`
    ]) {
      Validations.of(this.policy).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${resource.replace(SOURCE_IDENTITY, '<aws:SourceIdentity>')}]`,
        reason:
          "The wildcard is inside the caller's own folder (<prefix>/${aws:SourceIdentity}/) or the read-only artifacts prefix: snapshot objects are content-addressed, so their names cannot be listed in advance. This is the isolation itself."
      });
    }
  }
}
