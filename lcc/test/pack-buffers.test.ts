/**
 * Packs are filled in reused buffers and small files are restored with synchronous calls: a home
 * that makes dozens of packs (a tiny pack size) restores byte for byte, every pack's bytes match
 * its name, and `check --read-data` finds nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../src/backup/backup';
import { check } from '../src/maintenance/check';
import { FileBackend } from '../src/repository/file-backend';
import { decodeBlobAsync, encodeBlob } from '../src/repository/format';
import { Repository } from '../src/repository/repository';
import { FaultyBackend } from './helpers/faulty-backend';
import { restoreAll } from './helpers/restore-all';
import {
  cleanupTempDirs,
  describeTree,
  randomish,
  tempDir,
  write
} from './helpers/fixtures';

afterEach(cleanupTempDirs);

describe('pack buffers', () => {
  it('restores a home of many packs byte for byte, each pack named by its hash', async () => {
    const home = tempDir('home');
    for (let i = 0; i < 240; i++) {
      // Random (stored raw) and text (compressed) files, 2 to 60 KiB: many per pack.
      write(
        home,
        `d${i % 7}/f${i}.${i % 2 ? 'bin' : 'txt'}`,
        i % 2
          ? randomish(2048 + ((i * 977) % 60000), i)
          : `line ${i}\n`.repeat(200 + ((i * 37) % 3000))
      );
    }
    write(home, 'big/model.pt', randomish(3 * 1024 * 1024 + 17, 99));
    const repoDir = tempDir('repo');
    await Repository.open(new FileBackend(repoDir), { create: true });
    const config = JSON.parse(readFileSync(join(repoDir, 'config'), 'utf8'));
    writeFileSync(
      join(repoDir, 'config'),
      JSON.stringify({ ...config, packSize: 64 * 1024 })
    );
    const repo = await Repository.open(new FileBackend(repoDir));
    await backup(repo, { source: home, cacheDir: tempDir('cache') });
    expect(repo.packsWritten.size).toBeGreaterThan(20);

    const fresh = await Repository.open(new FileBackend(repoDir));
    expect((await check(fresh, { readData: true })).problems).toEqual([]);
    const target = await restoreAll(fresh);
    expect(describeTree(target)).toEqual(describeTree(home));
  });

  it('keeps trees in packs of their own, and a full restore reads them whole, not one request per folder', async () => {
    const home = tempDir('home');
    for (let i = 0; i < 120; i++) {
      write(home, `p${i % 6}/sub${i}/notes.txt`, `folder ${i}\n`);
    }
    const repoDir = tempDir('repo');
    const repo = await Repository.open(new FileBackend(repoDir), {
      create: true
    });
    await backup(repo, { source: home, cacheDir: tempDir('cache') });
    const fresh = await Repository.open(new FileBackend(repoDir));
    await fresh.loadIndex();
    const types = new Map<string, Set<string>>();
    for (const [, loc] of fresh.index.entries()) {
      types.set(loc.pack, (types.get(loc.pack) ?? new Set()).add(loc.type));
    }
    expect(
      [...types.values()].map(t => [...t].sort().join('+')).sort()
    ).toEqual(['data', 'tree']);

    const counting = new FaultyBackend(new FileBackend(repoDir));
    const reads: string[] = [];
    counting.onCall = (op, key) => {
      if (op === 'read' && key.startsWith('data/')) reads.push(key);
    };
    const viaCounter = await Repository.open(counting);
    const target = await restoreAll(viaCounter);
    expect(describeTree(target)).toEqual(describeTree(home));
    // 127 folders: one read of the tree pack and one of the data pack, not 127 + 1.
    expect(reads.length).toBeGreaterThanOrEqual(2);
    expect(reads.length).toBeLessThanOrEqual(3);
  });

  it('refuses to inflate a blob past the raw length its index gives', async () => {
    const text = Buffer.from(
      Array.from(
        { length: 40000 },
        (_, i) => `${i},${(i * 7919) % 1000}\n`
      ).join('')
    );
    const { bytes, encoding } = await encodeBlob(text, true, true);
    expect(bytes.length).toBeGreaterThan(64 * 1024);
    await expect(
      decodeBlobAsync(bytes, encoding, text.length)
    ).resolves.toEqual(text);
    await expect(
      decodeBlobAsync(bytes, encoding, Math.floor(text.length / 4))
    ).rejects.toThrow();
  });
});
