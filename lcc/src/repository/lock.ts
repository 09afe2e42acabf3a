/**
 * Repository locks. Backups take a shared lock, prune takes the exclusive one, created with a
 * conditional write (If-None-Match: * on S3, link() on a file system) so two writers never both win.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { AlreadyExistsError, IBackend, NotFoundError } from './backend';
import { sha256 } from './format';

export const LOCK_STALE_MS = 30 * 60 * 1000;
const REFRESH_MS = 5 * 60 * 1000;
/** How long a backup waits for a running prune before giving up. */
const SHARED_WAIT_MS = 10 * 60 * 1000;
/**
 * A holder whose lock went this long without a refresh may have looked stale to someone (half the
 * stale age, to leave room for clocks that differ): it no longer counts on having held it throughout.
 */
const LAPSE_MS = LOCK_STALE_MS / 2;
const EXCLUSIVE = 'locks/exclusive';
/** One per stale exclusive lock taken over: created once, so only one of two prunes removes it. */
const TAKEOVER = 'locks/takeover-';

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
    return await lockOf(await backend.get(key), backend, key, written);
  } catch (err) {
    if (err instanceof NotFoundError) {
      return undefined;
    }
    throw err;
  }
}

/** The lock in `bytes`, read from `key`. */
async function lockOf(
  bytes: Buffer,
  backend: IBackend,
  key: string,
  written?: Date
): Promise<ILockBody> {
  try {
    return JSON.parse(bytes.toString('utf8')) as ILockBody;
  } catch (err) {
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
  private written = Date.now();
  private lapsed = false;
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
      if (!found) {
        // Released in between: one more conditional create, which another prune may win.
        await backend.put(EXCLUSIVE, mine, { ifAbsent: true }).catch(err => {
          throw err instanceof AlreadyExistsError
            ? new LockError(
                'Another prune has just locked the repository: retry later.'
              )
            : err;
        });
      } else if (!found.equals(mine)) {
        const holder = await readLock(backend, EXCLUSIVE);
        if (holder && !isStale(holder)) {
          throw new LockError(
            `The repository is locked: ${describe(holder)}. Wait for it to finish.`
          );
        }
        log(
          `Removing a stale exclusive lock (${holder ? describe(holder) : 'unknown'}).`
        );
        await Lock.takeOver(backend, found, mine);
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

  /**
   * Replaces the stale exclusive lock `stale` with `mine`. Two prunes can find the same stale lock:
   * a plain delete-then-create lets the later one delete the lock the earlier one just made, and
   * both go on. Each first creates a marker named after the stale lock's bytes (once only: one wins).
   */
  private static async takeOver(
    backend: IBackend,
    stale: Buffer,
    mine: Buffer
  ): Promise<void> {
    const marker = await Lock.claim(backend, stale, mine);
    try {
      const now = await backend.get(EXCLUSIVE).catch(() => undefined);
      if (now && !now.equals(stale)) {
        throw new LockError(
          'The repository was locked again while its stale lock was being removed: retry later.'
        );
      }
      await backend.delete(EXCLUSIVE);
      await backend.put(EXCLUSIVE, mine, { ifAbsent: true });
    } catch (err) {
      // Not taken over: the next prune may try (its marker would otherwise stop every later one).
      await backend.delete(marker).catch(() => undefined);
      throw err;
    }
    // Markers of older takeovers: a stale lock is never seen again once replaced.
    for await (const item of backend.list(TAKEOVER)) {
      if (
        item.key !== marker &&
        Date.now() - item.lastModified.getTime() > 2 * LOCK_STALE_MS
      ) {
        await backend.delete(item.key).catch(() => undefined);
      }
    }
  }

  /**
   * Creates the marker named after `claimed` (a stale lock, or the marker of a takeover whose
   * prune went stale half-way, which is claimed in turn): one writer wins each. Returns its key.
   */
  private static async claim(
    backend: IBackend,
    claimed: Buffer,
    mine: Buffer
  ): Promise<string> {
    for (let depth = 0; ; depth++) {
      const marker = `${TAKEOVER}${sha256(claimed)}`;
      try {
        await backend.put(marker, mine, { ifAbsent: true });
        return marker;
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) {
          throw err;
        }
      }
      const other = await backend.get(marker).catch(() => undefined);
      const holder = other && (await lockOf(other, backend, marker));
      if (!other || !holder || !isStale(holder) || depth >= 8) {
        throw new LockError(
          'Another prune is taking over the stale lock of the repository: retry when it has finished.'
        );
      }
      claimed = other;
    }
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
    this.written = Date.now();
    this.timer = setInterval(() => {
      this.noteLapse();
      void this.backend
        .put(this.key, body(this.purpose))
        .then(() => {
          this.noteLapse();
          this.written = Date.now();
        })
        .catch(() => undefined);
    }, REFRESH_MS);
    this.timer.unref();
  }

  private noteLapse(): void {
    if (Date.now() - this.written > LAPSE_MS) {
      this.lapsed = true;
    }
  }

  /**
   * Whether the lock has been refreshed often enough since it was taken that nobody could have
   * judged it stale. Once not, never again: a prune may have run in the gap.
   */
  heldThroughout(): boolean {
    this.noteLapse();
    return !this.lapsed;
  }

  /** How long the lock went without a refresh, in minutes (for messages). */
  minutesUnrefreshed(): number {
    return Math.round((Date.now() - this.written) / 60_000);
  }

  /**
   * Before a backup writes its snapshot. A shared lock that lapsed may have looked dead to a prune,
   * which could have deleted data the backup found in the index and did not upload again: the lock
   * is written again (refused while a prune holds the repository), and `nothingRemoved` must then
   * confirm that no prune ran in the gap.
   */
  async confirmHeld(
    nothingRemoved: () => Promise<boolean>,
    what: string
  ): Promise<void> {
    if (this.heldThroughout()) {
      return;
    }
    const minutes = this.minutesUnrefreshed();
    await this.backend.put(this.key, body(this.purpose));
    this.written = Date.now();
    await Lock.checkNoExclusive(this.backend);
    if (!(await nothingRemoved())) {
      throw new LockError(
        `${what} was paused for ${minutes} minutes, longer than its lock lasts, and a prune ran meanwhile: no snapshot is written, as it could name data the prune removed. Run it again.`
      );
    }
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.backend.delete(this.key);
  }
}
