/** Prune never guesses: it deletes only what it proved unused, and a damaged repository stops it. */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../src/backup/backup';
import { FileBackend } from '../../src/repository/file-backend';
import { Repository } from '../../src/repository/repository';
import { forget } from '../../src/maintenance/forget';
import { prune } from '../../src/maintenance/prune';
import { repairIndex, repairSnapshots } from '../../src/maintenance/repair';
import { openView } from '../../src/browse/view';
import {
  cleanupTempDirs,
  describeTree,
  randomish,
  tempDir,
  write
} from '../helpers/fixtures';
import { FaultyBackend } from '../helpers/faulty-backend';
import { expectIntact, fileRepo } from './intact';

jest.setTimeout(120_000);
afterEach(cleanupTempDirs);

function packsOf(repoDir: string): string[] {
  const data = join(repoDir, 'data');
  return readdirSync(data).flatMap(sub => readdirSync(join(data, sub)));
}

/** Two snapshots of a home whose keep/ folder is only in the second: prune has real work to do. */
async function twoSnapshots() {
  const home = tempDir('home');
  const repoDir = tempDir('repo');
  const cacheDir = tempDir('cache');
  write(home, 'old.bin', randomish(700 * 1024, 1));
  write(home, 'notes.txt', 'notes\n');
  await backup(
    await Repository.open(new FileBackend(repoDir), { create: true }),
    {
      source: home,
      cacheDir
    }
  );
  rmSync(join(home, 'old.bin'));
  write(home, 'keep/a.bin', randomish(900 * 1024, 2));
  write(home, 'keep/b.txt', 'b\n'.repeat(1000));
  const second = await backup(await fileRepo(repoDir), {
    source: home,
    cacheDir
  });
  await forget(await fileRepo(repoDir), { last: 1 });
  return { home, repoDir, snapshot: second.snapshotId };
}

describe('prune under faults', () => {
  it('stops and deletes nothing when a tree cannot be read (a storage outage)', async () => {
    const { home, repoDir, snapshot } = await twoSnapshots();
    const before = packsOf(repoDir);
    const faulty = new FaultyBackend(new FileBackend(repoDir));
    faulty.rules.push({ op: 'read', key: /^data\//, times: 8 });
    const repo = await Repository.open(faulty);
    await expect(prune(repo, { graceMs: 0 })).rejects.toThrow(
      /^Prune stopped before deleting anything: .*injected.*/
    );
    expect(faulty.injected).toBeGreaterThan(0);
    expect(packsOf(repoDir).sort()).toEqual(before.sort());
    await expectIntact(new FileBackend(repoDir), snapshot, describeTree(home));
  });

  it('refuses when the blobs in use are in no index, and repair index rebuilds it from the packs', async () => {
    const { home, repoDir, snapshot } = await twoSnapshots();
    const before = packsOf(repoDir);
    rmSync(join(repoDir, 'index'), { recursive: true });
    await expect(
      prune(await fileRepo(repoDir), { graceMs: 0 })
    ).rejects.toThrow(/in no index.*studio-backup repair index/);
    expect(packsOf(repoDir).sort()).toEqual(before.sort());

    const dry = await repairIndex(await fileRepo(repoDir), { dryRun: true });
    expect(dry.packsRead).toBe(before.length);
    expect(readdirSync(repoDir)).not.toContain('index');
    const repaired = await repairIndex(await fileRepo(repoDir));
    expect(repaired.packsRead).toBe(before.length);
    expect(repaired.unreadable).toEqual([]);
    await prune(await fileRepo(repoDir), { graceMs: 0 });
    await expectIntact(new FileBackend(repoDir), snapshot, describeTree(home));
  });

  it('frees a young, partly used pack once it is old enough (nothing leaks past the grace period)', async () => {
    const home = tempDir('home');
    const repoDir = tempDir('repo');
    const cacheDir = tempDir('cache');
    write(home, 'x.bin', randomish(300 * 1000, 3));
    write(home, 'stays.txt', 'stays\n');
    await backup(
      await Repository.open(new FileBackend(repoDir), { create: true }),
      {
        source: home,
        cacheDir
      }
    );
    write(home, 'x.bin', randomish(300 * 1000, 4));
    const latest = await backup(await fileRepo(repoDir), {
      source: home,
      cacheDir
    });
    await forget(await fileRepo(repoDir), { last: 1 });
    const young = await prune(await fileRepo(repoDir));
    expect(young.bytesFreed).toBe(0);
    const later = await prune(await fileRepo(repoDir), { graceMs: 0 });
    expect(later.bytesFreed).toBeGreaterThan(290 * 1000);
    await expectIntact(
      new FileBackend(repoDir),
      latest.snapshotId,
      describeTree(home)
    );
  });
});

describe('a damaged snapshot file', () => {
  it('is listed as damaged, blocks nothing else, stops prune, and repair snapshots removes it', async () => {
    const { home, repoDir, snapshot } = await twoSnapshots();
    const cacheDir = tempDir('cache');
    write(home, 'later.txt', 'later\n');
    const third = await backup(await fileRepo(repoDir), {
      source: home,
      cacheDir
    });
    writeFileSync(join(repoDir, 'snapshots', snapshot), 'not gzip');

    const listed = await (await fileRepo(repoDir)).listSnapshots();
    expect(listed.map(s => [s.id, Boolean(s.damaged)])).toEqual(
      expect.arrayContaining([
        [snapshot, true],
        [third.snapshotId, false]
      ])
    );
    expect(listed.find(s => s.id === snapshot)?.damaged).toMatch(
      /studio-backup repair snapshots/
    );
    expect((await openView(await fileRepo(repoDir), 'latest')).info.id).toBe(
      third.snapshotId
    );
    await forget(await fileRepo(repoDir), { last: 5 });
    await expect(
      prune(await fileRepo(repoDir), { graceMs: 0 })
    ).rejects.toThrow(/studio-backup repair snapshots/);

    const dry = await repairSnapshots(await fileRepo(repoDir), {
      dryRun: true
    });
    expect(dry.removed).toEqual([snapshot]);
    expect(readdirSync(join(repoDir, 'snapshots'))).toContain(snapshot);
    await repairSnapshots(await fileRepo(repoDir));
    expect(readdirSync(join(repoDir, 'snapshots'))).toEqual([third.snapshotId]);
    await prune(await fileRepo(repoDir), { graceMs: 0 });
    await expectIntact(
      new FileBackend(repoDir),
      third.snapshotId,
      describeTree(home)
    );
  });
});

describe('the exclusive lock', () => {
  it('is won when a retried conditional write meets the lock its first attempt made', async () => {
    const { home, repoDir, snapshot } = await twoSnapshots();
    // What S3 does when a connection resets after it applied the PUT: the SDK sends it again
    // and the second attempt answers 412 Precondition Failed.
    class RetriedPut extends FaultyBackend {
      async put(key: string, body: Buffer, options?: { ifAbsent?: boolean }) {
        await super.put(key, body, options);
        if (options?.ifAbsent) {
          await super.put(key, body, options);
        }
      }
    }
    const result = await prune(
      await Repository.open(new RetriedPut(new FileBackend(repoDir))),
      { graceMs: 0 }
    );
    expect(result.bytesFreed).toBeGreaterThan(0);
    expect(readdirSync(join(repoDir, 'locks'))).toEqual([]);
    await expectIntact(new FileBackend(repoDir), snapshot, describeTree(home));
  });
});
