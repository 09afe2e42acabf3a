import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ARTIFACTS_PREFIX, StorageConstruct } from './storage';

/** Composes the backend's constructs; recovery and restore requests join here in later work. */
export class StudioBackupStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const storage = new StorageConstruct(this, 'Storage', {
      versioned: this.node.tryGetContext('versioned') === 'true'
    });
    new CfnOutput(this, 'BackupBucketName', { value: storage.bucket.bucketName });
    new CfnOutput(this, 'ArtifactsLocation', {
      value: `s3://${storage.bucket.bucketName}/${ARTIFACTS_PREFIX}`
    });
  }
}
