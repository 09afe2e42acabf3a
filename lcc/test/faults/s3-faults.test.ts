/**
 * The engine against moto behind a fault-injecting proxy: S3 bodies cut off mid-transfer, 503
 * SlowDown answers, connection resets, and a burst of 503s on one prefix. Every case ends with
 * check --read-data finding nothing and a byte-for-byte comparison with the source.
 */
import { backup } from '../../src/backup/backup';
import { check } from '../../src/maintenance/check';
import { IBackend } from '../../src/repository/backend';
import { openBackend } from '../../src/repository/open';
import { Repository } from '../../src/repository/repository';
import { restore } from '../../src/restore/restore';
import { openView } from '../../src/browse/view';
import { IFaultProxy, startFaultProxy } from '../helpers/fault-proxy';
import {
  cleanupTempDirs,
  describeTree,
  excludedByDefault,
  makeLargerHome,
  randomish,
  tempDir
} from '../helpers/fixtures';
import { IS3Server, startS3 } from '../helpers/s3';

jest.setTimeout(180_000);

const BUCKET = 'faults';
let s3: IS3Server;
let proxy: IFaultProxy;

beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket(BUCKET);
  proxy = await startFaultProxy(s3.endpoint, { seed: 12 });
  proxy.use();
});
afterAll(async () => {
  await proxy?.stop();
  await s3?.stop();
});
beforeEach(() => {
  proxy.clearRules();
  proxy.resetCounts();
});
afterEach(cleanupTempDirs);

let n = 0;
function newRepo(): { url: string; data: RegExp } {
  const prefix = `studio/fault-${++n}`;
  return {
    url: `s3://${BUCKET}/${prefix}`,
    data: new RegExp(`^/${BUCKET}/${prefix}/data/`)
  };
}

async function backupTo(url: string, home: string): Promise<void> {
  const result = await backup(
    await Repository.open(openBackend(url), { create: true }),
    { source: home, cacheDir: tempDir('cache') }
  );
  expect(result.warnings).toEqual([]);
}

/** Restores the latest snapshot into a new folder: nothing damaged, byte-identical to the home. */
async function expectRestoresExactly(url: string, home: string) {
  const target = tempDir('target');
  const result = await restore(
    await openView(await Repository.open(openBackend(url)), 'latest'),
    { paths: [], target, conflict: 'skip' }
  );
  const { damaged = [] } = result as { damaged?: string[] };
  expect(damaged).toEqual([]);
  expect(result.warnings).toEqual([]);
  expect(describeTree(target)).toEqual(describeTree(home, excludedByDefault));
}

async function expectChecksClean(url: string) {
  const result = await check(await Repository.open(openBackend(url)), {
    readData: true
  });
  expect(result.problems).toEqual([]);
  expect(result.packs).toBeGreaterThan(0);
}

/** How every case ends: with the faults off, check --read-data finds nothing and a restore is exact. */
async function expectIntact(url: string, home: string) {
  proxy.clearRules();
  await expectChecksClean(url);
  await expectRestoresExactly(url, home);
}

describe('S3 faults (moto behind a fault-injecting proxy)', () => {
  it('restores and checks --read-data through 3% of GET bodies cut off mid-transfer', async () => {
    const home = makeLargerHome();
    const { url } = newRepo();
    await backupTo(url, home);

    proxy.setRules([{ kind: 'truncate', method: 'GET', probability: 0.03 }]);
    for (let i = 0; i < 3; i++) {
      await expectRestoresExactly(url, home);
    }
    for (let i = 0; i < 2; i++) {
      await expectChecksClean(url);
    }
    expect(proxy.injected.truncate).toBeGreaterThan(0);
    await expectIntact(url, home);
  });

  it('backs up, restores and checks through 503s and connection resets on about 5% of all requests', async () => {
    const home = makeLargerHome();
    const { url } = newRepo();
    proxy.setRules([
      { kind: 'slowdown', probability: 0.02 },
      // Reset before an answer (the request is lost) ...
      { kind: 'reset', probability: 0.02 },
      // ... and while the answer's body is on its way.
      { kind: 'truncate', probability: 0.01 }
    ]);
    await backupTo(url, home);
    await expectRestoresExactly(url, home);
    await expectChecksClean(url);
    expect(proxy.injected.slowdown).toBeGreaterThan(0);
    expect(proxy.injected.reset).toBeGreaterThan(0);
    await expectIntact(url, home);
  });

  it('restores through a burst of 8 SlowDown answers to the GETs under data/', async () => {
    const home = makeLargerHome();
    const { url, data } = newRepo();
    await backupTo(url, home);

    proxy.setRules([{ kind: 'slowdown', method: 'GET', path: data, burst: 8 }]);
    await expectRestoresExactly(url, home);
    expect(proxy.injected.slowdown).toBe(8);
    await expectIntact(url, home);
  });

  describe('reads of one object', () => {
    const bytes = randomish(5 * 1024 * 1024 + 3, 7);
    let backend: IBackend;
    beforeAll(async () => {
      backend = openBackend(newRepo().url);
      await backend.put('object', bytes);
    });
    const cut = (burst?: number) =>
      proxy.setRules([
        { kind: 'truncate', method: 'GET', path: /\/object$/, burst }
      ]);
    const streamed = async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of await backend.getStream('object')) {
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks);
    };

    it('come back whole through bodies cut off mid-transfer (a stream resumes where it broke off)', async () => {
      cut(3);
      expect((await streamed()).equals(bytes)).toBe(true);
      cut(3);
      expect((await backend.get('object')).equals(bytes)).toBe(true);
      cut(3);
      const range = await backend.getRange('object', 1000, 2_000_000);
      expect(range.equals(bytes.subarray(1000, 2_001_000))).toBe(true);
      expect(proxy.injected.truncate).toBe(9);
    });

    it('come back as the range asked for, and no byte more, from a ranged stream cut off three times', async () => {
      cut(3);
      const chunks: Buffer[] = [];
      for await (const chunk of await backend.getRangeStream!(
        'object',
        1000,
        3_000_000
      )) {
        chunks.push(chunk);
      }
      expect(proxy.injected.truncate).toBe(3);
      expect(
        Buffer.concat(chunks).equals(bytes.subarray(1000, 3_001_000))
      ).toBe(true);
      proxy.clearRules();
      await expect(
        backend.getRangeStream!('object', bytes.length - 10, 100)
      ).rejects.toMatchObject({
        code: 'corrupt',
        message:
          'Object object is shorter than expected: run "studio-backup check".'
      });
    });

    it('fail in one line when every body is cut off, and call a range the object does not hold corrupt', async () => {
      cut();
      const broken = {
        code: 's3',
        message: expect.stringMatching(
          /^S3 failed while reading object from s3:\/\/faults: the transfer broke off \(.*\), 5 times; check the network and retry\.$/
        )
      };
      await expect(backend.get('object')).rejects.toMatchObject(broken);
      await expect(
        backend.getRange('object', 0, 100_000)
      ).rejects.toMatchObject(broken);
      await expect(streamed()).rejects.toMatchObject(broken);
      proxy.clearRules();
      const short = {
        code: 'corrupt',
        message:
          'Object object is shorter than expected: run "studio-backup check".'
      };
      await expect(
        backend.getRange('object', bytes.length - 10, 100)
      ).rejects.toMatchObject(short);
      await expect(
        backend.getRange('object', bytes.length + 10, 100)
      ).rejects.toMatchObject(short);
    });
  });
});
