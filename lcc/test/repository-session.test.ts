/**
 * The agent's repository session: kept open across requests, it reads only what changed since the
 * last request, and still answers right after backups, a forget + prune that rewrote the index,
 * and the first backup over a prefix that held only the reference LCC's copies.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../src/backup/backup';
import { forget } from '../src/maintenance/forget';
import { prune } from '../src/maintenance/prune';
import { FileBackend } from '../src/repository/file-backend';
import { openForReading } from '../src/repository/open';
import { Repository } from '../src/repository/repository';
import { RepositorySession } from '../src/repository/session';
import { openView } from '../src/browse/view';
import { cleanupTempDirs, randomish, tempDir, write } from './helpers/fixtures';
import { FaultyBackend } from './helpers/faulty-backend';

jest.setTimeout(60_000);
afterEach(cleanupTempDirs);

async function readThrough(
  session: RepositorySession,
  snapshot: string,
  rel: string
): Promise<Buffer> {
  const view = await openView(await session.reader(), snapshot);
  const entry = await view.stat(rel);
  const chunks: Buffer[] = [];
  for await (const chunk of await view.read(rel, entry!)) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function setUp() {
  const home = tempDir('session-home');
  const repoDir = tempDir('session-repo');
  const cacheDir = tempDir('session-cache');
  const writer = async () =>
    Repository.open(new FileBackend(repoDir), { create: true });
  const reads: string[] = [];
  const backend = new FaultyBackend(new FileBackend(repoDir));
  backend.onCall = (op, key) => {
    if (op === 'read') {
      reads.push(key);
    }
  };
  const session = new RepositorySession(() => Repository.open(backend));
  return { home, repoDir, cacheDir, writer, reads, session };
}

it('reads a manifest and an index file once, and later only what a backup added', async () => {
  const { home, cacheDir, writer, reads, session } = setUp();
  write(home, 'a.txt', 'first\n');
  await backup(await writer(), { source: home, cacheDir });
  expect(await (await session.reader()).listSnapshots()).toHaveLength(1);
  await openView(await session.reader(), 'latest');
  const firstReads = reads.length;
  expect(reads.filter(k => k.startsWith('snapshots/'))).toHaveLength(1);

  // Nothing changed: listing and opening again read no object.
  await (await session.reader()).listSnapshots();
  await openView(await session.reader(), 'latest');
  expect(reads).toHaveLength(firstReads);

  write(home, 'b.bin', randomish(300 * 1024, 7));
  const second = await backup(await writer(), { source: home, cacheDir });
  const listed = await (await session.reader()).listSnapshots();
  expect(listed.map(s => s.id)).toContain(second.snapshotId);
  const added = reads.slice(firstReads);
  expect(added.filter(k => k.startsWith('snapshots/'))).toEqual([
    `snapshots/${second.snapshotId}`
  ]);
  // The new file's blobs are found through the index file the second backup wrote.
  expect(await readThrough(session, second.snapshotId, 'b.bin')).toEqual(
    randomish(300 * 1024, 7)
  );
});

it('still reads right after a forget + prune rewrote the index under it', async () => {
  const { home, cacheDir, writer, session } = setUp();
  write(home, 'old.bin', randomish(500 * 1024, 1));
  write(home, 'kept.txt', 'kept\n'.repeat(2000));
  await backup(await writer(), { source: home, cacheDir });
  await openView(await session.reader(), 'latest');
  rmSync(join(home, 'old.bin'));
  write(home, 'new.bin', randomish(400 * 1024, 2));
  const kept = await backup(await writer(), { source: home, cacheDir });
  // The session knows the first index only; prune moves kept.txt out of old.bin's pack into a new
  // one, and deletes that pack and the index files the session read.
  await forget(await writer(), { last: 1 });
  const pruned = await prune(await writer(), { graceMs: 0 });
  expect(pruned.packsRepacked).toBeGreaterThan(0);
  for (const rel of ['kept.txt', 'new.bin']) {
    expect(await readThrough(session, kept.snapshotId, rel)).toEqual(
      readFileSync(join(home, rel))
    );
  }
  expect((await session.reader()).indexProblems).toEqual([]);
});

it('moves from the reference copies to the repository once a backup created it', async () => {
  const home = tempDir('session-home');
  const repoDir = tempDir('session-repo');
  write(repoDir, '2024-01-02-03-04-05/notes.txt', 'from the reference\n');
  write(repoDir, '2024-01-02-03-04-05_BACKUP_COMPLETE', '');
  const session = new RepositorySession(() => openForReading(repoDir));
  const before = await (await session.reader()).listSnapshots();
  expect(before.map(s => s.kind)).toEqual(['reference']);

  write(home, 'a.txt', 'ours\n');
  const ours = await backup(
    await Repository.open(new FileBackend(repoDir), { create: true }),
    { source: home, cacheDir: tempDir('session-cache') }
  );
  const after = await (await session.reader()).listSnapshots();
  expect(after.map(s => s.id)).toContain(ours.snapshotId);
  expect((await session.reader()).overReferenceOnly).toBe(false);
});

it('opens again after a failed open instead of keeping the failure', async () => {
  let attempts = 0;
  const repoDir = tempDir('session-repo');
  await Repository.open(new FileBackend(repoDir), { create: true });
  const session = new RepositorySession(async () => {
    attempts++;
    if (attempts === 1) {
      throw new Error('S3 failed while reading config: SlowDown');
    }
    return Repository.open(new FileBackend(repoDir));
  });
  await expect(session.reader()).rejects.toThrow(/SlowDown/);
  await expect(session.reader()).resolves.toBeInstanceOf(Repository);
  await session.reader();
  expect(attempts).toBe(2);
});
