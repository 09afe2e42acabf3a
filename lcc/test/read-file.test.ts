/**
 * Reading a file for a backup gives the same chunks however it is read: small files whole, large
 * ones streamed through a buffer that is compacted as it goes (a real repository on file://).
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chunker } from '../src/backup/chunker';
import { saveFile, SMALL_FILE } from '../src/backup/read-file';
import { FileBackend } from '../src/repository/file-backend';
import { sha256 } from '../src/repository/format';
import { Repository } from '../src/repository/repository';
import { cleanupTempDirs, tempDir } from './helpers/fixtures';

/** The chunk ids of `data` cut in memory in one go: what any way of reading must give. */
function chunkIdsInMemory(chunker: Chunker, data: Buffer): string[] {
  const ids: string[] = [];
  let rest = data;
  while (rest.length > 0) {
    const cut =
      rest.length <= chunker.params.min ? rest.length : chunker.cut(rest, true);
    ids.push(sha256(rest.subarray(0, cut)));
    rest = rest.subarray(cut);
  }
  return ids;
}

afterEach(cleanupTempDirs);

describe('saveFile', () => {
  it.each([
    ['a small file, read whole', 100_000],
    ['a large file, streamed past several compactions', 20 * 1024 * 1024 + 123]
  ])('cuts %s as in memory, and stores every chunk', async (_, size) => {
    const dir = tempDir('read-file');
    const path = join(dir, 'file.bin');
    // Any content will do: the cuts are compared with the in-memory ones of the same bytes.
    const data = randomBytes(size);
    writeFileSync(path, data);
    const repo = await Repository.open(new FileBackend(join(dir, 'repo')), {
      create: true
    });
    const chunker = new Chunker(repo.config.chunker);
    let bytes = 0;
    const result = await saveFile(
      {
        repo,
        chunker,
        compressible: false,
        onBytes: n => (bytes += n)
      },
      path,
      lstatSync(path)
    );
    expect(size <= SMALL_FILE).toBe(size === 100_000);
    expect(result.changedDuringBackup).toBe(false);
    expect(result.size).toBe(size);
    expect(bytes).toBe(size);
    expect(result.content).toEqual(chunkIdsInMemory(chunker, data));
    await repo.flush();
    const restored = Buffer.concat(
      await Promise.all(result.content.map(id => repo.readBlob(id)))
    );
    expect(restored.equals(data)).toBe(true);
  });

  it('reads a small file renamed over after the scan as the new file, whole', async () => {
    const dir = tempDir('read-file');
    const path = join(dir, 'config.json');
    writeFileSync(path, '{"old": true}');
    const scanned = lstatSync(path);
    // An editor's save: the new content written beside it, then renamed over it.
    writeFileSync(join(dir, 'config.json.tmp'), '{"new": true, "longer": 1}');
    renameSync(join(dir, 'config.json.tmp'), path);
    const repo = await Repository.open(new FileBackend(join(dir, 'repo')), {
      create: true
    });
    const result = await saveFile(
      {
        repo,
        chunker: new Chunker(repo.config.chunker),
        compressible: true,
        onBytes: () => undefined
      },
      path,
      scanned
    );
    expect(result.stamp.ino).toBe(lstatSync(path).ino);
    expect(result.stamp.ino).not.toBe(scanned.ino);
    expect(result.changedDuringBackup).toBe(false);
    await repo.flush();
    const read = Buffer.concat(
      await Promise.all(result.content.map(id => repo.readBlob(id)))
    );
    expect(read.toString()).toBe('{"new": true, "longer": 1}');
  });
});
