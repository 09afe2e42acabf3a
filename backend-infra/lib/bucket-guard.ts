/**
 * The trust boundary in the bucket policy and the key policy, so that it holds whatever the Studio
 * execution role's own policies allow (AmazonSageMakerFullAccess, an admin's AdministratorAccess):
 * a session that carries a source identity (Studio sets it to the user profile's name when the
 * domain has ExecutionRoleIdentityConfig=USER_PROFILE_NAME) reads only its own folder and the staged
 * artifacts, lists only those, creates objects only once (`If-None-Match: *`), and overwrites or
 * deletes nothing but its own lock objects. The backend's roles (Lambda functions, state machines)
 * and the admins' roles carry no source identity, so none of these denies matches them: they are
 * the named exceptions, fenced by their own identity policies. Among them, only the maintenance
 * function's role (lib/maintenance.ts: forget + prune under the repository lock) and the admins may
 * delete snapshot data; it uses the key only through S3, so it is not one of `backendRoles` below.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ARTIFACTS_PREFIX as ARTIFACTS, LOCKS } from '../core/bucket-layout';
import {
  mergeConditions,
  PROFILE_ROLE_PREFIX,
  PROFILE_TAG,
  SOURCE_IDENTITY
} from '../core/isolation-statements';

/** The profile a profile's own role names in its tag, as a policy variable. */
const PROFILE_TAG_VARIABLE = `\${aws:PrincipalTag/${PROFILE_TAG}}`;

/** The S3 actions a Studio session may still be allowed by its role; every other one is denied. */
export const SESSION_ACTIONS = [
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:AbortMultipartUpload',
  's3:ListBucket',
  // The bucket's region, which the AWS CLI may ask before a copy.
  's3:GetBucketLocation'
];

/** What the key may do only through S3 (SSE-KMS) from this account. */
export const KEY_USE = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey*',
  'kms:ReEncrypt*'
];

export interface IBucketGuardProps {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  /** Repositories live under `<prefix>/<user profile>/<space>/`. */
  readonly prefix: string;
  /** The backend's roles that hold a grant on the key: excepted from "only through S3". */
  readonly backendRoles: iam.IRole[];
  /**
   * The Studio execution roles (context studioExecutionRoleArns): a session of theirs with no
   * source identity (a domain not set to USER_PROFILE_NAME) may only read the staged artifacts.
   */
  readonly studioExecutionRoleArns?: string[];
}

type Conditions = Record<string, Record<string, string | string[]>>;
type Deny = (
  sid: string,
  statement: Omit<iam.PolicyStatementProps, 'sid' | 'effect' | 'principals'>
) => void;

export class BucketGuard extends Construct {
  constructor(scope: Construct, id: string, props: IBucketGuardProps) {
    super(scope, id);
    const { bucket, key, prefix } = props;
    const objects = (pattern: string) => bucket.arnForObjects(pattern);
    const deny: Deny = (sid, statement) =>
      void bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          ...statement
        })
      );

    // The same fence twice: around a session that carries its user's source identity (a role
    // shared by the profiles), and around a profile's own role (studio-backup-admin roles create),
    // known by its name and fenced to the folder of the profile its tag names.
    fence(deny, bucket, prefix, 'Sessions', SOURCE_IDENTITY, {
      Null: { 'aws:SourceIdentity': 'false' }
    });
    const profileRoles = Stack.of(this).formatArn({
      service: 'iam',
      region: '',
      account: '*',
      resource: 'role',
      resourceName: `${PROFILE_ROLE_PREFIX}*`
    });
    fence(deny, bucket, prefix, 'ProfileRoles', PROFILE_TAG_VARIABLE, {
      ArnLike: { 'aws:PrincipalArn': profileRoles }
    });
    // Its tag removed, such a role would name no folder: it then reaches nothing of the bucket.
    deny('ProfileRolesWithoutTheirTagUseNothing', {
      actions: ['s3:*'],
      resources: [bucket.bucketArn, objects('*')],
      conditions: {
        ArnLike: { 'aws:PrincipalArn': profileRoles },
        Null: { [`aws:PrincipalTag/${PROFILE_TAG}`]: 'true' }
      }
    });

    const studioRoles = props.studioExecutionRoleArns ?? [];
    if (studioRoles.length > 0) {
      const withoutIdentity = {
        Null: { 'aws:SourceIdentity': 'true' },
        ArnLike: { 'aws:PrincipalArn': studioRoles }
      };
      deny('StudioRolesWithoutIdentityOnlyRead', {
        notActions: ['s3:GetObject', 's3:ListBucket'],
        resources: [bucket.bucketArn, objects('*')],
        conditions: withoutIdentity
      });
      deny('StudioRolesWithoutIdentityReadOnlyArtifacts', {
        actions: ['s3:GetObject'],
        notResources: [objects(`${ARTIFACTS}*`)],
        conditions: withoutIdentity
      });
      deny('StudioRolesWithoutIdentityListOnlyArtifacts', {
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: {
          ...withoutIdentity,
          StringNotLike: { 's3:prefix': [ARTIFACTS, `${ARTIFACTS}*`] }
        }
      });
    }

    // The key: its administration stays with the account (CDK's default statement, root kms:*,
    // which also lets IAM policies grant its use); its use is only through S3 from this account,
    // except for the backend's roles.
    const stack = Stack.of(this);
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'UseOnlyThroughS3',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: KEY_USE,
        resources: ['*'],
        conditions: {
          StringNotEquals: {
            'kms:ViaService': `s3.${stack.region}.amazonaws.com`
          },
          ...(props.backendRoles.length > 0
            ? {
                ArnNotEquals: {
                  'aws:PrincipalArn': props.backendRoles.map(r => r.roleArn)
                }
              }
            : {})
        }
      })
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'UseOnlyFromThisAccount',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: KEY_USE,
        resources: ['*'],
        conditions: {
          StringNotEquals: { 'kms:CallerAccount': stack.account }
        }
      })
    );
  }
}

/**
 * The denies around one kind of Studio principal (`whose`; `who` begins their ids): it reads only
 * its own folder `<prefix>/<profile>` and the staged artifacts, lists only those, creates objects
 * only once and overwrites or deletes nothing but its own locks, whatever its role allows.
 */
function fence(
  deny: Deny,
  bucket: s3.IBucket,
  prefix: string,
  who: string,
  profile: string,
  whose: Conditions
): void {
  const own = `${prefix}/${profile}`;
  const objects = (pattern: string) => bucket.arnForObjects(pattern);
    deny(`${who}ReadOnlyTheirFolderAndArtifacts`, {
      actions: ['s3:GetObject'],
      notResources: [objects(`${own}/*`), objects(`${ARTIFACTS}*`)],
      conditions: whose
    });
    deny(`${who}WriteOnlyInTheirFolder`, {
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      notResources: [objects(`${own}/*`)],
      conditions: whose
    });
    deny(`${who}ListOnlyTheirFolderAndArtifacts`, {
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: {
        ...whose,
        // A listing without a prefix has no s3:prefix, and StringNotLike is true then: denied.
        StringNotLike: {
          's3:prefix': [`${own}/`, `${own}/*`, ARTIFACTS, `${ARTIFACTS}*`]
        }
      }
    });
    deny(`${who}DeleteOnlyTheirLocks`, {
      actions: ['s3:DeleteObject'],
      notResources: [objects(`${own}/*/${LOCKS}/*`)],
      conditions: whose
    });
    // "Enforce conditional writes on Amazon S3 buckets" (S3 User Guide): PutObject and
    // CompleteMultipartUpload (s3:ObjectCreationOperation true) without If-None-Match are refused;
    // CreateMultipartUpload and UploadPart (false) cannot carry the header. IfExists: should S3 ever
    // leave the key out, the write is refused rather than let through unconditionally.
    deny(`${who}CreateOnlyOnceOutsideTheirLocks`, {
      actions: ['s3:PutObject'],
      notResources: [objects(`${own}/*/${LOCKS}/*`)],
      conditions: mergeConditions(whose, {
        Null: { 's3:if-none-match': 'true' },
        BoolIfExists: { 's3:ObjectCreationOperation': 'true' }
      })
    });
    // A wildcard spans "/", so `<own>/*/locks/*` also names `<own>/<space>/<timestamp>/x/locks/y`,
    // a file of a reference copy: the agent's locks sit right under a space, never deeper.
    deny(`${who}HaveNoLocksBelowASpace`, {
      actions: ['s3:PutObject', 's3:DeleteObject'],
      resources: [objects(`${prefix}/*/*/*/${LOCKS}/*`)],
      conditions: whose
    });
    // No versions, retention, legal holds, tags, ACLs, lifecycle, policy or versioning changes.
    deny(`${who}UseNoOtherS3Action`, {
      notActions: SESSION_ACTIONS,
      resources: [bucket.bucketArn, objects('*')],
      conditions: whose
    });
}
