/**
 * Review of 5b6bb78: "all index files still listed" is not proof that no prune removed data. A
 * backup's packs are in no index until its next index file (a checkpoint, or its flush): a prune
 * that finds the backup's lock stale deletes them as the uploads of a dead backup once past the
 * grace period. A first backup has read no index file, so nothing it read goes missing.
 */
import { backup } from '../../src/backup/backup';
import { FileBackend } from '../../src/repository/file-backend';
import { Repository } from '../../src/repository/repository';
import { prune } from '../../src/maintenance/prune';
import { check } from '../../src/maintenance/check';
import {
  cleanupTempDirs,
  randomish,
  tempDir,
  write
} from '../helpers/fixtures';

jest.setTimeout(120_000);
afterEach(() => {
  jest.restoreAllMocks();
  cleanupTempDirs();
});

function advanceClock(ms: number): void {
  const real = Date.now.bind(Date);
  jest.spyOn(Date, 'now').mockImplementation(() => real() + ms);
}

class PausingBackend extends FileBackend {
  constructor(
    root: string,
    private during?: () => Promise<void>
  ) {
    super(root);
  }
  async put(key: string, body: Buffer, options?: { ifAbsent?: boolean }) {
    if (key.startsWith('index/') && this.during) {
      const during = this.during;
      this.during = undefined;
      await during();
    }
    return super.put(key, body, options);
  }
}

it('a first backup paused past the grace period writes no snapshot naming packs a prune deleted', async () => {
  const home = tempDir('home');
  const repoDir = tempDir('repo');
  write(home, 'model.bin', randomish(400 * 1024, 7));
  await Repository.open(new FileBackend(repoDir), { create: true });
  // Paused two hours after uploading its packs, before indexing them: the prune sees a stale
  // shared lock and packs in no index older than its grace period.
  const backend = new PausingBackend(repoDir, async () => {
    advanceClock(2 * 3600_000);
    await prune(await Repository.open(new FileBackend(repoDir)));
  });
  let failed = false;
  await backup(await Repository.open(backend), {
    source: home,
    cacheDir: tempDir('cache')
  }).catch(() => (failed = true));
  const repo = await Repository.open(new FileBackend(repoDir));
  const snapshots = await repo.listSnapshots();
  const { problems } = await check(repo, { readData: true });
  // Either no snapshot, or a snapshot whose data is all there.
  expect({ failed, snapshots: snapshots.length, problems }).toEqual(
    failed
      ? { failed, snapshots: 0, problems: [] }
      : { failed, snapshots: 1, problems: [] }
  );
});
