/**
 * Snapshots written by the reference LCC: plain copies under <repo>/<YYYY-MM-DD-HH-MM-SS>/,
 * complete once its <ts>_BACKUP_COMPLETE marker is there. Listed and restorable, never written.
 */
import { Readable } from 'node:stream';
import { REFERENCE_TIMESTAMP } from '../api/layout';
import { IBackend, IObjectInfo, StorageError } from './backend';
import { ISnapshotInfo } from './snapshots';

export { REFERENCE_TIMESTAMP };

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

/** Whether a location holds copies written by the reference LCC (one listing, no per-copy reads). */
export async function hasReferenceCopies(backend: IBackend): Promise<boolean> {
  return (await backend.listFolders('')).some(name =>
    REFERENCE_TIMESTAMP.test(name)
  );
}

/**
 * A location read as it is: every write is refused with one line, so that reading the reference's
 * copies where no repository exists can never create one (nor a lock, nor anything else).
 */
export class ReadOnlyBackend implements IBackend {
  constructor(private readonly inner: IBackend) {}

  get url(): string {
    return this.inner.url;
  }

  get(key: string): Promise<Buffer> {
    return this.inner.get(key);
  }

  getRange(
    key: string,
    offset: number,
    length: number,
    into?: Buffer
  ): Promise<Buffer> {
    return this.inner.getRange(key, offset, length, into);
  }

  getStream(key: string): Promise<Readable> {
    return this.inner.getStream(key);
  }

  exists(key: string): Promise<boolean> {
    return this.inner.exists(key);
  }

  list(prefix: string): AsyncIterable<IObjectInfo> {
    return this.inner.list(prefix);
  }

  listFolders(prefix: string): Promise<string[]> {
    return this.inner.listFolders(prefix);
  }

  put(key: string): Promise<void> {
    return this.refuse(key);
  }

  putStream(key: string): Promise<void> {
    return this.refuse(key);
  }

  delete(key: string): Promise<void> {
    return this.refuse(key);
  }

  private refuse(key: string): Promise<never> {
    return Promise.reject(
      new StorageError(
        `${this.inner.url} holds only the reference LCC's copies, read as they are: nothing was written (${key}); run "studio-backup import-reference" to turn them into a repository.`,
        'read-only'
      )
    );
  }
}
