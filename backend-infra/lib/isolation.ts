import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ARTIFACTS_PREFIX as ARTIFACTS, LOCKS } from '../core/bucket-layout';
import {
  isolationStatements,
  SOURCE_IDENTITY
} from '../core/isolation-statements';

export { LOCKS, SOURCE_IDENTITY };
export { REQUEST_ATTRIBUTES } from '../core/isolation-statements';

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
    const stack = Stack.of(this);
    // The statements are core/isolation-statements.ts's, which the admin CLI also builds for a
    // profile's own role (studio-backup-admin roles create).
    const statements = isolationStatements({
      partition: stack.partition,
      region: stack.region,
      account: stack.account,
      bucketArn: props.bucket.bucketArn,
      keyArn: props.key.keyArn,
      prefix: props.prefix,
      requestsTableArn: props.requestsTable.tableArn,
      historyTableArn: props.historyTable.tableArn,
      retentionTableArn: props.retentionTable?.tableArn,
      resultsTableArn: props.resultsTable?.tableArn
    });
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description:
        'Studio Backup: each user profile reaches only its own snapshots and restore requests, and only adds to its snapshots (needs ExecutionRoleIdentityConfig=USER_PROFILE_NAME on the domain).',
      statements: statements.map(statement =>
        iam.PolicyStatement.fromJson(statement)
      )
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
