/** Finding files by name in every snapshot, ours and the reference LCC's copies. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { backup } from '../src/backup/backup';
import { nameMatcher, searchSnapshots } from '../src/browse/search';
import { FileBackend } from '../src/repository/file-backend';
import { Repository } from '../src/repository/repository';
import { cleanupTempDirs, tempDir, write } from './helpers/fixtures';

jest.setTimeout(60_000);
afterAll(cleanupTempDirs);

const open = (dir: string) =>
  Repository.open(new FileBackend(dir), { create: true });

/** Three snapshots: train.py changes between the first and the second, then stays. */
async function threeSnapshots() {
  const home = tempDir('search-home');
  const repoDir = tempDir('search-repo');
  const cacheDir = tempDir('search-cache');
  write(home, 'project/train.py', 'print(1)\n');
  write(home, 'project/data/x.csv', 'a,b\n');
  write(home, 'other/y.csv', 'c,d\n');
  write(home, 'README.md', '# home\n');
  const ids: string[] = [];
  ids.push(
    (await backup(await open(repoDir), { source: home, cacheDir })).snapshotId
  );
  write(home, 'project/train.py', 'print(2)\n');
  ids.push(
    (await backup(await open(repoDir), { source: home, cacheDir })).snapshotId
  );
  write(home, 'notes.txt', 'new file, same train.py\n');
  ids.push(
    (await backup(await open(repoDir), { source: home, cacheDir })).snapshotId
  );
  return { repoDir, ids };
}

let fixture: Awaited<ReturnType<typeof threeSnapshots>>;
beforeAll(async () => {
  fixture = await threeSnapshots();
});

it('lists each distinct version of a matching file, newest first', async () => {
  const result = await searchSnapshots(
    await open(fixture.repoDir),
    'train*.py'
  );
  const [third, second, first] = [...fixture.ids].reverse();
  expect(result.snapshots).toBe(3);
  expect(result.paths.map(p => p.path)).toEqual(['project/train.py']);
  // The second and third snapshots hold one version: it is listed once, at the newest.
  expect(result.paths[0].versions.map(v => v.snapshot)).toEqual([third, first]);
  expect(second).not.toBe(third);
  expect(result.truncated).toBe(false);
});

it('matches a part of a name, any case, and a path pattern only by its path', async () => {
  const repo = await open(fixture.repoDir);
  expect((await searchSnapshots(repo, 'RAIN')).paths.map(p => p.path)).toEqual([
    'project/train.py'
  ]);
  expect((await searchSnapshots(repo, '*.csv')).paths.map(p => p.path)).toEqual(
    ['other/y.csv', 'project/data/x.csv']
  );
  expect(
    (await searchSnapshots(repo, 'project/**/*.csv')).paths.map(p => p.path)
  ).toEqual(['project/data/x.csv']);
  expect((await searchSnapshots(repo, 'nothing-like-this')).paths).toEqual([]);
});

it('says when more paths matched than the limit', async () => {
  const result = await searchSnapshots(await open(fixture.repoDir), '*', {
    limit: 2
  });
  expect(result.paths).toHaveLength(2);
  expect(result.truncated).toBe(true);
});

it('finds files in the reference LCC copies too', async () => {
  const repoDir = tempDir('search-reference');
  write(repoDir, '2024-05-06-07-08-09/project/train.py', 'print(0)\n');
  write(repoDir, '2024-05-06-07-08-09_BACKUP_COMPLETE', '');
  const repo = await open(repoDir);
  const [found] = (await searchSnapshots(repo, 'train.py')).paths;
  expect(found.path).toBe('project/train.py');
  expect(found.versions.map(v => v.kind)).toEqual(['reference']);
});

it('refuses an empty pattern in one line', () => {
  expect(() => nameMatcher('  ')).toThrow(/Give a name or a pattern/);
});

it('is a CLI command with a table and --json', () => {
  const cli = join(__dirname, '..', 'bin', 'studio-backup.js');
  const table = spawnSync(
    process.execPath,
    [cli, 'search', '*.csv', '--repo', fixture.repoDir],
    { encoding: 'utf8' }
  );
  expect(table.status).toBe(0);
  expect(table.stdout).toMatch(/project\/data\/x\.csv/);
  const json = spawnSync(
    process.execPath,
    [cli, 'search', 'train', '--json', '--repo', fixture.repoDir],
    { encoding: 'utf8' }
  );
  expect(JSON.parse(json.stdout).paths[0].versions).toHaveLength(2);
  const bad = spawnSync(
    process.execPath,
    [cli, 'search', 'x', '--limit', 'many', '--repo', fixture.repoDir],
    { encoding: 'utf8' }
  );
  expect(bad.status).not.toBe(0);
  expect(bad.stderr.trim().split('\n')).toHaveLength(1);
});
