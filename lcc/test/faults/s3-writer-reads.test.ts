/**
 * An S3 restore's writer threads read their runs themselves, with presigned ranged GETs
 * (restore/run-fetch.ts), and whatever they cannot read is read by the main thread with the SDK:
 * moto behind the fault-injecting proxy, which tells the two apart by the signature in the query.
 * Every case ends byte for byte with the home.
 */
import { IncomingMessage } from 'node:http';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { backup } from '../../src/backup/backup';
import { openView } from '../../src/browse/view';
import { packKey } from '../../src/repository/format';
import { openBackend } from '../../src/repository/open';
import { Repository } from '../../src/repository/repository';
import { S3Backend } from '../../src/repository/s3-backend';
import { restore } from '../../src/restore/restore';
import { IFaultProxy, startFaultProxy } from '../helpers/fault-proxy';
import {
  cleanupTempDirs,
  describeTree,
  excludedByDefault,
  makeLargerHome,
  tempDir
} from '../helpers/fixtures';
import { tempFiles } from '../helpers/restore-all';
import { IS3Server, startS3 } from '../helpers/s3';

jest.setTimeout(180_000);

const BUCKET = 'writer-reads';
const PRESIGNED = /X-Amz-Signature=/;
let s3: IS3Server;
let proxy: IFaultProxy;
/** GETs of packs seen by the proxy: presigned (a writer's) and signed in a header (the SDK's). */
let reads = { presigned: 0, sdk: 0 };

beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket(BUCKET);
  proxy = await startFaultProxy(s3.endpoint, { seed: 7 });
  proxy.use();
  proxy.onRequest = (req: IncomingMessage) => {
    const [path, query = ''] = (req.url ?? '').split('?');
    if (req.method === 'GET' && /\/data\//.test(path)) {
      if (PRESIGNED.test(query)) {
        reads.presigned++;
      } else {
        reads.sdk++;
      }
    }
  };
});
afterAll(async () => {
  await proxy?.stop();
  await s3?.stop();
});
beforeEach(() => {
  proxy.clearRules();
  reads = { presigned: 0, sdk: 0 };
});
afterEach(cleanupTempDirs);

let n = 0;

/** makeLargerHome backed up into a new repository. */
async function backedUpHome(): Promise<{ url: string; home: string }> {
  const home = makeLargerHome();
  const url = `s3://${BUCKET}/studio/reads-${++n}`;
  const result = await backup(
    await Repository.open(openBackend(url), { create: true }),
    { source: home, cacheDir: tempDir('cache') }
  );
  expect(result.warnings).toEqual([]);
  return { url, home };
}

/** A restore of `paths` (all when empty) with two writer threads, or `writers`, and `concurrency` reads. */
async function restoreFrom(
  url: string,
  paths: string[] = [],
  writers = 2,
  concurrency?: number
) {
  const target = tempDir('target');
  const result = await restore(
    await openView(await Repository.open(openBackend(url)), 'latest'),
    { paths, target, conflict: 'skip', writers, concurrency }
  );
  return { target, result };
}

describe('S3 restore: writer threads read their runs themselves', () => {
  it('reads the blobs of files with presigned ranged GETs, the SDK only the trees, byte for byte', async () => {
    const { url, home } = await backedUpHome();
    // Without writer threads, the main thread reads everything with the SDK.
    reads = { presigned: 0, sdk: 0 };
    await restoreFrom(url, [], 0);
    const alone = reads;
    expect(alone.presigned).toBe(0);

    reads = { presigned: 0, sdk: 0 };
    const { target, result } = await restoreFrom(url);
    expect(result.damaged).toEqual([]);
    expect(describeTree(target)).toEqual(describeTree(home, excludedByDefault));
    expect(reads.presigned).toBeGreaterThan(1);
    // What the SDK still reads is the snapshot's trees (blobs in packs too).
    expect(reads.sdk).toBeLessThan(alone.sdk);
    expect(tempFiles(target)).toEqual([]);
  });

  it('restores part of a folder exactly, reading over the blobs between the files it needs', async () => {
    const { url, home } = await backedUpHome();
    const wanted = [0, 3, 4, 9, 17, 29].map(i => `work/part-${i}`);
    reads = { presigned: 0, sdk: 0 };
    const { target, result } = await restoreFrom(url, wanted);
    expect(result.damaged).toEqual([]);
    expect(describeTree(target)).toEqual(
      describeTree(
        home,
        rel =>
          excludedByDefault(rel) ||
          (rel !== 'work' &&
            !wanted.some(w => rel === w || rel.startsWith(`${w}/`)))
      )
    );
    expect(reads.presigned).toBeGreaterThan(0);
  });

  it.each([
    ['cut off mid-body', 'truncate' as const],
    ['answered 503 SlowDown', 'slowdown' as const],
    ['reset before an answer', 'reset' as const]
  ])(
    'when every presigned GET is %s, the main thread reads the rest with the SDK: byte for byte',
    async (_what, kind) => {
      const { url, home } = await backedUpHome();
      proxy.setRules([{ kind, method: 'GET', query: PRESIGNED }]);
      reads = { presigned: 0, sdk: 0 };
      const { target, result } = await restoreFrom(url);
      expect(result.damaged).toEqual([]);
      expect(result.warnings).toEqual([]);
      expect(describeTree(target)).toEqual(
        describeTree(home, excludedByDefault)
      );
      expect(proxy.injected[kind]).toBeGreaterThan(0);
      expect(reads.sdk).toBeGreaterThan(0);
      expect(tempFiles(target)).toEqual([]);
    }
  );

  it('stops presigning once S3 refuses a presigned GET (403), and reads the rest with the SDK', async () => {
    const { url, home } = await backedUpHome();
    // One run in flight: the restore reads the home in several runs, one after another.
    await restoreFrom(url, [], 2, 1);
    expect(reads.presigned).toBeGreaterThanOrEqual(3);

    proxy.setRules([{ kind: 'forbidden', method: 'GET', query: PRESIGNED }]);
    reads = { presigned: 0, sdk: 0 };
    const { target, result } = await restoreFrom(url, [], 2, 1);
    expect(result.damaged).toEqual([]);
    expect(describeTree(target)).toEqual(describeTree(home, excludedByDefault));
    // The first run's, and no more.
    expect(reads.presigned).toBe(1);
    expect(proxy.injected.forbidden).toBe(1);
  });

  it('leaves out the files of a blob corrupted in S3, and only those', async () => {
    const { url, home } = await backedUpHome();
    const repo = await Repository.open(openBackend(url));
    await repo.loadIndex();
    const view = await openView(repo, 'latest');
    const victim = (await view.stat('models/a.bin'))!.contentId.split(',')[2];
    const loc = repo.index.get(victim)!;
    const backend = repo.backend as S3Backend;
    const key = `studio/reads-${n}/${packKey(loc.pack)}`;
    const pack = Buffer.from(
      await (
        await backend.client.send(
          new GetObjectCommand({ Bucket: BUCKET, Key: key })
        )
      ).Body!.transformToByteArray()
    );
    pack[loc.offset + loc.length - 9] ^= 0xff;
    await backend.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: pack })
    );

    const { target, result } = await restoreFrom(url);
    expect(result.damaged).toEqual(['models/a.bin']);
    expect(result.warnings.join('\n')).toMatch(/a\.bin.*corrupted/);
    expect(describeTree(target)).toEqual(
      describeTree(
        home,
        rel => excludedByDefault(rel) || rel === 'models/a.bin'
      )
    );
    expect(reads.presigned).toBeGreaterThan(0);
    expect(tempFiles(target)).toEqual([]);
  });
});
