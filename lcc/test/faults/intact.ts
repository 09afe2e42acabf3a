/** How every fault case ends: the repository passes check --read-data and restores byte for byte. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileBackend } from '../../src/repository/file-backend';
import { IBackend } from '../../src/repository/backend';
import { Repository } from '../../src/repository/repository';
import { check } from '../../src/maintenance/check';
import { restore } from '../../src/restore/restore';
import { openView } from '../../src/browse/view';
import { describeTree, tempDir } from '../helpers/fixtures';

export function fileRepo(dir: string): Promise<Repository> {
  return Repository.open(new FileBackend(dir));
}

/** A new file:// repository with small packs, so that a few MiB make many packs and checkpoints. */
export async function smallPackRepo(
  dir: string,
  packSize = 1024 * 1024
): Promise<void> {
  const repo = await Repository.open(new FileBackend(dir), { create: true });
  writeFileSync(
    join(dir, 'config'),
    JSON.stringify({ ...repo.config, packSize }, null, 2)
  );
}

/** check --read-data finds nothing, and `snapshot` restores exactly to `expected` (a describeTree). */
export async function expectIntact(
  backend: IBackend,
  snapshot: string,
  expected: Record<string, string>
): Promise<void> {
  const result = await check(await Repository.open(backend), {
    readData: true
  });
  expect(result.problems).toEqual([]);
  const target = tempDir('intact');
  await restore(await openView(await Repository.open(backend), snapshot), {
    paths: [],
    target,
    conflict: 'skip'
  });
  expect(describeTree(target)).toEqual(expected);
}
