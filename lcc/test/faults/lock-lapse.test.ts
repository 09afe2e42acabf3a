/**
 * A lock is only as good as its refreshes. A backup that is paused for longer than its lock lasts
 * (a frozen container, a laptop asleep, a network gone for 40 minutes) looks dead to a prune, which
 * may then delete what the backup counted on; and two prunes may both find the same stale lock.
 * The clock is moved with a spy on Date.now (what the locks and prune's grace period read): the
 * pause is simulated, the backups, prunes and locks are the real ones on a real folder.
 */
import { createHash } from 'node:crypto';
import { readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../src/backup/backup';
import { AlreadyExistsError, IBackend } from '../../src/repository/backend';
import { FileBackend } from '../../src/repository/file-backend';
import { Lock, LockError } from '../../src/repository/lock';
import { Repository } from '../../src/repository/repository';
import { prune } from '../../src/maintenance/prune';
import { check } from '../../src/maintenance/check';
import {
  cleanupTempDirs,
  describeTree,
  randomish,
  tempDir,
  write
} from '../helpers/fixtures';
import { expectIntact } from './intact';

jest.setTimeout(120_000);
afterEach(() => {
  jest.restoreAllMocks();
  cleanupTempDirs();
});

const MINUTE = 60_000;

/** Moves the clock that the locks and prune read forward by `ms`, from now on. */
function advanceClock(ms: number): void {
  const real = Date.now.bind(Date);
  jest.spyOn(Date, 'now').mockImplementation(() => real() + ms);
}

/** A file repository that runs `during` when the backup first writes an index file (its commit). */
class PausingBackend extends FileBackend {
  constructor(
    root: string,
    private during?: () => Promise<void>
  ) {
    super(root);
  }

  async put(
    key: string,
    body: Buffer,
    options?: { ifAbsent?: boolean }
  ): Promise<void> {
    if (key.startsWith('index/') && this.during) {
      const during = this.during;
      this.during = undefined;
      await during();
    }
    return super.put(key, body, options);
  }
}

/**
 * A home backed up once, then that snapshot forgotten (its manifest deleted, its data not pruned
 * yet): the next backup finds that data in the index and does not upload it again.
 */
async function forgottenHome(): Promise<{ home: string; repoDir: string }> {
  const home = tempDir('home');
  const repoDir = tempDir('repo');
  write(home, 'model.bin', randomish(400 * 1024, 7));
  write(home, 'notes.txt', 'the notes\n');
  const repo = await Repository.open(new FileBackend(repoDir), {
    create: true
  });
  const { snapshotId } = await backup(repo, {
    source: home,
    cacheDir: tempDir('cache')
  });
  await new FileBackend(repoDir).delete(`snapshots/${snapshotId}`);
  // Written two hours ago: past prune's grace period, unlike what the next backup uploads.
  const past = new Date(Date.now() - 2 * 3600_000);
  for (const folder of ['data', 'index']) {
    for (const file of readdirSync(join(repoDir, folder), {
      recursive: true
    })) {
      utimesSync(join(repoDir, folder, String(file)), past, past);
    }
  }
  // And one new file, which the next backup uploads and indexes before its snapshot.
  write(home, 'results.csv', 'epoch,loss\n1,0.5\n');
  return { home, repoDir };
}

describe('a backup paused longer than its lock lasts', () => {
  it('writes no snapshot when a prune ran meanwhile, and the repository stays whole', async () => {
    const { home, repoDir } = await forgottenHome();
    const backend = new PausingBackend(repoDir, async () => {
      advanceClock(40 * MINUTE);
      // The prune sees the backup's lock 40 minutes old, and the forgotten data as unused.
      await prune(await Repository.open(new FileBackend(repoDir)));
    });
    await expect(
      backup(await Repository.open(backend), {
        source: home,
        cacheDir: tempDir('cache')
      })
    ).rejects.toThrow(/paused .*longer than its lock lasts.*prune/i);
    const repo = await Repository.open(new FileBackend(repoDir));
    expect(await repo.listSnapshots()).toEqual([]);
    expect((await check(repo, { readData: true })).problems).toEqual([]);
  });

  it('writes its snapshot when nothing ran meanwhile, after taking its lock again', async () => {
    const { home, repoDir } = await forgottenHome();
    const backend = new PausingBackend(repoDir, async () => {
      advanceClock(40 * MINUTE);
    });
    const { snapshotId } = await backup(await Repository.open(backend), {
      source: home,
      cacheDir: tempDir('cache')
    });
    await expectIntact(
      new FileBackend(repoDir),
      snapshotId,
      describeTree(home)
    );
  });

  // A backup's packs are in no index until its next index file: a first backup has read no index
  // file, so only its uploaded packs tell whether a prune removed anything.
  it('a first backup paused past the grace period writes no snapshot naming packs a prune deleted', async () => {
    const home = tempDir('home');
    const repoDir = tempDir('repo');
    write(home, 'model.bin', randomish(400 * 1024, 7));
    await Repository.open(new FileBackend(repoDir), { create: true });
    // Paused two hours after uploading its packs, before indexing them: the prune sees a stale
    // shared lock and packs in no index older than its grace period.
    const backend = new PausingBackend(repoDir, async () => {
      advanceClock(2 * 3600_000);
      await prune(await Repository.open(new FileBackend(repoDir)));
    });
    let failed = false;
    await backup(await Repository.open(backend), {
      source: home,
      cacheDir: tempDir('cache')
    }).catch(() => (failed = true));
    const repo = await Repository.open(new FileBackend(repoDir));
    const snapshots = await repo.listSnapshots();
    const { problems } = await check(repo, { readData: true });
    // Either no snapshot, or a snapshot whose data is all there.
    expect({ failed, snapshots: snapshots.length, problems }).toEqual(
      failed
        ? { failed, snapshots: 0, problems: [] }
        : { failed, snapshots: 1, problems: [] }
    );
  });
});

describe('a prune paused longer than its lock lasts', () => {
  it('stops before deleting anything', async () => {
    const { repoDir } = await forgottenHome();
    const before: string[] = [];
    for await (const item of new FileBackend(repoDir).list('')) {
      before.push(item.key);
    }
    // The pause falls between prune's reading of the repository and its first deletion.
    const backend = new PausingBackend(repoDir, async () => {
      advanceClock(40 * MINUTE);
    });
    await expect(prune(await Repository.open(backend))).rejects.toThrow(
      /paused .*longer than its lock lasts/i
    );
    const after: string[] = [];
    for await (const item of new FileBackend(repoDir).list('')) {
      after.push(item.key);
    }
    expect(after.filter(k => !k.startsWith('locks/'))).toEqual(
      expect.arrayContaining(before.filter(k => !k.startsWith('locks/')))
    );
  });
});

/** A prune's lock from another host, two hours old: stale. */
const staleLock = (pid: number) =>
  Buffer.from(
    JSON.stringify({
      host: 'another-host',
      pid,
      time: new Date(Date.now() - 2 * 3600_000).toISOString(),
      purpose: 'prune'
    })
  );

/** A new repository whose exclusive lock is a stale one. */
async function staleLockedRepo(): Promise<string> {
  const repoDir = tempDir('repo');
  await Repository.open(new FileBackend(repoDir), { create: true });
  await new FileBackend(repoDir).put('locks/exclusive', staleLock(4242));
  return repoDir;
}

describe('two prunes that find the same stale exclusive lock', () => {
  it('only one takes it over', async () => {
    const repoDir = await staleLockedRepo();
    // The second prune's removal of the stale lock waits until the first has taken it over:
    // the order in which a plain "delete, then create" lets both win.
    let tookOver!: () => void;
    const firstTookOver = new Promise<void>(resolve => (tookOver = resolve));
    let deletes = 0;
    class Ordered extends FileBackend {
      async delete(key: string): Promise<void> {
        if (key === 'locks/exclusive' && deletes++ === 1) {
          await firstTookOver;
        }
        return super.delete(key);
      }
      async put(
        key: string,
        body: Buffer,
        options?: { ifAbsent?: boolean }
      ): Promise<void> {
        await super.put(key, body, options);
        if (key === 'locks/exclusive' && deletes >= 1) {
          tookOver();
        }
      }
    }
    const attempts = await Promise.allSettled(
      [new Ordered(repoDir), new Ordered(repoDir)].map(b =>
        Lock.exclusive(b as IBackend, 'prune')
      )
    );
    const won = attempts.filter(a => a.status === 'fulfilled');
    const lost = attempts.filter(a => a.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const reason = (lost[0] as PromiseRejectedResult).reason;
    expect(
      reason instanceof LockError || reason instanceof AlreadyExistsError
    ).toBe(true);
    // The lock in place is the winner's.
    const held = JSON.parse(
      (await new FileBackend(repoDir).get('locks/exclusive')).toString()
    );
    expect(held.pid).toBe(process.pid);
    await (won[0] as PromiseFulfilledResult<Lock>).value.release();
  });

  it('a takeover that failed half-way does not lock the repository out of prunes for good', async () => {
    const repoDir = await staleLockedRepo();
    class FailingDelete extends FileBackend {
      async delete(key: string): Promise<void> {
        if (key === 'locks/exclusive') throw new Error('socket hang up');
        return super.delete(key);
      }
    }
    await expect(
      Lock.exclusive(new FailingDelete(repoDir), 'prune')
    ).rejects.toThrow(/socket hang up/);
    // The network is back; this prune is alone. And later ones, hours after.
    const lock = await Lock.exclusive(new FileBackend(repoDir), 'prune');
    await lock.release();
  });

  it('a takeover left half-way by a prune that died is taken over in turn, by one prune only', async () => {
    const repoDir = await staleLockedRepo();
    const backend = new FileBackend(repoDir);
    // The marker of a prune that stopped (two hours ago) between its marker and its DELETE.
    await backend.put(
      `locks/takeover-${createHash('sha256').update(staleLock(4242)).digest('hex')}`,
      staleLock(4343)
    );
    const attempts = await Promise.allSettled([
      Lock.exclusive(new FileBackend(repoDir), 'prune'),
      Lock.exclusive(new FileBackend(repoDir), 'prune')
    ]);
    const won = attempts.filter(a => a.status === 'fulfilled');
    expect(won).toHaveLength(1);
    await (won[0] as PromiseFulfilledResult<Lock>).value.release();
  });
});
