/** The engine against a real S3-compatible server (moto) over HTTP, with the real SDK clients. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../src/backup/backup';
import { AlreadyExistsError } from '../src/repository/backend';
import { Lock, LockError } from '../src/repository/lock';
import { openBackend } from '../src/repository/open';
import { Repository } from '../src/repository/repository';
import { restore } from '../src/restore/restore';
import { openView } from '../src/browse/view';
import { check } from '../src/maintenance/check';
import {
  cleanupTempDirs,
  describeTree,
  makeHome,
  randomish,
  tempDir,
  write,
  excludedByDefault
} from './helpers/fixtures';
import { IS3Server, startS3, VENV_BIN } from './helpers/s3';

jest.setTimeout(60_000);

let s3: IS3Server;
beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket('backups');
});
afterAll(() => s3?.stop());
afterEach(cleanupTempDirs);

const excluded = excludedByDefault;
let n = 0;
const repoUrl = () => `s3://backups/studio/alice/space-${++n}`;

describe('engine on S3 (moto server)', () => {
  it('backs up and restores a home byte-identical, across several packs and multipart-sized objects', async () => {
    const home = tempDir('home');
    makeHome(home);
    write(home, 'models/large.bin', randomish(40 * 1024 * 1024, 9));
    const url = repoUrl();
    const result = await backup(
      await Repository.open(openBackend(url), { create: true }),
      { source: home, cacheDir: tempDir('cache') }
    );
    expect(result.warnings).toEqual([]);
    const target = tempDir('target');
    await restore(
      await openView(await Repository.open(openBackend(url)), 'latest'),
      { paths: [], target, conflict: 'skip' }
    );
    expect(describeTree(target)).toEqual(describeTree(home, excluded));
    const verified = await check(await Repository.open(openBackend(url)), {
      readData: true
    });
    expect(verified.problems).toEqual([]);
    expect(verified.packs).toBeGreaterThanOrEqual(3);
  });

  it('reads a range into a buffer it is given, as a restore reads its spans again and again', async () => {
    const backend = openBackend(repoUrl());
    const body = randomish(300 * 1024, 4);
    await backend.put('data/object', body);
    const into = Buffer.alloc(256 * 1024, 0xee);
    const first = await backend.getRange('data/object', 1000, 200 * 1024, into);
    expect(first.buffer).toBe(into.buffer);
    expect(first.equals(body.subarray(1000, 1000 + 200 * 1024))).toBe(true);
    const second = await backend.getRange('data/object', 7, 10, into);
    expect(second.equals(body.subarray(7, 17))).toBe(true);
    expect(into.subarray(0, 10).equals(body.subarray(7, 17))).toBe(true);
  });

  it('says when the bucket does not exist, in one line', async () => {
    await expect(
      Repository.open(openBackend('s3://no-such-bucket/x'), { create: true })
    ).rejects.toThrow(
      'Bucket no-such-bucket does not exist: create it or fix --repo.'
    );
  });

  it('uses conditional writes: a second exclusive lock or config write loses', async () => {
    const backend = openBackend(repoUrl());
    await backend.put('probe', Buffer.from('1'), { ifAbsent: true });
    await expect(
      backend.put('probe', Buffer.from('2'), { ifAbsent: true })
    ).rejects.toBeInstanceOf(AlreadyExistsError);
    expect((await backend.get('probe')).toString()).toBe('1');

    const lock = await Lock.exclusive(backend, 'prune');
    await expect(Lock.exclusive(backend, 'prune')).rejects.toThrow(LockError);
    await expect(Lock.shared(backend, 'backup', 0)).rejects.toThrow(
      /The repository is locked: prune by/
    );
    await lock.release();
    const shared = await Lock.shared(backend, 'backup');
    await expect(Lock.exclusive(backend, 'prune')).rejects.toThrow(
      /A backup is running/
    );
    await shared.release();
  });

  it('lists and restores snapshots written by the reference LCC with the real aws s3 sync', async () => {
    const home = tempDir('home');
    makeHome(home);
    const url = repoUrl();
    const prefix = url.slice('s3://backups/'.length);
    const env = { ...process.env, PATH: `${VENV_BIN}:${process.env.PATH}` };
    const aws = (...args: string[]) =>
      execFileSync(
        join(VENV_BIN, 'aws'),
        ['--endpoint-url', s3.endpoint, ...args],
        { env, stdio: 'pipe' }
      );
    // Exactly what the reference LCC runs, including its excludes and its completion marker.
    const ts = '2024-03-01-12-00-00';
    aws(
      's3',
      'sync',
      home,
      `s3://backups/${prefix}/${ts}/`,
      '--exclude',
      '*/lost+found/*',
      '--exclude',
      'restored-files/*',
      '--exclude',
      '.*/*'
    );
    const marker = join(tempDir('m'), `${ts}_BACKUP_COMPLETE`);
    writeFileSync(marker, '');
    aws(
      's3',
      'cp',
      marker,
      `s3://backups/${prefix}/${ts}/${ts}_BACKUP_COMPLETE`
    );
    aws(
      's3',
      'sync',
      join(home, 'data'),
      `s3://backups/${prefix}/2024-03-02-12-00-00/data/`
    );

    const repo = await Repository.open(openBackend(url), { create: true });
    const listed = await repo.listSnapshots();
    expect(listed.map(s => [s.id, s.kind, s.complete])).toEqual([
      ['2024-03-02-12-00-00', 'reference', false],
      ['2024-03-01-12-00-00', 'reference', true]
    ]);
    const view = await openView(repo, ts);
    expect((await view.listDir(''))!.map(e => e.name)).toContain(
      'analysis.ipynb'
    );
    const target = tempDir('target');
    await restore(view, { paths: [], target, conflict: 'skip' });
    const files = (
      root: string,
      skip: (rel: string) => boolean = () => false
    ) =>
      Object.fromEntries(
        Object.entries(describeTree(root, skip))
          .filter(([, d]) => d.startsWith('file'))
          .map(([rel, d]) => [rel, d.split(' ')[1]])
      );
    // The reference's "*/lost+found/*" needs a folder before lost+found, so its copy keeps the top-level one.
    const referenceExcluded = (rel: string) =>
      /^(\.cache|\.config|restored-files)(\/|$)/.test(rel);
    expect(files(target)).toEqual(files(home, referenceExcluded));
    expect(
      readFileSync(join(target, 'models/checkpoint.bin')).equals(
        readFileSync(join(home, 'models/checkpoint.bin'))
      )
    ).toBe(true);
  });
});
