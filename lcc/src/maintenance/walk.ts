/** Walks every tree of a set of snapshots once, calling back for each blob reference. */
import { Repository } from '../repository/repository';

export type BlobVisitor = (
  blob: string,
  kind: 'tree' | 'data',
  snapshot: string,
  path: string
) => void;

/**
 * Without `onError`, a tree that cannot be read stops the walk with its error: a caller that decides
 * what is unused (prune) must never take "unreadable" for "empty".
 */
export async function walkSnapshots(
  repo: Repository,
  snapshots: Array<{ id: string; tree: string }>,
  visit: BlobVisitor,
  options: {
    everyPath?: boolean;
    onError?: (snapshot: string, path: string, err: Error) => void;
  } = {}
): Promise<void> {
  const done = new Set<string>();
  for (const snapshot of snapshots) {
    const visitTree = async (treeId: string, path: string): Promise<void> => {
      visit(treeId, 'tree', snapshot.id, path);
      if (!options.everyPath && done.has(treeId)) {
        return;
      }
      done.add(treeId);
      let tree;
      try {
        tree = await repo.loadTree(treeId);
      } catch (err) {
        if (!options.onError) {
          throw err;
        }
        options.onError(snapshot.id, path, err as Error);
        return;
      }
      for (const entry of tree.entries) {
        const child = path ? `${path}/${entry.name}` : entry.name;
        for (const blob of entry.content ?? []) {
          visit(blob, 'data', snapshot.id, child);
        }
        if (entry.subtree) {
          await visitTree(entry.subtree, child);
        }
      }
    };
    await visitTree(snapshot.tree, '');
  }
}
