/**
 * Review of 5b6bb78: the takeover marker of a stale exclusive lock is created before the stale lock
 * is removed. A prune that fails in between (a network error on the DELETE, a kill) leaves both: every
 * later prune meets the marker and stops ("Another prune is taking over…"), and the markers are only
 * cleaned up by a takeover that succeeds. Prune and forget are refused for good, until a person
 * deletes locks/takeover-*.
 */
import { createHash } from 'node:crypto';
import { FileBackend } from '../../src/repository/file-backend';
import { Lock } from '../../src/repository/lock';
import { Repository } from '../../src/repository/repository';
import { cleanupTempDirs, tempDir } from '../helpers/fixtures';

afterEach(() => cleanupTempDirs());

it('a takeover that failed half-way does not lock the repository out of prunes for good', async () => {
  const repoDir = tempDir('repo');
  await Repository.open(new FileBackend(repoDir), { create: true });
  await new FileBackend(repoDir).put(
    'locks/exclusive',
    Buffer.from(
      JSON.stringify({
        host: 'another-host',
        pid: 4242,
        time: new Date(Date.now() - 2 * 3600_000).toISOString(),
        purpose: 'prune'
      })
    )
  );
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
  const repoDir = tempDir('repo');
  await Repository.open(new FileBackend(repoDir), { create: true });
  const old = (pid: number) =>
    Buffer.from(
      JSON.stringify({
        host: 'another-host',
        pid,
        time: new Date(Date.now() - 2 * 3600_000).toISOString(),
        purpose: 'prune'
      })
    );
  const backend = new FileBackend(repoDir);
  await backend.put('locks/exclusive', old(4242));
  // The marker of a prune that stopped (two hours ago) between its marker and its DELETE.
  await backend.put(
    `locks/takeover-${createHash('sha256').update(old(4242)).digest('hex')}`,
    old(4343)
  );
  const attempts = await Promise.allSettled([
    Lock.exclusive(new FileBackend(repoDir), 'prune'),
    Lock.exclusive(new FileBackend(repoDir), 'prune')
  ]);
  const won = attempts.filter(a => a.status === 'fulfilled');
  expect(won).toHaveLength(1);
  await (won[0] as PromiseFulfilledResult<Lock>).value.release();
});
