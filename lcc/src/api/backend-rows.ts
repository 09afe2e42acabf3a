/**
 * The rows of the backend's DynamoDB tables that the agent and the Lambdas (and the state machines'
 * DynamoDB tasks) both read or write, with the names they are stored under. Declared once here and
 * dependency-free, so that a Lambda importing it stays small.
 */

/** A restore request's life in the backend; a row the user just filed has no state yet. */
export type RequestState =
  | 'new'
  | 'pending-approval'
  | 'approved'
  | 'forwarded'
  | 'done'
  | 'failed'
  | 'rejected';

/** A row of the restore-requests table (key: user_profile_name + request_id). */
export interface IRequestRow {
  user_profile_name: string;
  request_id: string;
  kind: 'full-restore' | 'recover-profile';
  /** Absent on a request just filed: users cannot write it (see backend-infra/lib/isolation.ts). */
  state?: RequestState;
  /**
   * 'map': filed already approved by the backend for a space of a profile the admin mapped
   * (`studio-backup-admin map`, backend-infra/core/mapped-restore.ts). Users cannot write it either.
   */
  approved_by?: 'map';
  message?: string;
  domain_id?: string;
  domain_name?: string;
  snapshot?: string;
  target?: 'original' | 'side';
  /** recover-profile: the former profile, and its space (all of its spaces when absent). */
  from_profile?: string;
  from_space?: string;
  /** The requester's space, which receives the copied snapshots. */
  space_name?: string;
  created?: string;
  /** While the backend copies a former profile's snapshots (ADDed by each copy batch). */
  objects_copied?: number;
  bytes_copied?: number;
}

/** A row of the studioUserHistory table (key: profile_name + epoctime): what happened to a home. */
export interface IHistoryRow {
  profile_name: string;
  /** Milliseconds since the epoch: when the event happened or the recovery was asked for. */
  epoctime: number;
  event: 'created' | 'recovery';
  domain_id?: string;
  domain_name?: string;
  /** recovery: how the home came back (absent: DataSync from the former EFS home). */
  method?: 's3-snapshots';
  from_profile?: string;
  replication_status?: 'SUCCESS' | 'FAILED';
  /** The Step Functions execution that ran the recovery. */
  execution?: string;
  bytes_written?: number;
  bytes_file_transferred?: number;
  total_duration_ms?: number;
}

/** A row of the maintenance results table (key: profile + run = `<space>#<started_at>`). */
export interface IMaintenanceRunRow {
  profile: string;
  run: string;
  repository: string;
  space: string;
  /** done; skipped-locked (a backup or another prune held the lock); no-repository; failed. */
  status: 'done' | 'skipped-locked' | 'no-repository' | 'failed';
  message?: string;
  /** The policy applied, described ("hourly 24, daily 14"), and where it came from. */
  policy: string;
  policy_source: 'profile' | 'default' | 'built-in';
  include_reference_copies: boolean;
  snapshots_forgotten: number;
  snapshots_kept: number;
  reference_copies_forgotten: number;
  reference_copies_kept: number;
  packs_deleted: number;
  bytes_freed: number;
  stored_bytes: number;
  started_at: string;
  duration_ms: number;
  /** DynamoDB TTL, in seconds since the epoch. */
  expires_at: number;
}

/** A history row's field names, for the state machines' DynamoDB tasks (checked by the compiler). */
export type HistoryField = keyof IHistoryRow;

/**
 * The error a recovery state machine fails with once it has itself recorded the failure (row,
 * history, dead letters); the Lambda that watches stopped executions records every other one.
 */
export const RECORDED_FAILURE = 'RecoveryFailed';
