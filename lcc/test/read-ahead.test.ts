/**
 * backup/read-ahead.ts: a backup's small files read on a thread of their own, batch by batch,
 * under a cap of bytes read ahead; what the thread cannot read is read again by the main thread.
 * Real threads (the compiled worker from lcc/lib), a real repository on file://.
 */
import { mkdirSync, readFileSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  BATCH_BYTES,
  BATCH_FILES,
  READ_AHEAD_FROM,
  ReadAhead,
  batchesOf
} from '../src/backup/read-ahead';
import { FIELDS, readBatch } from '../src/backup/read-ahead-worker';
import { SMALL_FILE } from '../src/backup/read-file';
import { FileBackend } from '../src/repository/file-backend';
import { Repository } from '../src/repository/repository';
import {
  cleanupTempDirs,
  describeTree,
  randomish,
  tempDir,
  write
} from './helpers/fixtures';
import { backedUp, restoreAll } from './helpers/restore-all';

afterEach(() => {
  jest.restoreAllMocks();
  cleanupTempDirs();
});

/** 700 small files in two folders (sizes 0 to ~5 KiB, one of SMALL_FILE bytes), and a large one. */
function smallFilesHome(): string {
  const home = tempDir('read-ahead-home');
  for (let i = 0; i < 700; i++) {
    write(home, `f${i % 2}/n${i}.txt`, randomish((i * 7919) % 5000, i));
  }
  write(home, 'f0/exactly-small.bin', randomish(SMALL_FILE, 1));
  write(home, 'large.bin', randomish(SMALL_FILE + 1, 2));
  return home;
}

async function backupAndRestore(home: string) {
  const { repoDir, snapshot, result } = await backedUp(home);
  const repo = await Repository.open(new FileBackend(repoDir));
  return { result, target: await restoreAll(repo, snapshot) };
}

describe('a backup with the read-ahead thread', () => {
  it('reads the small files in batches there, and they restore byte for byte', async () => {
    const home = smallFilesHome();
    const send = jest.spyOn(ReadAhead.prototype, 'send');
    const { result, target } = await backupAndRestore(home);
    // 701 small files in two folders: at least three batches of at most BATCH_FILES.
    expect(send.mock.calls.length).toBeGreaterThanOrEqual(3);
    const sent = send.mock.calls.flatMap(([batch]) => batch.paths);
    expect(sent).toHaveLength(701);
    expect(sent).not.toContain(join(home, 'large.bin'));
    expect(result.warnings).toEqual([]);
    expect(describeTree(target)).toEqual(describeTree(home));
  });

  it('starts no thread where no folder has READ_AHEAD_FROM small files to read', async () => {
    const home = tempDir('read-ahead-few');
    for (let i = 0; i < READ_AHEAD_FROM - 1; i++) {
      write(home, `few/n${i}.txt`, randomish(100, i));
    }
    const start = jest.spyOn(ReadAhead, 'start');
    const { target } = await backupAndRestore(home);
    expect(start).not.toHaveBeenCalled();
    expect(describeTree(target)).toEqual(describeTree(home));
  });

  it('reads again on the main thread what the thread could not: a thread that stopped', async () => {
    const home = smallFilesHome();
    const start = ReadAhead.start;
    jest.spyOn(ReadAhead, 'start').mockImplementation(() => {
      const reader = start.call(ReadAhead);
      // Stopped before its first batch: every file is read the main thread's way.
      void reader?.close();
      return reader;
    });
    const { result, target } = await backupAndRestore(home);
    expect(result.warnings).toEqual([]);
    expect(describeTree(target)).toEqual(describeTree(home));
  });
});

describe("readBatch (the thread's work)", () => {
  it('reads each file into its place, one byte past what the scan said, and marks what it cannot read', () => {
    const dir = tempDir('read-batch');
    const plain = write(dir, 'plain.txt', 'hello');
    const grown = write(dir, 'grown.txt', 'grown since the scan');
    mkdirSync(join(dir, 'sub'));
    const link = join(dir, 'link');
    symlinkSync(plain, link);
    const gone = write(dir, 'gone.txt', 'x');
    unlinkSync(gone);
    const { bytes, stamps } = readBatch({
      paths: [plain, grown, link, gone, join(dir, 'sub')],
      sizes: [5, 4, 5, 1, 0]
    });
    const field = (i: number, k: number) => stamps[i * FIELDS + k];
    const data = (i: number) =>
      Buffer.from(bytes, field(i, 0), field(i, 1)).toString();
    expect(data(0)).toBe('hello');
    expect(field(0, 2)).toBe(5);
    // A file that grew: one byte more than the scan's size shows it (the main thread reads it again).
    expect(data(1)).toBe('grown');
    expect(field(1, 2)).toBe(Buffer.byteLength('grown since the scan'));
    // A symlink is not followed (O_NOFOLLOW), a vanished file is not there, a folder is no file:
    // each is marked, and the main thread's own read says why.
    expect(field(2, 0)).toBe(-1);
    expect(field(3, 0)).toBe(-1);
    expect(field(4, 0)).toBe(-1);
    expect(readFileSync(plain, 'utf8')).toBe('hello');
  });
});

describe('ReadAhead', () => {
  it('holds at most its budget of bytes read ahead: a batch waits until one before it is done', async () => {
    const reader = ReadAhead.start()!;
    try {
      const dir = tempDir('read-ahead-budget');
      const path = write(dir, 'a.bin', randomish(1000, 3));
      // Each batch counts BATCH_BYTES (the sizes the scan gave), whatever is on disk.
      const batch = { paths: [path], sizes: [BATCH_BYTES - 1] };
      const held = [];
      for (let i = 0; i < 8; i++) {
        held.push(await reader.send(batch));
      }
      let ninth = false;
      const waiting = reader.send(batch).then(b => {
        ninth = true;
        return b;
      });
      await new Promise(resolve => setTimeout(resolve, 200));
      expect(ninth).toBe(false);
      held[0].done();
      const last = await waiting;
      expect(ninth).toBe(true);
      const read = await last.read(0);
      expect(read?.data.equals(randomish(1000, 3))).toBe(true);
    } finally {
      await reader.close();
    }
  });

  it('answers undefined (read it yourself) once stopped, without waiting', async () => {
    const reader = ReadAhead.start()!;
    await reader.close();
    const sent = await reader.send({ paths: ['/nonexistent'], sizes: [10] });
    await expect(sent.read(0)).resolves.toBeUndefined();
  });
});

describe('batchesOf', () => {
  it('cuts at BATCH_BYTES and BATCH_FILES, and a file larger than a batch goes alone', () => {
    const sizes = [
      ...new Array(BATCH_FILES + 10).fill(1),
      BATCH_BYTES,
      10,
      BATCH_BYTES / 2,
      BATCH_BYTES / 2
    ];
    const batches = batchesOf(sizes, s => s);
    expect(batches.map(b => b.length)).toEqual([BATCH_FILES, 10, 1, 2, 1]);
    expect(batches.flat()).toEqual(sizes);
  });
});
