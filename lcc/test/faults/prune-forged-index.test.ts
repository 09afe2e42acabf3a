/**
 * An index file is anyone's claim: a session that may only append (alice's, docs/trust-model.md)
 * can add a pack of junk and an index file saying it holds her blobs. Prune keeps one copy of a
 * blob and deletes packs that hold no kept copy, so it must keep a copy whose bytes it checked,
 * never the claim alone: the history stays whole, and so does its check --read-data.
 */
import { readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { backup } from '../../src/backup/backup';
import { FileBackend } from '../../src/repository/file-backend';
import { Repository } from '../../src/repository/repository';
import { prune, PruneStoppedError } from '../../src/maintenance/prune';
import { packJson, packKey, sha256 } from '../../src/repository/format';
import { IndexFile } from '../../src/repository/blobs';
import {
  cleanupTempDirs,
  describeTree,
  randomish,
  tempDir,
  write
} from '../helpers/fixtures';
import { expectIntact, fileRepo } from './intact';
import { FaultyBackend } from '../helpers/faulty-backend';
import { restore } from '../../src/restore/restore';
import { openView } from '../../src/browse/view';

jest.setTimeout(120_000);
afterEach(cleanupTempDirs);

/**
 * The attacker: only creates objects (what the bucket policy lets alice's session do). For every
 * real pack, a pack of junk of its size and an index file saying it holds the same blobs.
 */
async function forgeIndex(
  repoDir: string
): Promise<{ forgedKey: string; forged: IndexFile }> {
  const backend = new FileBackend(repoDir);
  const repo = await fileRepo(repoDir);
  const forged: IndexFile = { version: 1, packs: [] };
  for await (const item of backend.list('index/')) {
    const file = await repo.readIndexFile(item.key);
    for (const pack of file.packs) {
      const size = Math.max(...pack.blobs.map(([, , off, len]) => off + len));
      const junk = randomBytes(size);
      const id = sha256(junk);
      await backend.put(packKey(id), junk, { ifAbsent: true });
      forged.packs.push({ id, blobs: pack.blobs });
    }
  }
  const bytes = packJson(forged);
  const forgedKey = `index/${sha256(bytes)}`;
  await backend.put(forgedKey, bytes, { ifAbsent: true });
  return { forgedKey, forged };
}

it('an appended junk pack plus an index naming it does not make prune delete the real packs', async () => {
  const home = tempDir('home');
  const repoDir = tempDir('repo');
  write(home, 'a.bin', randomish(300 * 1024, 1));
  write(home, 'notes.txt', 'notes\n');
  const { snapshotId } = await backup(
    await Repository.open(new FileBackend(repoDir), { create: true }),
    { source: home, cacheDir: tempDir('cache') }
  );
  // The real packs were written two hours ago (past the default grace period).
  const past = new Date(Date.now() - 2 * 3600_000);
  const data = join(repoDir, 'data');
  for (const sub of readdirSync(data)) {
    for (const f of readdirSync(join(data, sub))) {
      utimesSync(join(data, sub, f), past, past);
    }
  }

  const realPacks: string[] = [];
  for await (const item of new FileBackend(repoDir).list('data/')) {
    realPacks.push(item.key);
  }

  const { forgedKey, forged } = await forgeIndex(repoDir);
  const backend = new FileBackend(repoDir);

  // The backend's daily maintenance, default options. Where the forged copy of a tree is the one
  // the index reads first, the walk fails and prune stops with nothing deleted; otherwise it
  // finishes. Either way no real pack is deleted.
  await prune(await fileRepo(repoDir)).catch(err => {
    expect(err).toBeInstanceOf(PruneStoppedError);
  });
  for (const key of realPacks) {
    expect(await backend.exists(key)).toBe(true);
  }

  // check --read-data reports the junk (which copy it reads first hangs on the index files' order);
  // once the forged index and its packs are removed, the history is whole, byte for byte.
  await backend.delete(forgedKey);
  for (const pack of forged.packs) {
    await backend.delete(packKey(pack.id));
  }
  await expectIntact(new FileBackend(repoDir), snapshotId, describeTree(home));
});

it('a restore, a listing and a file read use the good copy when the index read first names a junk pack', async () => {
  const home = tempDir('home');
  const repoDir = tempDir('repo');
  write(home, 'a.bin', randomish(300 * 1024, 2));
  write(home, 'notes.txt', 'notes\n');
  write(home, 'src/train.py', 'print("train")\n');
  const { snapshotId } = await backup(
    await Repository.open(new FileBackend(repoDir), { create: true }),
    { source: home, cacheDir: tempDir('cache') }
  );
  const { forgedKey } = await forgeIndex(repoDir);
  // The forged index listed (so read) first: its junk copy of every blob is the one found first.
  const backend = new FaultyBackend(new FileBackend(repoDir));
  backend.listOrder = items =>
    [...items].sort(
      (a, b) => Number(b.key === forgedKey) - Number(a.key === forgedKey)
    );
  const target = tempDir('restored');
  const result = await restore(
    await openView(await Repository.open(backend), snapshotId),
    { paths: [], target, conflict: 'skip' }
  );
  expect(result.damaged).toEqual([]);
  expect(describeTree(target)).toEqual(describeTree(home));
  const view = await openView(await Repository.open(backend), snapshotId);
  expect((await view.listDir('src'))?.map(e => e.name)).toEqual(['train.py']);
  const notes = (await view.stat('notes.txt'))!;
  const chunks: Buffer[] = [];
  for await (const chunk of await view.read('notes.txt', notes)) {
    chunks.push(chunk as Buffer);
  }
  expect(Buffer.concat(chunks).toString()).toBe('notes\n');
});
