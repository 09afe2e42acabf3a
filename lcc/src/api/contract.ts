/**
 * The agent's HTTP API, defined once for the agent (lcc/) and the panel (src/).
 * A change here that breaks the panel fails its build.
 */
import { z } from 'zod';
import { STUDIO_NAME } from './layout';

export const API_PREFIX = '/api/v1';
export const DEFAULT_AGENT_PORT = 8765;

export const HealthResponse = z.object({
  version: z.string(),
  repository: z.string(),
  status: z.enum(['ok', 'degraded'])
});
export type HealthResponse = z.infer<typeof HealthResponse>;

/** Every error the agent returns has this shape: one line a person can act on. */
export const ErrorResponse = z.object({
  error: z.string()
});
export type ErrorResponse = z.infer<typeof ErrorResponse>;

export const Totals = z.object({
  files: z.number(),
  dirs: z.number(),
  bytes: z.number(),
  filesNew: z.number(),
  filesChanged: z.number(),
  filesUnchanged: z.number(),
  bytesAdded: z.number(),
  skipped: z.number()
});

export const SnapshotSummary = z.object({
  id: z.string(),
  shortId: z.string(),
  time: z.string(),
  kind: z.enum(['studio-backup', 'reference']),
  complete: z.boolean(),
  tags: z.array(z.string()),
  totals: Totals.optional(),
  /** The manifest cannot be read: why, and how to remove it. */
  damaged: z.string().optional()
});
export type SnapshotSummary = z.infer<typeof SnapshotSummary>;

export const SnapshotsResponse = z.object({
  snapshots: z.array(SnapshotSummary)
});
export type SnapshotsResponse = z.infer<typeof SnapshotsResponse>;

export const TreeEntryResponse = z.object({
  name: z.string(),
  path: z.string(),
  type: z.enum(['file', 'dir', 'symlink']),
  size: z.number(),
  mtime: z.number().optional(),
  target: z.string().optional()
});
export const TreeResponse = z.object({
  snapshot: z.string(),
  path: z.string(),
  entries: z.array(TreeEntryResponse),
  total: z.number(),
  nextCursor: z.string().nullable()
});
export type TreeResponse = z.infer<typeof TreeResponse>;

/** One version of a path: the newest snapshot that holds it. */
export const Version = z.object({
  snapshot: z.string(),
  shortId: z.string(),
  time: z.string(),
  kind: z.enum(['studio-backup', 'reference']),
  type: z.enum(['file', 'dir', 'symlink']),
  size: z.number(),
  mtime: z.number().optional()
});
export type Version = z.infer<typeof Version>;

export const VersionsResponse = z.object({
  path: z.string(),
  versions: z.array(Version)
});
export type VersionsResponse = z.infer<typeof VersionsResponse>;

/** Files whose name matches, in every snapshot (GET /search). */
export const SearchResponse = z.object({
  pattern: z.string(),
  paths: z.array(z.object({ path: z.string(), versions: z.array(Version) })),
  /** More paths matched than the limit. */
  truncated: z.boolean(),
  snapshots: z.number()
});
export type SearchResponse = z.infer<typeof SearchResponse>;

export const DiffResponse = z.object({
  from: z.string(),
  to: z.string(),
  added: z.array(z.string()),
  removed: z.array(z.string()),
  changed: z.array(z.string())
});
export type DiffResponse = z.infer<typeof DiffResponse>;

export const Progress = z.object({
  phase: z.enum(['scan', 'backup', 'commit', 'restore', 'done']),
  filesTotal: z.number(),
  bytesTotal: z.number(),
  filesDone: z.number(),
  bytesDone: z.number(),
  bytesNew: z.number(),
  bytesUploaded: z.number(),
  etaSeconds: z.number().optional()
});
export type Progress = z.infer<typeof Progress>;

export const Job = z.object({
  id: z.string(),
  kind: z.enum(['backup', 'restore']),
  state: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  started: z.string(),
  finished: z.string().optional(),
  progress: Progress.optional(),
  /** Backup: the snapshot written; restore: the counts. */
  result: z.record(z.unknown()).optional(),
  warnings: z.array(z.string()),
  error: z.string().optional()
});
export type Job = z.infer<typeof Job>;

export const JobResponse = z.object({ job: Job });

export const StatusResponse = z.object({
  version: z.string(),
  repository: z.string(),
  home: z.string(),
  lastBackup: Job.nullable(),
  nextBackup: z.string().nullable(),
  running: Job.nullable()
});
export type StatusResponse = z.infer<typeof StatusResponse>;

export const RestoreRequestBody = z.object({
  snapshot: z.string().min(1),
  paths: z.array(z.string()).default([]),
  /** "original" writes into the home; "side" into restored-files/<snapshot>/. */
  target: z.enum(['original', 'side']).default('side'),
  conflict: z.enum(['skip', 'overwrite', 'rename']).default('skip'),
  dryRun: z.boolean().default(false)
});
export type RestoreRequestBody = z.infer<typeof RestoreRequestBody>;

export const RestorePlanResponse = z.object({
  snapshot: z.string(),
  target: z.string(),
  counts: z.object({
    restore: z.number(),
    overwrite: z.number(),
    skip: z.number(),
    rename: z.number(),
    unchanged: z.number()
  }),
  bytes: z.number(),
  items: z.array(
    z.object({
      path: z.string(),
      dest: z.string(),
      type: z.string(),
      action: z.string()
    })
  ),
  warnings: z.array(z.string())
});
export type RestorePlanResponse = z.infer<typeof RestorePlanResponse>;

export { STUDIO_NAME };
const studioName = z
  .string()
  .regex(STUDIO_NAME, 'must be a Studio name: letters, digits and hyphens');

const FullRestoreFields = z.object({
  kind: z.enum(['full-restore', 'recover-profile']),
  snapshot: z.string().default('latest'),
  target: z.enum(['original', 'side']).default('side'),
  /** recover-profile: the former user profile, and one of its spaces (all of them when absent). */
  fromProfile: z.string().optional(),
  fromSpace: z.string().optional()
});
/** What the panel may ask for: the former profile and space are checked here. */
export const FullRestoreRequest = FullRestoreFields.extend({
  fromProfile: studioName.optional(),
  fromSpace: studioName.optional()
});
export const FullRestoreRecord = FullRestoreFields.extend({
  id: z.string(),
  created: z.string(),
  state: z.enum(['pending', 'done', 'failed', 'forwarded']),
  message: z.string().optional(),
  /** Restores applied at start: how many times it was tried (a failed one is tried again). */
  attempts: z.number().int().nonnegative().optional()
});
export type FullRestoreRecord = z.infer<typeof FullRestoreRecord>;
export const RestoreRequestsResponse = z.object({
  requests: z.array(FullRestoreRecord)
});
export const RestoreRequestResponse = z.object({ request: FullRestoreRecord });

/** One recovery of this profile's home, from the backend's history (backend-rows' IHistoryRow). */
export const RecoveryRecord = z.object({
  time: z.string(),
  status: z.enum(['SUCCESS', 'FAILED']),
  /** DataSync from the former EFS home, or the former profile's S3 snapshots. */
  method: z.enum(['efs-datasync', 's3-snapshots']),
  fromProfile: z.string().optional(),
  bytesWritten: z.number().optional(),
  filesTransferred: z.number().optional(),
  durationMs: z.number().optional()
});
export type RecoveryRecord = z.infer<typeof RecoveryRecord>;
export const RecoveriesResponse = z.object({
  recoveries: z.array(RecoveryRecord),
  /** Why there is no history: no backend deployed for this domain. */
  reason: z.string().optional()
});
export type RecoveriesResponse = z.infer<typeof RecoveriesResponse>;

/** Retention, the last maintenance run and storage, for the panel (GET /maintenance). */
export const MaintenanceResponse = z.object({
  retention: z.object({
    policy: z.object({
      last: z.number().optional(),
      hourly: z.number().optional(),
      daily: z.number().optional(),
      weekly: z.number().optional(),
      monthly: z.number().optional()
    }),
    /** The profile's own policy, the domain's, or the built-in default. */
    source: z.enum(['profile', 'default', 'built-in']),
    includeReferenceCopies: z.boolean()
  }),
  /**
   * Per snapshot id, when retention will forget it if backups go on every `intervalMinutes` (an
   * estimate); null: kept more than two years, or a reference copy maintenance leaves alone.
   */
  keptUntil: z.record(z.string().nullable()),
  intervalMinutes: z.number(),
  lastRun: z
    .object({
      time: z.string(),
      status: z.enum(['done', 'skipped-locked', 'no-repository', 'failed']),
      message: z.string().optional(),
      snapshotsForgotten: z.number(),
      snapshotsKept: z.number(),
      bytesFreed: z.number(),
      durationMs: z.number()
    })
    .nullable(),
  storage: z.object({
    snapshots: z.number(),
    storedBytes: z.number(),
    logicalBytes: z.number(),
    latestBytes: z.number(),
    ratio: z.number(),
    /** On S3 only: an estimate of a month of S3 Standard storage at the region's price. */
    monthlyCost: z
      .object({
        usd: z.number(),
        region: z.string(),
        pricePerGbMonth: z.number(),
        priceDate: z.string()
      })
      .optional()
  }),
  /** Why the policy is the built-in default and there is no last run: no backend deployed. */
  reason: z.string().optional()
});
export type MaintenanceResponse = z.infer<typeof MaintenanceResponse>;

/** Settings a user may change from the panel; the agent keeps them across restarts. */
export const AgentSettings = z.object({
  intervalMinutes: z
    .number()
    .min(5)
    .max(7 * 24 * 60)
    .optional(),
  /** Hidden folders at the top of the home to back up anyway, e.g. ".config". */
  includeHidden: z
    .array(
      z
        .string()
        .regex(/^\.[^/]+$/, 'A hidden folder is one name starting with ".".')
    )
    .max(100)
    .optional(),
  /** Extra exclude patterns, gitignore syntax. */
  exclude: z.array(z.string().min(1)).max(1000).optional()
});
export type AgentSettings = z.infer<typeof AgentSettings>;
