/** Directory listings: one tree blob per folder, so listing a folder loads only that folder. */
import { z } from 'zod';

export const TreeEntry = z.object({
  /** Checked on restore (restore/paths.ts checkName), so that a bad name refuses the restore in one line. */
  name: z.string(),
  type: z.enum(['file', 'dir', 'symlink']),
  mode: z.number().int(),
  mtime: z.number(),
  size: z.number().int().nonnegative().optional(),
  /** Blob ids of the content, in order (files). */
  content: z.array(z.string()).optional(),
  /** Tree blob id (folders). */
  subtree: z.string().optional(),
  /** Link target (symlinks), stored as written. */
  target: z.string().optional(),
  /** The file kept changing while it was read: the stored copy may mix two versions. */
  changedDuringBackup: z.boolean().optional(),
  /** Files with several names (hard links) share a group ("<device>:<inode>") within a snapshot. */
  linkGroup: z.string().optional()
});
export type TreeEntry = z.infer<typeof TreeEntry>;

export const Tree = z.object({ entries: z.array(TreeEntry) });
export type Tree = z.infer<typeof Tree>;

export function serializeTree(tree: Tree): Buffer {
  const entries = [...tree.entries].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0
  );
  return Buffer.from(JSON.stringify({ entries }));
}
