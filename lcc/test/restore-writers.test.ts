/**
 * A restore's writer threads (restore/span-writers.ts) against the main thread's own way: the same
 * files, byte for byte, with their holes, modes and times; a corrupted blob leaves out only the
 * files that need it; no temp file is left. Real threads, real files (the compiled worker of
 * lcc/lib, which scripts/setup.sh builds).
 */
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync
} from 'node:fs';
import { join } from 'node:path';
import { openView } from '../src/browse/view';
import { FileBackend } from '../src/repository/file-backend';
import { packKey } from '../src/repository/format';
import { Repository } from '../src/repository/repository';
import { restore } from '../src/restore/restore';
import { SpanWriters } from '../src/restore/span-writers';
import {
  cleanupTempDirs,
  describeTree,
  randomish,
  tempDir,
  write
} from './helpers/fixtures';
import { backedUp, tempFiles } from './helpers/restore-all';

afterEach(cleanupTempDirs);

const MiB = 1024 * 1024;

/** Small notebooks, large random files, a file of one block three times, zeros, a sparse image. */
function makeHome(): string {
  const home = tempDir('home');
  for (let i = 0; i < 40; i++) {
    write(
      home,
      `notes/n${i % 5}/f${i}.ipynb`,
      `{"cell": ${i}}\n`.repeat(40 + i)
    );
  }
  write(home, 'data/big.bin', randomish(6 * MiB, 1));
  const block = randomish(3 * MiB, 2);
  write(home, 'data/repeated.bin', Buffer.concat([block, block, block]));
  write(home, 'zeros.bin', Buffer.alloc(64 * 1024));
  write(home, 'empty.txt', '');
  const image = write(home, 'disk.img', 'head');
  truncateSync(image, 24 * MiB);
  const fd = openSync(image, 'r+');
  writeSync(fd, Buffer.from('tail'), 0, 4, 24 * MiB - 4);
  closeSync(fd);
  return home;
}

async function restoreWith(repoDir: string, writers: number) {
  const target = tempDir('target');
  const repo = await Repository.open(new FileBackend(repoDir));
  const result = await restore(await openView(repo, 'latest'), {
    paths: [],
    target,
    conflict: 'skip',
    writers
  });
  return { target, result };
}

it('can start here: the compiled worker is there', async () => {
  const writers = SpanWriters.start(1);
  expect(writers).toBeDefined();
  await writers!.close();
});

describe.each([2, 0])('a restore with %i writer threads', writers => {
  it('brings every file back byte for byte, holes included', async () => {
    const home = makeHome();
    const { repoDir } = await backedUp(home);
    const { target, result } = await restoreWith(repoDir, writers);
    expect(result.damaged).toEqual([]);
    expect(describeTree(target)).toEqual(describeTree(home));
    const image = statSync(join(target, 'disk.img'));
    expect(image.size).toBe(24 * MiB);
    // The chunks that hold the head and the tail (8 MiB each at most) are written, not the zeros.
    expect(image.blocks * 512).toBeLessThanOrEqual(16 * MiB);
    expect(
      readFileSync(join(target, 'zeros.bin')).equals(Buffer.alloc(64 * 1024))
    ).toBe(true);
    expect(tempFiles(target)).toEqual([]);
  });

  it('leaves out the files of a corrupted blob, and only those', async () => {
    const home = makeHome();
    const { repoDir, snapshot: snapshotId } = await backedUp(home);
    const repo = await Repository.open(new FileBackend(repoDir));
    await repo.loadIndex();
    const snapshot = await repo.loadSnapshot(snapshotId);
    const data = await repo.loadTree(
      (await repo.loadTree(snapshot.tree)).entries.find(e => e.name === 'data')!
        .subtree!
    );
    // The second blob of big.bin: its first is written before the damage is found.
    const victim = data.entries.find(e => e.name === 'big.bin')!.content![1];
    const loc = repo.index.get(victim)!;
    const packPath = join(repoDir, ...packKey(loc.pack).split('/'));
    const bytes = readFileSync(packPath);
    bytes[loc.offset + loc.length - 7] ^= 0xff;
    writeFileSync(packPath, bytes);

    const { target, result } = await restoreWith(repoDir, writers);
    expect(result.damaged).toEqual(['data/big.bin']);
    expect(result.warnings.join('\n')).toMatch(/big\.bin.*corrupted/);
    expect(existsSync(join(target, 'data', 'big.bin'))).toBe(false);
    expect(describeTree(target)).toEqual(
      describeTree(home, rel => rel === 'data/big.bin')
    );
    expect(tempFiles(target)).toEqual([]);
  });
});
