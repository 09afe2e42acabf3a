/**
 * Migrating a repository from the reference LCC (the backend's `migrate`): copies imported,
 * verified by reading every byte, and deleted only when asked and only once verified.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrateRepository } from '../src/maintenance/migrate';
import { FileBackend } from '../src/repository/file-backend';
import { listReferenceSnapshots } from '../src/repository/reference';
import { Repository } from '../src/repository/repository';
import { openView } from '../src/browse/view';
import { cleanupTempDirs, randomish, tempDir, write } from './helpers/fixtures';

jest.setTimeout(60_000);
afterEach(cleanupTempDirs);

/** Two complete copies and one the reference was still writing (no marker). */
function referencePrefix(): string {
  const dir = tempDir('migrate-repo');
  for (const [ts, seed] of [
    ['2024-05-01-10-00-00', 1],
    ['2024-05-02-10-00-00', 2]
  ] as const) {
    write(dir, `${ts}/notebooks/analysis.ipynb`, `{"cells": [${seed}]}`);
    write(dir, `${ts}/data/big.bin`, randomish(200 * 1024, 7));
    write(dir, `${ts}/${ts}_BACKUP_COMPLETE`, '');
  }
  write(dir, '2024-05-03-10-00-00/notebooks/analysis.ipynb', '{"cells": [3]}');
  return dir;
}

async function copies(dir: string): Promise<string[]> {
  return (await listReferenceSnapshots(new FileBackend(dir))).map(c => c.id);
}

it('imports and verifies without deleting, then deletes only the verified copies when asked', async () => {
  const dir = referencePrefix();
  const first = await migrateRepository(new FileBackend(dir));
  expect(first).toMatchObject({
    copiesImported: 2,
    copiesVerified: 2,
    copiesDeleted: 0,
    problems: []
  });
  expect(await copies(dir)).toHaveLength(3);

  const second = await migrateRepository(new FileBackend(dir), {
    deleteCopies: true
  });
  // Already imported: nothing read again; both complete copies go, the incomplete one stays.
  expect(second).toMatchObject({ copiesImported: 0, copiesDeleted: 2 });
  expect(second.bytesDeleted).toBeGreaterThan(400 * 1024);
  expect(await copies(dir)).toEqual(['2024-05-03-10-00-00']);
  // The imported snapshots hold what the copies held.
  const repo = await Repository.open(new FileBackend(dir));
  const view = await openView(repo, 'latest');
  const entry = await view.stat('notebooks/analysis.ipynb');
  const chunks: Buffer[] = [];
  for await (const chunk of await view.read(
    'notebooks/analysis.ipynb',
    entry!
  )) {
    chunks.push(chunk as Buffer);
  }
  expect(Buffer.concat(chunks).toString()).toBe('{"cells": [2]}');
});

it('deletes no copy when check --read-data finds a damaged pack', async () => {
  const dir = referencePrefix();
  await migrateRepository(new FileBackend(dir));
  const data = join(dir, 'data');
  const sub = readdirSync(data)[0];
  const pack = readdirSync(join(data, sub))[0];
  writeFileSync(join(data, sub, pack), 'not the pack any more');
  const result = await migrateRepository(new FileBackend(dir), {
    deleteCopies: true
  });
  expect(result.problems.length).toBeGreaterThan(0);
  expect(result).toMatchObject({ copiesVerified: 0, copiesDeleted: 0 });
  expect(await copies(dir)).toHaveLength(3);
});
