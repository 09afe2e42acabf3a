/** Removes the manifests of snapshots that a retention policy does not keep (prune frees their data). */
import { Lock } from '../repository/lock';
import { Repository } from '../repository/repository';
import { applyPolicy, IRetentionPolicy } from './retention';

export async function forget(
  repo: Repository,
  policy: IRetentionPolicy,
  options: { dryRun?: boolean } = {}
) {
  const ours = (await repo.listSnapshots()).filter(
    s => s.kind === 'studio-backup' && !s.damaged
  );
  const decision = applyPolicy(ours, policy);
  if (!options.dryRun && decision.remove.length > 0) {
    const lock = await Lock.exclusive(repo.backend, 'forget');
    try {
      for (const snapshot of decision.remove) {
        await repo.backend.delete(`snapshots/${snapshot.id}`);
      }
    } finally {
      await lock.release().catch(() => undefined);
    }
  }
  return decision;
}
