/**
 * The recovery history row (what the panel lists under "recoveries"), written by the EFS recovery
 * and by the S3-snapshot recovery of a request: one builder, so both write the same fields.
 */
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { HistoryField, IHistoryRow } from '../../lcc/src/api/backend-rows';

export interface IRecoveryHistoryProps {
  table: dynamodb.ITable;
  /** Where the state's input holds the user profile's name (the row's partition key). */
  profilePath: string;
  status: NonNullable<IHistoryRow['replication_status']>;
  /** More fields of the row, by their stored names. */
  fields?: Partial<Record<HistoryField, tasks.DynamoAttributeValue>>;
}

/** Appends a recovery row keyed by the time the recovery was asked for (`$.requested_at`, ms). */
export function putRecoveryHistory(
  scope: Construct,
  id: string,
  props: IRecoveryHistoryProps
): tasks.DynamoPutItem {
  const item: Partial<Record<HistoryField, tasks.DynamoAttributeValue>> = {
    profile_name: tasks.DynamoAttributeValue.fromString(
      sfn.JsonPath.stringAt(props.profilePath)
    ),
    epoctime: tasks.DynamoAttributeValue.numberFromString(
      sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.requested_at'))
    ),
    event: tasks.DynamoAttributeValue.fromString('recovery'),
    replication_status: tasks.DynamoAttributeValue.fromString(props.status),
    execution: tasks.DynamoAttributeValue.fromString(
      sfn.JsonPath.stringAt('$$.Execution.Id')
    ),
    ...props.fields
  };
  return new tasks.DynamoPutItem(scope, id, {
    table: props.table,
    item: item as Record<string, tasks.DynamoAttributeValue>,
    resultPath: sfn.JsonPath.DISCARD
  });
}
