/**
 * Repository locks. Backups take a shared lock, prune takes the exclusive one, created with a
 * conditional write (If-None-Match: * on S3, link() on a file system) so two writers never both win.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { AlreadyExistsError, IBackend, NotFoundError } from './backend';

export const LOCK_STALE_MS = 30 * 60 * 1000;
const REFRESH_MS = 5 * 60 * 1000;
/** How long a backup waits for a running prune before giving up. */
const SHARED_WAIT_MS = 10 * 60 * 1000;
const EXCLUSIVE = 'locks/exclusive';

interface ILockBody {
  host: string;
  pid: number;
  time: string;
  purpose: string;
}

export class LockError extends Error {}

function body(purpose: string): Buffer {
  const lock: ILockBody = {
    host: hostname(),
    pid: process.pid,
    time: new Date().toISOString(),
    purpose
  };
  return Buffer.from(JSON.stringify(lock));
}

/**
 * An unreadable lock is held (to stay safe) until it is as old as a stale one, judged by when its
 * object was written, and its key is named so that a person can remove it.
 */
async function readLock(
  backend: IBackend,
  key: string,
  written?: Date
): Promise<ILockBody | undefined> {
  try {
    return JSON.parse((await backend.get(key)).toString('utf8')) as ILockBody;
  } catch (err) {
    if (err instanceof NotFoundError) {
      return undefined;
    }
    if (err instanceof SyntaxError || err instanceof TypeError) {
      return {
        host: '?',
        pid: 0,
        time: (
          written ??
          (await writtenAt(backend, key)) ??
          new Date()
        ).toISOString(),
        purpose: `an unreadable lock ${key} (delete it if nothing is running)`
      };
    }
    throw err;
  }
}

async function writtenAt(
  backend: IBackend,
  key: string
): Promise<Date | undefined> {
  for await (const item of backend.list(key)) {
    if (item.key === key) {
      return item.lastModified;
    }
  }
  return undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stale when not refreshed for LOCK_STALE_MS, or at once when its process on this host is gone (kill -9). */
function isStale(lock: ILockBody, now = Date.now()): boolean {
  if (
    lock.host === hostname() &&
    lock.pid > 0 &&
    lock.pid !== process.pid &&
    !processAlive(lock.pid)
  ) {
    return true;
  }
  return now - Date.parse(lock.time) > LOCK_STALE_MS;
}

function describe(lock: ILockBody): string {
  return `${lock.purpose} by ${lock.host} (pid ${lock.pid}) since ${lock.time}`;
}

export class Lock {
  private timer?: NodeJS.Timeout;
  private constructor(
    private readonly backend: IBackend,
    readonly key: string,
    private readonly purpose: string
  ) {}

  /** A shared lock: any number of backups, but not while a prune holds the exclusive lock. */
  static async shared(
    backend: IBackend,
    purpose: string,
    waitMs = SHARED_WAIT_MS
  ): Promise<Lock> {
    // A prune is short: a backup waits for it rather than failing.
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        return await Lock.tryShared(backend, purpose);
      } catch (err) {
        if (!(err instanceof LockError) || Date.now() >= deadline) {
          throw err;
        }
        await new Promise(resolve =>
          setTimeout(resolve, 200 + Math.random() * 800)
        );
      }
    }
  }

  private static async tryShared(
    backend: IBackend,
    purpose: string
  ): Promise<Lock> {
    await Lock.checkNoExclusive(backend);
    const lock = new Lock(
      backend,
      `locks/shared-${randomBytes(8).toString('hex')}`,
      purpose
    );
    // Created once (its key is random: an "already exists" is a retried attempt S3 had applied).
    await backend
      .put(lock.key, body(purpose), { ifAbsent: true })
      .catch(err => {
        if (!(err instanceof AlreadyExistsError)) {
          throw err;
        }
      });
    // A prune may have taken the exclusive lock between the check and our write.
    try {
      await Lock.checkNoExclusive(backend);
    } catch (err) {
      await backend.delete(lock.key);
      throw err;
    }
    lock.startRefresh();
    return lock;
  }

  /** The exclusive lock: no backup and no other prune may run. Stale locks are cleared with a message. */
  static async exclusive(
    backend: IBackend,
    purpose: string,
    log: (line: string) => void = () => undefined
  ): Promise<Lock> {
    const lock = new Lock(backend, EXCLUSIVE, purpose);
    const mine = body(purpose);
    try {
      await backend.put(EXCLUSIVE, mine, { ifAbsent: true });
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) {
        throw err;
      }
      // A retried PUT whose first attempt was applied meets its own lock: that is a win.
      const found = await backend.get(EXCLUSIVE).catch(() => undefined);
      if (!found?.equals(mine)) {
        const holder = await readLock(backend, EXCLUSIVE);
        if (holder && !isStale(holder)) {
          throw new LockError(
            `The repository is locked: ${describe(holder)}. Wait for it to finish.`
          );
        }
        log(
          `Removing a stale exclusive lock (${holder ? describe(holder) : 'unknown'}).`
        );
        await backend.delete(EXCLUSIVE);
        await backend.put(EXCLUSIVE, mine, { ifAbsent: true });
      }
    }
    for await (const item of backend.list('locks/shared-')) {
      const holder = await readLock(backend, item.key, item.lastModified);
      if (!holder) {
        continue;
      }
      if (isStale(holder)) {
        log(`Removing a stale lock (${describe(holder)}).`);
        await backend.delete(item.key);
        continue;
      }
      await backend.delete(EXCLUSIVE);
      throw new LockError(
        `A backup is running (${describe(holder)}): retry when it has finished.`
      );
    }
    lock.startRefresh();
    return lock;
  }

  private static async checkNoExclusive(backend: IBackend): Promise<void> {
    const holder = await readLock(backend, EXCLUSIVE);
    if (holder && !isStale(holder)) {
      throw new LockError(
        `The repository is locked: ${describe(holder)}. Retry when it has finished.`
      );
    }
  }

  private startRefresh(): void {
    this.timer = setInterval(() => {
      void this.backend
        .put(this.key, body(this.purpose))
        .catch(() => undefined);
    }, REFRESH_MS);
    this.timer.unref();
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.backend.delete(this.key);
  }
}
