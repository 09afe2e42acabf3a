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
      result.bytesFreed += await deleteReferenceCopy(
        backend,
        copy.id,
        options.dryRun
      );
    }
  } finally {
    await lock?.release().catch(() => undefined);
  }
  return result;
}

/**
 * Deletes one reference copy, `<ts>/`, and answers its bytes. The completion marker goes first, so
 * that a copy cut short by a failure is seen as incomplete (and never restored) rather than as a
 * complete copy with files missing.
 */
export async function deleteReferenceCopy(
  backend: IBackend,
  ts: string,
  dryRun = false
): Promise<number> {
  const keys: string[] = [];
  let bytes = 0;
  for await (const item of backend.list(`${ts}/`)) {
    keys.push(item.key);
    bytes += item.size;
  }
  const marker = keys.filter(k => k.endsWith('_BACKUP_COMPLETE'));
  const files = keys.filter(k => !k.endsWith('_BACKUP_COMPLETE'));
  for (const key of [...marker, ...files]) {
    if (!dryRun) {
      await backend.delete(key);
    }
  }
  return bytes;
}
