/**
 * The agent only appends: every object a backup writes is created once with If-None-Match: *
 * (S3 refuses it when the key exists, and the bucket policy can require it), and a backup or a
 * restore deletes nothing but its own lock. Watched on the wire, moto behind the proxy.
 */
import { IncomingMessage } from 'node:http';
import { backup } from '../../src/backup/backup';
import { AlreadyExistsError } from '../../src/repository/backend';
import { openBackend } from '../../src/repository/open';
import { Repository } from '../../src/repository/repository';
import { IFaultProxy, startFaultProxy } from '../helpers/fault-proxy';
import {
  cleanupTempDirs,
  describeTree,
  randomish,
  tempDir,
  write
} from '../helpers/fixtures';
import { IS3Server, startS3 } from '../helpers/s3';
import { expectIntact } from './intact';

jest.setTimeout(180_000);

let s3: IS3Server;
let proxy: IFaultProxy;
const seen: Array<{ method: string; url: string; ifNoneMatch?: string }> = [];

beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket('appendonly');
  proxy = await startFaultProxy(s3.endpoint);
  proxy.use();
  proxy.onRequest = (req: IncomingMessage) =>
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      ifNoneMatch: req.headers['if-none-match'] as string | undefined
    });
});
afterAll(async () => {
  await proxy?.stop();
  await s3?.stop();
  cleanupTempDirs();
});

const REPO = 's3://appendonly/studio/alice/space';
const keyOf = (url: string) =>
  decodeURIComponent(url.split('?')[0]).replace(
    /^\/appendonly\/studio\/alice\/space\//,
    ''
  );

describe('an append-only repository on S3', () => {
  it('creates every object once with If-None-Match: *, multipart packs included, and deletes only its lock', async () => {
    const home = tempDir('home');
    write(home, 'model.bin', randomish(20 * 1024 * 1024, 3)); // a pack above the multipart threshold
    for (let i = 0; i < 20; i++) {
      write(home, `notes/n${i}.md`, `note ${i}\n`.repeat(100));
    }
    const cacheDir = tempDir('cache');
    await backup(await Repository.open(openBackend(REPO), { create: true }), {
      source: home,
      cacheDir
    });
    write(home, 'notes/new.md', 'new\n');
    const second = await backup(await Repository.open(openBackend(REPO)), {
      source: home,
      cacheDir
    });

    const writes = seen.filter(
      r =>
        (r.method === 'PUT' && !/[?&]partNumber=/.test(r.url)) ||
        (r.method === 'POST' && /[?&]uploadId=/.test(r.url))
    );
    const completes = writes.filter(r => r.method === 'POST');
    expect(completes.length).toBeGreaterThan(0);
    const unconditional = writes
      .filter(r => r.ifNoneMatch !== '*')
      .map(r => `${r.method} ${keyOf(r.url)}`);
    expect(unconditional).toEqual([]);
    const kinds = new Set(writes.map(r => keyOf(r.url).split('/')[0]));
    expect([...kinds].sort()).toEqual([
      'config',
      'data',
      'index',
      'locks',
      'snapshots'
    ]);
    const deletes = seen
      .filter(r => r.method === 'DELETE')
      .map(r => keyOf(r.url));
    expect(deletes.length).toBeGreaterThan(0);
    expect(deletes.filter(k => !k.startsWith('locks/shared-'))).toEqual([]);

    await expectIntact(
      openBackend(REPO),
      second.snapshotId,
      describeTree(home)
    );
  });

  it('finds that this S3 refuses a second conditional write, and takes it as done for content-addressed objects', async () => {
    const backend = openBackend(`${REPO}-twice`);
    await backend.put('snapshots/x', Buffer.from('one'), { ifAbsent: true });
    await expect(
      backend.put('snapshots/x', Buffer.from('two'), { ifAbsent: true })
    ).rejects.toBeInstanceOf(AlreadyExistsError);
    expect((await backend.get('snapshots/x')).toString()).toBe('one');
    const repo = await Repository.open(backend, { create: true });
    await repo.putOnce('snapshots/x', Buffer.from('one'));
  });
});
