import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { StudioBackupStack } from '../lib/studio-backup-stack';

function synth(context: Record<string, string> = {}): Template {
  const app = new App({ context });
  return Template.fromStack(new StudioBackupStack(app, 'Test'));
}

describe('backup bucket', () => {
  const template = synth();

  it('is encrypted with a rotating customer-managed KMS key', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({
            ServerSideEncryptionByDefault: Match.objectLike({
              SSEAlgorithm: 'aws:kms'
            }),
            BucketKeyEnabled: true
          })
        ]
      }
    });
  });

  it('blocks public access and aborts incomplete multipart uploads', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 },
            Status: 'Enabled'
          })
        ])
      }
    });
  });

  it('denies every request that does not use TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } }
          })
        ])
      }
    });
  });

  it('is versioned only when asked', () => {
    expect(
      JSON.stringify(template.findResources('AWS::S3::Bucket'))
    ).not.toContain('VersioningConfiguration');
    synth({ versioned: 'true' }).hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' }
    });
  });

  it('keeps the bucket and the key when the stack is deleted', () => {
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });
});

describe('optional tiering of old content', () => {
  it('is off by default and moves objects to Intelligent-Tiering after the given days', () => {
    const rules = (t: Template) =>
      Object.values(t.findResources('AWS::S3::Bucket'))
        .flatMap((b: any) => b.Properties.LifecycleConfiguration?.Rules ?? [])
        .map((r: any) => r.Id);
    expect(rules(synth())).not.toContain('tier-old-content');
    synth({ tierAfterDays: '30' }).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'tier-old-content',
            Transitions: [
              { StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 30 }
            ]
          })
        ])
      }
    });
  });
});
