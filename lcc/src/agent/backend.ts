/**
 * The agent's view of the Studio Backup backend, when it is deployed: restore requests go to its
 * table (IAM lets a session write only rows keyed by its own user profile) and the recovery history
 * comes from studioUserHistory (own rows only).
 */
import {
  DynamoDBClient,
  paginateQuery,
  PutItemCommand
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type {
  IHistoryRow,
  IMaintenanceRunRow,
  IRequestRow
} from '../api/backend-rows';
import {
  IRetentionSetting,
  lastMaintenanceRun,
  retentionFor
} from '../maintenance/retention-store';
import type { FullRestoreRecord, RecoveryRecord } from '../api/contract';
import { humanBytes } from '../progress/progress';
import { HttpError } from './http';

export interface IBackendOptions {
  requestsTable: string;
  historyTable: string;
  /** The maintenance tables (retention policy, runs); absent on an older deployment. */
  retentionTable?: string;
  resultsTable?: string;
  profile: string;
  domainId: string;
  /** The space this agent backs up: a recovery's snapshots are copied into it. */
  space?: string;
  client?: DynamoDBClient;
}

/** The backend's request states, in the four the panel knows. */
const STATES: Record<
  NonNullable<IRequestRow['state']>,
  FullRestoreRecord['state']
> = {
  new: 'pending',
  'pending-approval': 'pending',
  approved: 'forwarded',
  forwarded: 'forwarded',
  done: 'done',
  failed: 'failed',
  rejected: 'failed'
};

/** While the backend copies a former profile's snapshots, the row counts what it copied so far. */
function withProgress(
  message: string | undefined,
  row: IRequestRow
): string | undefined {
  if (row.state !== 'forwarded' || row.objects_copied === undefined) {
    return message;
  }
  const copied = `${Number(row.objects_copied)} objects, ${humanBytes(Number(row.bytes_copied ?? 0))} copied`;
  return message ? `${message} (${copied})` : copied;
}

export class Backend {
  private readonly client: DynamoDBClient;

  constructor(private readonly options: IBackendOptions) {
    this.client = options.client ?? new DynamoDBClient({});
  }

  async fileRequest(record: FullRestoreRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.options.requestsTable,
        Item: marshall(
          {
            user_profile_name: this.options.profile,
            request_id: record.id,
            kind: record.kind,
            snapshot: record.snapshot,
            target: record.target,
            from_profile: record.fromProfile,
            from_space: record.fromSpace,
            domain_id: this.options.domainId,
            space_name: this.options.space,
            created: record.created
          } satisfies IRequestRow,
          { removeUndefinedValues: true }
        ),
        ConditionExpression: 'attribute_not_exists(request_id)'
      })
    );
  }

  async requests(): Promise<FullRestoreRecord[]> {
    const items = await this.ownRows<IRequestRow>(
      this.options.requestsTable,
      'user_profile_name'
    );
    return items.map(r => {
      return {
        id: r.request_id,
        kind: r.kind,
        snapshot: r.snapshot ?? 'latest',
        target: r.target ?? 'side',
        fromProfile: r.from_profile,
        fromSpace: r.from_space,
        // Rows the agent filed carry it; one written by hand may not.
        created: r.created ?? '',
        // A request has no state until the backend's policy has seen it (users cannot write one).
        state: (r.state && STATES[r.state]) ?? 'pending',
        message: withProgress(
          r.message ??
            (r.state === 'pending-approval'
              ? "Waiting for your Studio admin's approval."
              : undefined),
          r
        )
      };
    });
  }

  async recoveries(): Promise<RecoveryRecord[]> {
    const rows = await this.ownRows<IHistoryRow>(
      this.options.historyTable,
      'profile_name',
      false
    );
    return rows
      .filter(r => r.event === 'recovery')
      .map(r => ({
        time: new Date(Number(r.epoctime)).toISOString(),
        // A row with no status was written by a recovery that never finished recording.
        status: r.replication_status ?? 'FAILED',
        method: r.method ?? 'efs-datasync',
        fromProfile: r.from_profile,
        bytesWritten: r.bytes_written,
        filesTransferred: r.bytes_file_transferred,
        durationMs: r.total_duration_ms
      }));
  }

  /** The retention policy in force for this profile: its own, else the domain's, else the default. */
  async retention(): Promise<IRetentionSetting | undefined> {
    const table = this.options.retentionTable;
    return table
      ? retentionFor(this.client, table, this.options.profile)
      : undefined;
  }

  /** The newest maintenance run of this space, if the backend recorded one. */
  async lastMaintenance(): Promise<IMaintenanceRunRow | undefined> {
    const table = this.options.resultsTable;
    return table && this.options.space
      ? lastMaintenanceRun(
          this.client,
          table,
          this.options.profile,
          this.options.space
        )
      : undefined;
  }

  /** Every row keyed by the own profile (IAM allows no other), all pages of the query. */
  private async ownRows<Row>(
    table: string,
    key: string,
    oldestFirst = true
  ): Promise<Row[]> {
    const rows: Row[] = [];
    for await (const page of paginateQuery(
      { client: this.client },
      {
        TableName: table,
        KeyConditionExpression: '#k = :p',
        ExpressionAttributeNames: { '#k': key },
        ExpressionAttributeValues: marshall({ ':p': this.options.profile }),
        ScanIndexForward: oldestFirst
      }
    )) {
      rows.push(...(page.Items ?? []).map(item => unmarshall(item) as Row));
    }
    return rows;
  }
}

/** A backend that does not answer is a 502 with its one-line reason. */
export function backendError(err: unknown): never {
  const e = err as Error;
  throw new HttpError(
    502,
    e.name === 'AccessDeniedException'
      ? 'The backend refused the request: the Studio execution role needs the Studio Backup user policy (stack output UserIsolationPolicyArn).'
      : `The Studio Backup backend did not answer: ${e.message.split('\n')[0]}`
  );
}
