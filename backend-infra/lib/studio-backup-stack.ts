import { Aspects, CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { CheckovJustifications } from './checkov';
import { Construct } from 'constructs';
import { BucketGuard } from './bucket-guard';
import { UserIsolationPolicy } from './isolation';
import { DEFAULT_SCHEDULE, MaintenanceConstruct } from './maintenance';
import { MigrationConstruct } from './migration';
import { RecoveryConstruct } from './recovery';
import { fileMappedRestores } from './recovery-functions';
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
    Aspects.of(this).add(new CheckovJustifications());
    const context = (name: string, fallback: string) =>
      (this.node.tryGetContext(name) as string | undefined) ?? fallback;
    const number = (name: string) => {
      const value = this.node.tryGetContext(name) as string | undefined;
      if (value === undefined || value === '') return undefined;
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) {
        throw new Error(
          `-c ${name}=${value}: a whole number of days, 1 or more.`
        );
      }
      return n;
    };
    const storage = new StorageConstruct(this, 'Storage', {
      versioned: context('versioned', 'true') !== 'false',
      noncurrentVersionDays: number('noncurrentVersionDays'),
      objectLockDays: number('objectLockDays'),
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
    const restoreRequests = new RestoreRequestsConstruct(
      this,
      'RestoreRequests',
      {
        userTable: recovery.userTable,
        historyTable: recovery.historyTable,
        stateMachine: recovery.stateMachine,
        deadLetters: recovery.deadLetters,
        bucket: storage.bucket,
        key: storage.key,
        prefix,
        dashboard: recovery.dashboard
      }
    );
    const requests = restoreRequests.table;
    fileMappedRestores(recovery.studioEvents, requests);
    new BucketGuard(this, 'BucketGuard', {
      bucket: storage.bucket,
      key: storage.key,
      prefix,
      backendRoles: [restoreRequests.processing.copier.role!],
      studioExecutionRoleArns: context('studioExecutionRoleArns', '')
        .split(',')
        .map(arn => arn.trim())
        .filter(Boolean)
        .map(arn => {
          if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(arn)) {
            throw new Error(
              `-c studioExecutionRoleArns: ${arn} is not an IAM role ARN.`
            );
          }
          return arn;
        })
    });
    const maintenance = new MaintenanceConstruct(this, 'Maintenance', {
      bucket: storage.bucket,
      key: storage.key,
      prefix,
      schedule: context('maintenanceSchedule', DEFAULT_SCHEDULE),
      maxConcurrency: Number(context('maintenanceConcurrency', '40'))
    });
    const migration = new MigrationConstruct(this, 'Migration', {
      bucket: storage.bucket,
      key: storage.key,
      prefix,
      lister: maintenance.lister,
      maxConcurrency: Number(context('maintenanceConcurrency', '40'))
    });
    const isolation = new UserIsolationPolicy(this, 'UserIsolation', {
      bucket: storage.bucket,
      key: storage.key,
      prefix,
      requestsTable: requests,
      historyTable: recovery.historyTable,
      retentionTable: maintenance.retentionTable,
      resultsTable: maintenance.resultsTable
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
    new CfnOutput(this, 'RetentionTable', {
      value: maintenance.retentionTable.tableName
    });
    new CfnOutput(this, 'MigrationStateMachineArn', {
      value: migration.stateMachine.stateMachineArn
    });
    new CfnOutput(this, 'MaintenanceResultsTable', {
      value: maintenance.resultsTable.tableName
    });
  }
}
