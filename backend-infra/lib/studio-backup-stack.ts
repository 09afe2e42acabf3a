import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { UserIsolationPolicy } from './isolation';
import { RecoveryConstruct } from './recovery';
import { RestoreRequestsConstruct } from './requests';
import { ARTIFACTS_PREFIX, StorageConstruct } from './storage';

/**
 * The backend: the backup bucket, per-user isolation, EFS home recovery and the restore-requests
 * table. Network settings come from context (-c subnetArn=... -c securityGroupArn=...), as the
 * reference's SAM parameters did.
 */
export class StudioBackupStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const context = (name: string, fallback: string) =>
      (this.node.tryGetContext(name) as string | undefined) ?? fallback;
    const storage = new StorageConstruct(this, 'Storage', {
      versioned: context('versioned', 'false') === 'true',
      tierAfterDays: Number(context('tierAfterDays', '0')) || undefined
    });
    const prefix = context('prefix', 'studio-backups');
    const recovery = new RecoveryConstruct(this, 'Recovery', {
      seed: context('skipSeed', 'false') !== 'true',
      backupBucket: storage.bucket,
      backupPrefix: prefix,
      subnetArn: context(
        'subnetArn',
        `arn:${this.partition}:ec2:${this.region}:${this.account}:subnet/subnet-REPLACE-ME`
      ),
      securityGroupArn: context(
        'securityGroupArn',
        `arn:${this.partition}:ec2:${this.region}:${this.account}:security-group/sg-REPLACE-ME`
      )
    });
    const requests = new RestoreRequestsConstruct(this, 'RestoreRequests', {
      userTable: recovery.userTable,
      historyTable: recovery.historyTable,
      stateMachine: recovery.stateMachine,
      deadLetters: recovery.deadLetters,
      bucket: storage.bucket,
      key: storage.key,
      prefix,
      dashboard: recovery.dashboard
    }).table;
    const isolation = new UserIsolationPolicy(this, 'UserIsolation', {
      bucket: storage.bucket,
      key: storage.key,
      prefix,
      requestsTable: requests,
      historyTable: recovery.historyTable
    });
    new CfnOutput(this, 'BackupBucketName', {
      value: storage.bucket.bucketName
    });
    new CfnOutput(this, 'ArtifactsLocation', {
      value: `s3://${storage.bucket.bucketName}/${ARTIFACTS_PREFIX}`
    });
    new CfnOutput(this, 'UserIsolationPolicyArn', {
      value: isolation.policy.managedPolicyArn
    });
    new CfnOutput(this, 'StudioUserTable', {
      value: recovery.userTable.tableName
    });
    new CfnOutput(this, 'StudioUserHistoryTable', {
      value: recovery.historyTable.tableName
    });
    new CfnOutput(this, 'RestoreRequestsTable', { value: requests.tableName });
  }
}
