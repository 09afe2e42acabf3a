import { Match, Template } from 'aws-cdk-lib/assertions';
import { synthStack } from './synth';

const synth = (context: Record<string, string> = {}): Template =>
  synthStack(context).template;

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

  // Versioning is on by default since the agent only appends (issue 13): whatever an admin or a
  // backend role deletes or overwrites stays recoverable for noncurrentVersionDays.
  it('is versioned, and former versions expire after 30 days (context noncurrentVersionDays)', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          {
            Id: 'expire-noncurrent-versions',
            Status: 'Enabled',
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            ExpiredObjectDeleteMarker: true
          }
        ])
      }
    });
    synth({ noncurrentVersionDays: '90' }).hasResourceProperties(
      'AWS::S3::Bucket',
      {
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({
              NoncurrentVersionExpiration: { NoncurrentDays: 90 }
            })
          ])
        }
      }
    );
    const unversioned = synth({ versioned: 'false' }).findResources(
      'AWS::S3::Bucket',
      { Properties: { BucketEncryption: Match.anyValue() } }
    );
    expect(JSON.stringify(unversioned)).not.toContain(
      'VersioningConfiguration'
    );
    expect(JSON.stringify(unversioned)).not.toContain('NoncurrentVersion');
  });

  it('takes S3 Object Lock in governance mode only when asked, and only on a versioned bucket', () => {
    expect(
      JSON.stringify(template.findResources('AWS::S3::Bucket'))
    ).not.toContain('ObjectLock');
    synth({ objectLockDays: '14' }).hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 14 } }
      }
    });
    expect(() => synth({ objectLockDays: '14', versioned: 'false' })).toThrow(
      /versioned/
    );
    expect(() => synth({ objectLockDays: 'two weeks' })).toThrow(
      /whole number/
    );
  });

  it('lets the key be used only through S3 from this account, and keeps it manageable by the account', () => {
    const [key] = Object.values(template.findResources('AWS::KMS::Key'));
    const statements = key.Properties.KeyPolicy.Statement;
    expect(statements[0]).toMatchObject({
      Effect: 'Allow',
      Action: 'kms:*',
      Resource: '*'
    });
    expect(JSON.stringify(statements[0].Principal)).toContain(':root');
    expect(statements.slice(1)).toEqual([
      expect.objectContaining({
        Sid: 'UseOnlyThroughS3',
        Effect: 'Deny',
        Condition: expect.objectContaining({
          StringNotEquals: { 'kms:ViaService': expect.anything() }
        })
      }),
      expect.objectContaining({
        Sid: 'UseOnlyFromThisAccount',
        Effect: 'Deny',
        Condition: {
          StringNotEquals: { 'kms:CallerAccount': expect.anything() }
        }
      })
    ]);
  });

  it('refuses a studioExecutionRoleArns entry that is not a role ARN', () => {
    expect(() =>
      synth({ studioExecutionRoleArns: 'arn:aws:iam::123456789012:user/bob' })
    ).toThrow(/not an IAM role ARN/);
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
