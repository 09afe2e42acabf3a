/**
 * Forgets the reference LCC's full copies (`<YYYY-MM-DD-HH-MM-SS>/`) that a retention policy does not
 * keep. Only an admin's explicit opt-in calls this: maintenance leaves those copies alone otherwise.
 * Incomplete copies (no completion marker) are never touched: the reference may still be writing one.
 */
import { IBackend } from '../repository/backend';
import { Lock } from '../repository/lock';
import { listReferenceSnapshots } from '../repository/reference';
import { applyPolicy, IRetentionPolicy } from './retention';

export interface IReferenceForgetResult {
  kept: number;
  removed: string[];
  bytesFreed: number;
}

export async function forgetReferenceCopies(
  backend: IBackend,
  policy: IRetentionPolicy,
  options: { dryRun?: boolean } = {}
): Promise<IReferenceForgetResult> {
  const complete = (await listReferenceSnapshots(backend)).filter(
    s => s.complete
  );
  const decision = applyPolicy(complete, policy);
  const result: IReferenceForgetResult = {
    kept: decision.keep.length,
    removed: decision.remove.map(s => s.id),
    bytesFreed: 0
  };
  if (decision.remove.length === 0) {
    return result;
  }
  const lock = options.dryRun
    ? undefined
    : await Lock.exclusive(backend, 'forget reference copies');
  try {
    for (const copy of decision.remove) {
      const keys: string[] = [];
      for await (const item of backend.list(`${copy.id}/`)) {
        keys.push(item.key);
        result.bytesFreed += item.size;
      }
      // The completion marker first, so that a copy cut short by a failure is seen as incomplete
      // (and never restored) rather than as a complete copy with files missing.
      const marker = keys.filter(k => k.endsWith('_BACKUP_COMPLETE'));
      const files = keys.filter(k => !k.endsWith('_BACKUP_COMPLETE'));
      for (const key of [...marker, ...files]) {
        if (!options.dryRun) {
          await backend.delete(key);
        }
      }
    }
  } finally {
    await lock?.release().catch(() => undefined);
  }
  return result;
}
