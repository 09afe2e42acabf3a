import { skipCheckov } from './checkov';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export { ARTIFACTS_PREFIX } from '../core/bucket-layout';

/** How long an overwritten or deleted object's former version is kept (default 30 days). */
export const NONCURRENT_VERSION_DAYS = 30;

export interface IStorageProps {
  /**
   * Keep every object version (default true): a snapshot object that is overwritten or deleted
   * anyway (by a backend or admin role, which the bucket policy does not fence) stays recoverable
   * for `noncurrentVersionDays`.
   */
  readonly versioned?: boolean;
  /** Days a noncurrent version is kept before it expires (default 30). */
  readonly noncurrentVersionDays?: number;
  /**
   * S3 Object Lock in governance mode with this default retention in days (off by default). Only
   * when the bucket is created: S3 cannot turn it on for this bucket later through CloudFormation.
   */
  readonly objectLockDays?: number;
  /** Move objects to S3 Intelligent-Tiering after this many days (packs of old snapshots cost less). */
  readonly tierAfterDays?: number;
}

/** The backup bucket: customer-managed KMS key, TLS only, no public access, incomplete uploads cleaned up. */
export class StorageConstruct extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: IStorageProps = {}) {
    super(scope, id);
    const versioned = props.versioned ?? true;
    const noncurrentDays =
      props.noncurrentVersionDays ?? NONCURRENT_VERSION_DAYS;
    if (props.objectLockDays !== undefined && !versioned) {
      throw new Error(
        'S3 Object Lock needs a versioned bucket: drop -c versioned=false or -c objectLockDays.'
      );
    }
    this.key = new kms.Key(this, 'BackupKey', {
      description: 'Encrypts Studio Backup snapshots',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN
    });
    // Server access logs of the backup bucket, for audits of who read which snapshot.
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: Duration.days(365) }
      ]
    });
    skipCheckov(accessLogs, [
      {
        id: 'CKV_AWS_18',
        comment: 'The access-log target: logging it into itself would loop.'
      },
      {
        id: 'CKV_AWS_21',
        comment:
          'Log delivery writes each object once and the lifecycle expires it after a year; versions would keep expired logs.'
      }
    ]);
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason:
        'This bucket is the access-log target; logging it into itself would loop.'
    });
    this.bucket = new s3.Bucket(this, 'BackupBucket', {
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'backup-bucket/',
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned,
      ...(props.objectLockDays !== undefined
        ? {
            objectLockEnabled: true,
            objectLockDefaultRetention: s3.ObjectLockRetention.governance(
              Duration.days(props.objectLockDays)
            )
          }
        : {}),
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'abort-incomplete-uploads',
          abortIncompleteMultipartUploadAfter: Duration.days(2)
        },
        ...(versioned
          ? [
              {
                id: 'expire-noncurrent-versions',
                noncurrentVersionExpiration: Duration.days(noncurrentDays),
                expiredObjectDeleteMarker: true
              }
            ]
          : []),
        ...(props.tierAfterDays
          ? [
              {
                id: 'tier-old-content',
                transitions: [
                  {
                    storageClass: s3.StorageClass.INTELLIGENT_TIERING,
                    transitionAfter: Duration.days(props.tierAfterDays)
                  }
                ]
              }
            ]
          : [])
      ]
    });
  }
}
