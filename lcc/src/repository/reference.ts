/**
 * Snapshots written by the reference LCC: plain copies under <repo>/<YYYY-MM-DD-HH-MM-SS>/,
 * complete once its <ts>_BACKUP_COMPLETE marker is there. Listed and restorable, never written.
 */
import { IBackend } from './backend';
import { ISnapshotInfo } from './snapshots';

export const REFERENCE_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$/;

export function referenceMarker(ts: string): string {
  return `${ts}_BACKUP_COMPLETE`;
}

/** The reference writes `date +%F-%H-%M-%S` in the container's clock, which is UTC in Studio. */
export function referenceTime(ts: string): string {
  const m = REFERENCE_TIMESTAMP.exec(ts);
  if (!m) {
    throw new Error(`${ts} is not a reference snapshot timestamp`);
  }
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z`;
}

export async function listReferenceSnapshots(
  backend: IBackend
): Promise<ISnapshotInfo[]> {
  const folders = (await backend.listFolders('')).filter(name =>
    REFERENCE_TIMESTAMP.test(name)
  );
  return Promise.all(
    folders.map(async ts => ({
      id: ts,
      shortId: ts,
      time: referenceTime(ts),
      kind: 'reference' as const,
      complete: await backend.exists(`${ts}/${referenceMarker(ts)}`)
    }))
  );
}
