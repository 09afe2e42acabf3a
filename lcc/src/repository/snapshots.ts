/** Snapshot manifests: the metadata of one backup and the id of its root tree. */
import { z } from 'zod';
import { BLOB_ID } from './blob-table';

export const SnapshotTotals = z.object({
  files: z.number().int(),
  dirs: z.number().int(),
  bytes: z.number(),
  filesNew: z.number().int(),
  filesChanged: z.number().int(),
  filesUnchanged: z.number().int(),
  bytesAdded: z.number(),
  skipped: z.number().int()
});
export type SnapshotTotals = z.infer<typeof SnapshotTotals>;

export const SnapshotManifest = z.object({
  version: z.literal(1),
  time: z.string(),
  host: z.string(),
  source: z.string(),
  profile: z.string().optional(),
  space: z.string().optional(),
  appType: z.string().optional(),
  tags: z.array(z.string()),
  tree: z.string().regex(BLOB_ID),
  totals: SnapshotTotals,
  program: z.string(),
  durationMs: z.number()
});
export type SnapshotManifest = z.infer<typeof SnapshotManifest>;

/** A snapshot as listed: ours, or a folder written by the reference LCC (read-only). */
export interface ISnapshotInfo {
  id: string;
  shortId: string;
  time: string;
  kind: 'studio-backup' | 'reference';
  complete: boolean;
  manifest?: SnapshotManifest;
  /** Why the manifest cannot be read, and what to do (ours only). */
  damaged?: string;
}
