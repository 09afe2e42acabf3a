/**
 * Prune on moto behind the fault-injecting proxy, through a short S3 outage on data/ that outlasts
 * the retries of one read: it must stop (throw) without deleting what the remaining snapshot needs.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../src/backup/backup';
import { check } from '../../src/maintenance/check';
import { forget } from '../../src/maintenance/forget';
import { prune } from '../../src/maintenance/prune';
import { openBackend } from '../../src/repository/open';
import { GET_ATTEMPTS } from '../../src/repository/s3-backend';
import { Repository } from '../../src/repository/repository';
import { restore } from '../../src/restore/restore';
import { openView } from '../../src/browse/view';
import { IFaultProxy, startFaultProxy } from '../helpers/fault-proxy';
import {
  cleanupTempDirs,
  describeTree,
  randomish,
  tempDir,
  write
} from '../helpers/fixtures';
import { IS3Server, startS3 } from '../helpers/s3';

// Every failing read waits out the SDK's attempts (throttling backoff) and the backend's own.
jest.setTimeout(300_000);

let s3: IS3Server;
let proxy: IFaultProxy;

beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket('prune');
  proxy = await startFaultProxy(s3.endpoint, { seed: 3 });
  proxy.use();
});
afterAll(async () => {
  await proxy?.stop();
  await s3?.stop();
});
afterEach(cleanupTempDirs);

const open = (url: string) => Repository.open(openBackend(url));

describe('prune on S3 during an outage of data/', () => {
  it('rejects, and the remaining snapshot still restores byte-identical and checks clean', async () => {
    const url = 's3://prune/studio/outage';
    const home = tempDir('home');
    const cacheDir = tempDir('cache');
    write(home, 'old.bin', randomish(700 * 1024, 1));
    write(home, 'notes.txt', 'notes\n');
    await backup(await Repository.open(openBackend(url), { create: true }), {
      source: home,
      cacheDir
    });
    rmSync(join(home, 'old.bin'));
    write(home, 'keep/a.bin', randomish(900 * 1024, 2));
    write(home, 'keep/b.txt', 'b\n'.repeat(1000));
    write(home, 'keep/deeper/c.bin', randomish(300 * 1024, 3));
    const second = await backup(await open(url), { source: home, cacheDir });
    const forgotten = await forget(await open(url), { last: 1 });
    expect(forgotten.remove).toHaveLength(1);
    const expected = describeTree(home);

    // An outage of data/ that lasts exactly as long as one GET's every attempt: the first tree read
    // fails, and every read after it (a repack's) would succeed, as in the short outage of issue 12.
    proxy.setRules([
      {
        kind: 'slowdown',
        method: 'GET',
        path: /^\/prune\/studio\/outage\/data\//,
        burst: GET_ATTEMPTS
      }
    ]);
    try {
      await expect(
        open(url).then(repo => prune(repo, { graceMs: 0 }))
      ).rejects.toThrow(/Please reduce your request rate/);
    } finally {
      proxy.clearRules();
    }
    // Reads in flight together share the burst, so how much of it is spent before prune gives up
    // depends on timing (15 or 16 seen under load); that it stopped is what the rejection shows.
    expect(proxy.injected.slowdown).toBeGreaterThan(0);

    const target = tempDir('target');
    const result = await restore(
      await openView(await open(url), second.snapshotId),
      {
        paths: [],
        target,
        conflict: 'skip'
      }
    );
    const { damaged = [] } = result as { damaged?: string[] };
    expect(damaged).toEqual([]);
    expect(describeTree(target)).toEqual(expected);
    const checked = await check(await open(url), { readData: true });
    expect(checked.problems).toEqual([]);
  });
});
