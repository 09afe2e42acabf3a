/** A full disk, for real: a 2 MiB tmpfs (root only; skipped, and said so, where mounting is not allowed). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../src/backup/backup';
import { FileBackend } from '../src/repository/file-backend';
import { Repository } from '../src/repository/repository';
import { restore } from '../src/restore/restore';
import { openView } from '../src/browse/view';
import { cleanupTempDirs, randomish, tempDir, write } from './helpers/fixtures';

const mountPoint = join(tempDir('tinyfs-probe'), 'mnt');
mkdirSync(mountPoint);
const mounted = spawnSync(
  'mount',
  ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint],
  { encoding: 'utf8' }
);
const canMount = mounted.status === 0;
if (!canMount) {
  // Said out loud: the summary counts these as skipped, and this line says why.
  console.warn(
    `full-disk tests skipped: cannot mount a tmpfs here (${(mounted.stderr || String(mounted.error)).trim()}); run the suite as root to include them.`
  );
}
const itWithTmpfs = canMount ? it : it.skip;

afterAll(() => {
  if (canMount) {
    spawnSync('umount', [mountPoint]);
  }
  rmSync(mountPoint, { recursive: true, force: true });
  cleanupTempDirs();
});

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(e => e.isFile())
    .map(e => e.name);
}

describe('a full disk', () => {
  // With the main thread writing, and with writer threads (whose full disk comes back as a message).
  itWithTmpfs.each([0, 2])(
    'fails a restore in one line and leaves no half-written file (%i writer threads)',
    async writers => {
      const home = tempDir('home');
      write(home, 'small.txt', 'small\n');
      write(home, 'big.bin', randomish(5 * 1024 * 1024, 31));
      const repoDir = tempDir('repo');
      await backup(
        await Repository.open(new FileBackend(repoDir), { create: true }),
        { source: home, cacheDir: tempDir('cache') }
      );
      const target = join(mountPoint, 'restore');
      const view = await openView(
        await Repository.open(new FileBackend(repoDir)),
        'latest'
      );
      await expect(
        restore(view, { paths: [], target, conflict: 'skip', writers })
      ).rejects.toThrow(
        'No space left on the device while restoring: free some space and retry; no file was left half-written.'
      );
      expect(
        allFiles(target).filter(name => name.includes('.studio-backup-'))
      ).toEqual([]);
      expect(allFiles(target).filter(name => name === 'big.bin')).toEqual([]);
      rmSync(target, { recursive: true, force: true });
    }
  );

  itWithTmpfs(
    'fails a backup into a full repository in one line and writes no snapshot',
    async () => {
      const home = tempDir('home');
      write(home, 'big.bin', randomish(5 * 1024 * 1024, 32));
      const repoDir = join(mountPoint, 'repo');
      await expect(
        backup(
          await Repository.open(new FileBackend(repoDir), { create: true }),
          { source: home, cacheDir: tempDir('cache') }
        )
      ).rejects.toThrow(
        /^No space left on the device while writing data\/.*: free some space and retry\.$/
      );
      expect(readdirSync(repoDir)).not.toContain('snapshots');
      rmSync(repoDir, { recursive: true, force: true });
    }
  );
});
