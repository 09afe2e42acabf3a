/** A whole snapshot restored into a new temporary folder, as `studio-backup restore SNAPSHOT` does. */
import { readdirSync } from 'node:fs';
import { backup } from '../../src/backup/backup';
import { openView } from '../../src/browse/view';
import { FileBackend } from '../../src/repository/file-backend';
import { Repository } from '../../src/repository/repository';
import { restore } from '../../src/restore/restore';
import { tempDir } from './fixtures';

/** `home` backed up into a new file repository: its folder, the snapshot's id and the backup's result. */
export async function backedUp(home: string) {
  const repoDir = tempDir('repo');
  const result = await backup(
    await Repository.open(new FileBackend(repoDir), { create: true }),
    { source: home, cacheDir: tempDir('cache') }
  );
  return { repoDir, snapshot: result.snapshotId, result };
}

/** What a restore left of its temp files under `dir` (none, once it has ended). */
export function tempFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter(name => name.includes('studio-backup'));
}

export async function restoreAll(
  repo: Repository,
  snapshot = 'latest'
): Promise<string> {
  const target = tempDir('target');
  await restore(await openView(repo, snapshot), {
    paths: [],
    target,
    conflict: 'skip'
  });
  return target;
}
