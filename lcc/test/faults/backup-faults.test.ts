/** A backup that is cancelled or killed: no snapshot, the lock released, and nothing uploaded twice. */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { backup, CancelledError } from '../../src/backup/backup';
import { FileBackend } from '../../src/repository/file-backend';
import { Repository } from '../../src/repository/repository';
import {
  cleanupTempDirs,
  describeTree,
  randomish,
  tempDir,
  write
} from '../helpers/fixtures';
import { FaultyBackend } from '../helpers/faulty-backend';
import { expectIntact, fileRepo, smallPackRepo } from './intact';

jest.setTimeout(180_000);
afterEach(cleanupTempDirs);

const BIN = join(__dirname, '..', '..', 'bin', 'studio-backup.js');

function filesUnder(dir: string): Array<{ name: string; size: number }> {
  if (!existsSync(dir)) {
    return [];
  }
  // A backup may be writing meanwhile: a temp file listed may be renamed before its stat.
  return readdirSync(dir, { recursive: true })
    .map(String)
    .flatMap(name => {
      const stat = statSync(join(dir, name), { throwIfNoEntry: false });
      return stat?.isFile() ? [{ name, size: stat.size }] : [];
    });
}

describe('cancel', () => {
  it('stops inside a large file: no snapshot, the lock released, the file not read to its end', async () => {
    const home = tempDir('home');
    write(home, 'huge.bin', randomish(40 * 1024 * 1024, 1));
    const repoDir = tempDir('repo');
    await smallPackRepo(repoDir);
    const controller = new AbortController();
    const faulty = new FaultyBackend(new FileBackend(repoDir));
    faulty.onCall = (op, key) => {
      if (op === 'write' && key.startsWith('data/')) {
        controller.abort(); // at the first pack, well before the file's end
      }
    };
    await expect(
      backup(await Repository.open(faulty), {
        source: home,
        cacheDir: tempDir('cache'),
        signal: controller.signal
      })
    ).rejects.toBeInstanceOf(CancelledError);
    expect(filesUnder(join(repoDir, 'snapshots'))).toEqual([]);
    expect(filesUnder(join(repoDir, 'locks'))).toEqual([]);
    const stored = filesUnder(join(repoDir, 'data')).reduce(
      (n, f) => n + f.size,
      0
    );
    expect(stored).toBeLessThan(20 * 1024 * 1024);
  });
});

describe('kill -9 in the middle of a backup', () => {
  it('keeps what was indexed by the checkpoints, and the next backup uploads none of it again', async () => {
    const home = tempDir('home');
    for (let i = 0; i < 48; i++) {
      write(home, `data/part-${i}.bin`, randomish(1024 * 1024, 10 + i));
    }
    const repoDir = tempDir('repo');
    await smallPackRepo(repoDir);
    const cacheDir = tempDir('cache');
    const child = spawn(
      process.execPath,
      [
        BIN,
        'backup',
        '--repo',
        repoDir,
        '--source',
        home,
        '--cache-dir',
        cacheDir
      ],
      { stdio: 'ignore' }
    );
    const exited = new Promise<number | null>(resolve =>
      child.once('exit', code => resolve(code))
    );
    // Killed as soon as two checkpoints are on disk: a point in the middle, whatever the speed.
    let killedWith = -1;
    try {
      while (killedWith < 0) {
        const indexes = filesUnder(join(repoDir, 'index')).filter(
          f => !f.name.includes('.tmp-')
        ).length;
        if (indexes >= 2 || child.exitCode !== null) {
          child.kill('SIGKILL');
          killedWith = indexes;
        }
        await new Promise(resolve => setTimeout(resolve, 5));
      }
    } finally {
      // Also when the loop fails: no backup is left writing into a folder being removed.
      child.kill('SIGKILL');
      await exited;
    }
    expect(filesUnder(join(repoDir, 'snapshots'))).toEqual([]);
    const before = await fileRepo(repoDir);
    await before.loadIndex();
    const indexedPacks = before.index.packs.size;
    expect(indexedPacks).toBeGreaterThanOrEqual(8);

    const resumed = await backup(await fileRepo(repoDir), {
      source: home,
      cacheDir
    });
    // Every pack the checkpoints indexed is reused: only the rest is uploaded.
    const totalPacks = (await fileRepo(repoDir).then(async r => {
      await r.loadIndex();
      return r.index.packs.size;
    })) as number;
    expect(resumed.manifest.totals.bytesAdded).toBeLessThanOrEqual(
      48 * 1024 * 1024 - indexedPacks * 1024 * 1024 + 4096
    );
    expect(totalPacks).toBeGreaterThan(indexedPacks);
    await expectIntact(
      new FileBackend(repoDir),
      resumed.snapshotId,
      describeTree(home)
    );
  });
});

describe('temp files of a restore', () => {
  it('are never backed up', async () => {
    const home = tempDir('home');
    write(home, 'a.txt', 'a\n');
    write(home, '.studio-backup-0123abcd.tmp', 'half');
    write(home, 'sub/.b.txt.studio-backup-89abcdef', 'half');
    write(
      home,
      'sub/.studio-backup-notes.txt',
      'a real file that merely looks close'
    );
    const repoDir = tempDir('repo');
    const result = await backup(
      await Repository.open(new FileBackend(repoDir), { create: true }),
      { source: home, cacheDir: tempDir('cache') }
    );
    await expectIntact(
      new FileBackend(repoDir),
      result.snapshotId,
      describeTree(home, rel => /studio-backup-[0-9a-f]{8}/.test(rel))
    );
  });
});
