/**
 * checkov's findings that do not apply here, each with the reason, as CloudFormation Metadata
 * (`checkov.skip`, which checkov reads from the template): next to the resource, never a blanket
 * skip on the command line. tests/shell/test_cdk_synth_offline.sh runs checkov on the template.
 */
import { CfnResource, IAspect } from 'aws-cdk-lib';
import { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';

export interface ICheckovSkip {
  id: string;
  comment: string;
}

export function skipCheckov(scope: IConstruct, skips: ICheckovSkip[]): void {
  const cfn = (
    scope instanceof CfnResource ? scope : scope.node.defaultChild
  ) as CfnResource;
  const before =
    (cfn.getMetadata('checkov') as { skip?: ICheckovSkip[] } | undefined)
      ?.skip ?? [];
  cfn.addMetadata('checkov', { skip: [...before, ...skips] });
}

/** What every function of the stack shares (ours and CDK's custom-resource providers). */
const FUNCTION_SKIPS: ICheckovSkip[] = [
  {
    id: 'CKV_AWS_115',
    comment:
      "Concurrency is bounded where the work comes from: the maintenance map's MaxConcurrency, the DynamoDB streams' shards, one EventBridge rule each; a reserved limit would take from the account's pool."
  },
  {
    id: 'CKV_AWS_116',
    comment:
      'No asynchronous invocation to catch: Step Functions calls these functions synchronously (its Catch sends failures to the dead-letter queue), streams retry their records, and handlers record failures on the row.'
  },
  {
    id: 'CKV_AWS_117',
    comment:
      'They call only AWS APIs (S3, DynamoDB, SageMaker, Step Functions, DataSync); in a VPC they would need NAT or endpoints for each, and reach nothing more.'
  },
  {
    id: 'CKV_AWS_173',
    comment:
      'The environment holds table, bucket and queue names only, no secret; Lambda encrypts it at rest with its own key.'
  }
];

/**
 * Applies the skips that hold for a whole kind of resource: functions, tables (no CMK: the backup
 * key's policy allows use only through S3, and the rows hold names and counts, not file content),
 * log groups (execution events, no file content) and queues (SQS-managed encryption).
 */
export class CheckovJustifications implements IAspect {
  visit(node: IConstruct): void {
    if (node instanceof CfnFunction) {
      // A function that has a dead-letter queue passes CKV_AWS_116 and keeps it checked.
      skipCheckov(
        node,
        FUNCTION_SKIPS.filter(
          s => s.id !== 'CKV_AWS_116' || !node.deadLetterConfig
        )
      );
    } else if (node instanceof CfnTable) {
      skipCheckov(node, [
        {
          id: 'CKV_AWS_119',
          comment:
            "DynamoDB encrypts every table at rest; the rows are names, states and counts, and the backup key's policy allows its use through S3 only."
        }
      ]);
    } else if (node instanceof CfnLogGroup) {
      skipCheckov(node, [
        {
          id: 'CKV_AWS_158',
          comment:
            'Execution and transfer events (states, ARNs, file counts), no file content; CloudWatch Logs encrypts them at rest.'
        }
      ]);
    } else if (node instanceof CfnQueue && node.sqsManagedSseEnabled) {
      skipCheckov(node, [
        {
          id: 'CKV_AWS_27',
          comment:
            'Encrypted at rest with SQS-managed keys (SqsManagedSseEnabled); the check knows only KMS keys.'
        }
      ]);
    }
  }
}
