/**
 * The copy step of an approved recovery from another profile's S3 snapshots (lambda/copy-snapshots.ts),
 * on moto's S3 with real repositories written by the engine (lcc): bob's snapshots are copied batch by
 * batch, as the distributed map hands them out, into alice's repository; alice's agent then finds
 * them with "latest@bob" and restores bob's home byte for byte, and her own snapshots still work.
 */
import {
  paginateListObjectsV2,
  PutObjectCommand,
  GetObjectCommand,
  S3Client
} from '@aws-sdk/client-s3';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../lcc/src/backup/backup';
import { check } from '../../lcc/src/maintenance/check';
import { openBackend } from '../../lcc/src/repository/open';
import { Repository } from '../../lcc/src/repository/repository';
import { restore } from '../../lcc/src/restore/restore';
import { openView, resolveSnapshot } from '../../lcc/src/browse/view';
import {
  cleanupTempDirs,
  describeTree,
  excludedByDefault,
  makeHome,
  randomish,
  tempDir
} from '../../lcc/test/helpers/fixtures';
import { IS3Server, startS3 } from '../../lcc/test/helpers/s3';
import {
  copyBatch,
  countOnRequest,
  ICopyBatch,
  relativeKey
} from '../lambda/copy-snapshots';
import { planCopy } from '../core/plan-copy';
import { createTable, REQUEST_KEYS } from './moto';

jest.setTimeout(120_000);

const BUCKET = 'backups';
let moto: IS3Server;
let s3: S3Client;

const url = (profile: string, space: string) =>
  `s3://${BUCKET}/studio-backups/${profile}/${space}`;

async function snapshotOf(profile: string, space: string, home: string) {
  const repo = await Repository.open(openBackend(url(profile, space)), {
    create: true
  });
  return backup(repo, {
    source: home,
    cacheDir: tempDir('cache'),
    profile,
    space
  });
}

/** The items of the source prefix, as the map's ItemReader (ListObjectsV2) gives them. */
async function items(prefix: string): Promise<ICopyBatch['Items']> {
  const out: ICopyBatch['Items'] = [];
  for await (const page of paginateListObjectsV2(
    { client: s3 },
    { Bucket: BUCKET, Prefix: prefix }
  )) {
    for (const o of page.Contents ?? []) {
      out.push({ Key: o.Key!, Size: o.Size! });
    }
  }
  return out;
}

const input: ICopyBatch['BatchInput'] = {
  bucket: BUCKET,
  source_prefix: 'studio-backups/bob/',
  target_prefix: 'studio-backups/alice/alice-space/',
  all_spaces: true,
  keep_reference: { 'bob-space': '2026-01-02-03-04-05' }
};

/** Runs the copy in batches of three, as the map would, and adds up the results. */
async function copyAll(batchInput = input) {
  const all = await items(batchInput.source_prefix);
  const total = { copied: 0, skipped: 0, bytes: 0 };
  for (let i = 0; i < all.length; i += 3) {
    const r = await copyBatch(s3, {
      Items: all.slice(i, i + 3),
      BatchInput: batchInput
    });
    total.copied += r.copied;
    total.skipped += r.skipped;
    total.bytes += r.bytes;
  }
  return total;
}

const put = (key: string, body: string | Buffer) =>
  s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

let bobHome = '';

beforeAll(async () => {
  moto = await startS3();
  await moto.createBucket(BUCKET);
  s3 = new S3Client({ forcePathStyle: true });
  bobHome = tempDir('bob');
  makeHome(bobHome);
  await snapshotOf('bob', 'bob-space', bobHome);
  writeFileSync(
    join(bobHome, 'late-result.txt'),
    'written after the first backup\n'
  );
  await snapshotOf('bob', 'bob-space', bobHome);
  // A reference LCC copy and a lock left by a crashed backup in bob's repository.
  await put(
    'studio-backups/bob/bob-space/2026-01-02-03-04-05/notes.txt',
    'ref copy\n'
  );
  await put(
    'studio-backups/bob/bob-space/2025-12-31-00-00-00/notes.txt',
    'an older full copy\n'
  );
  await put('studio-backups/bob/bob-space/locks/shared-0badc0de', '{}');
  const aliceHome = tempDir('alice');
  writeFileSync(join(aliceHome, 'alice.txt'), 'alice owns this\n');
  await snapshotOf('alice', 'alice-space', aliceHome);
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
  cleanupTempDirs();
});

describe("copying a former profile's snapshots into the requester's repository", () => {
  it("brings bob's snapshots into alice's repository, where latest@bob restores his home exactly", async () => {
    const aliceBefore = await Repository.open(
      openBackend(url('alice', 'alice-space'))
    );
    const result = await copyAll();
    // Two packs' worth of objects at least, never the lock; alice's config is kept.
    expect(result.copied).toBeGreaterThan(4);
    const copiedKeys = (await items('studio-backups/alice/alice-space/')).map(
      i => i.Key
    );
    expect(copiedKeys.some(k => k.includes('/locks/shared-0badc0de'))).toBe(
      false
    );
    expect(copiedKeys).toContain(
      'studio-backups/alice/alice-space/2026-01-02-03-04-05/notes.txt'
    );
    // Only the newest of the reference script's full copies comes along.
    expect(copiedKeys.some(k => k.includes('/2025-12-31-00-00-00/'))).toBe(
      false
    );

    const repo = await Repository.open(
      openBackend(url('alice', 'alice-space'))
    );
    expect(repo.config.id).toBe(aliceBefore.config.id);
    const latest = await resolveSnapshot(repo, 'latest');
    expect(latest.manifest?.profile).toBe('alice');
    const bobs = await resolveSnapshot(repo, 'latest@bob');
    expect(bobs.manifest?.profile).toBe('bob');

    const target = tempDir('restored');
    await restore(await openView(repo, 'latest@bob'), {
      paths: [],
      target,
      conflict: 'skip'
    });
    expect(describeTree(target)).toEqual(
      describeTree(bobHome, excludedByDefault)
    );
    const checked = await check(
      await Repository.open(openBackend(url('alice', 'alice-space'))),
      { readData: true }
    );
    expect(checked.problems).toEqual([]);
    expect(checked.snapshots).toBe(3);
  });

  it('plans the copy: every object of ours, the newest reference copy of each space, and what to restore', async () => {
    expect(
      await planCopy(s3, BUCKET, {
        source_prefix: 'studio-backups/bob/',
        all_spaces: true,
        from_profile: 'bob'
      })
    ).toEqual({
      keep_reference: { 'bob-space': '2026-01-02-03-04-05' },
      restore: 'latest@bob'
    });
    expect(
      await planCopy(s3, BUCKET, {
        source_prefix: 'studio-backups/nobody/',
        all_spaces: true,
        from_profile: 'nobody'
      })
    ).toEqual({ keep_reference: {}, restore: 'latest@nobody' });
  });

  it("recovers a profile that only ever had the reference script's copies: its newest one is restored", async () => {
    await put('studio-backups/rita/s1/2025-05-05-00-00-00/old.txt', 'old\n');
    await put('studio-backups/rita/s1/2025-06-01-00-00-00/notes/a.txt', 'A\n');
    await put(
      'studio-backups/rita/s1/2025-06-01-00-00-00/2025-06-01-00-00-00_BACKUP_COMPLETE',
      ''
    );
    const source = {
      source_prefix: 'studio-backups/rita/',
      all_spaces: true,
      from_profile: 'rita'
    };
    const plan = await planCopy(s3, BUCKET, source);
    expect(plan).toEqual({
      keep_reference: { s1: '2025-06-01-00-00-00' },
      restore: '2025-06-01-00-00-00'
    });
    await copyAll({
      ...source,
      bucket: BUCKET,
      target_prefix: 'studio-backups/alice/alice-space/',
      keep_reference: plan.keep_reference
    });
    const repo = await Repository.open(
      openBackend(url('alice', 'alice-space'))
    );
    const target = tempDir('rita');
    await restore(await openView(repo, plan.restore), {
      paths: [],
      target,
      conflict: 'skip'
    });
    expect(readFileSync(join(target, 'notes/a.txt'), 'utf8')).toBe('A\n');
    expect(existsSync(join(target, 'old.txt'))).toBe(false);
  });

  it('copies nothing twice: a retried batch or a second request skips what is there', async () => {
    const again = await copyAll();
    expect(again.copied).toBe(0);
    expect(again.bytes).toBe(0);
  });

  it('names a profile without copied snapshots in one line', async () => {
    const repo = await Repository.open(
      openBackend(url('alice', 'alice-space'))
    );
    await expect(resolveSnapshot(repo, 'latest@carol')).rejects.toThrow(
      /^No snapshot taken by the profile carol in s3:\/\/backups\/studio-backups\/alice\/alice-space: its snapshots were not copied here\.$/
    );
  });

  it('copies objects above the single-copy limit in parts, byte for byte', async () => {
    const big = randomish(11 * 1024 * 1024 + 17, 3);
    await put('studio-backups/dan/s/2026-01-01-00-00-00/big.bin', big);
    const r = await copyBatch(
      s3,
      {
        Items: await items('studio-backups/dan/s/'),
        BatchInput: {
          bucket: BUCKET,
          source_prefix: 'studio-backups/dan/s/',
          target_prefix: 'studio-backups/erin/s/',
          all_spaces: false
        }
      },
      { copyLimit: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024 }
    );
    expect(r).toEqual({ copied: 1, skipped: 0, bytes: big.length });
    const copy = await s3.send(
      new GetObjectCommand({
        Bucket: BUCKET,
        Key: 'studio-backups/erin/s/2026-01-01-00-00-00/big.bin'
      })
    );
    // Compared by hash: jest's deep equality walks an 11 MiB buffer byte by byte for minutes.
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    expect(sha(await copy.Body!.transformToByteArray())).toBe(sha(big));
  });

  it('refuses a source repository of a format it does not know, and copies nothing of it', async () => {
    await put(
      'studio-backups/frank/s/config',
      JSON.stringify({ format: 'studio-backup', version: 2 })
    );
    await expect(
      copyBatch(s3, {
        Items: await items('studio-backups/frank/s/'),
        BatchInput: {
          bucket: BUCKET,
          source_prefix: 'studio-backups/frank/s/',
          target_prefix: 'studio-backups/gina/s/',
          all_spaces: false
        }
      })
    ).rejects.toThrow(
      'studio-backups/frank/s/config is format studio-backup version 2; this backend copies studio-backup version 1 only.'
    );
    expect(await items('studio-backups/gina/')).toEqual([]);
  });

  it('adds each batch to the request row, so the panel sees the copy progress', async () => {
    const dynamodb = new DynamoDBClient({ endpoint: moto.endpoint });
    await createTable(dynamodb, 'requests', REQUEST_KEYS);
    const request = { user_profile_name: 'alice', request_id: 'r1' };
    await countOnRequest(dynamodb, 'requests', request, {
      copied: 3,
      skipped: 1,
      bytes: 1000
    });
    await countOnRequest(dynamodb, 'requests', request, {
      copied: 0,
      skipped: 2,
      bytes: 0
    });
    await countOnRequest(dynamodb, 'requests', request, {
      copied: 2,
      skipped: 0,
      bytes: 24
    });
    const row = await dynamodb.send(
      new GetItemCommand({ TableName: 'requests', Key: marshall(request) })
    );
    expect(unmarshall(row.Item!)).toMatchObject({
      bytes_copied: 1024,
      objects_copied: 5
    });
    dynamodb.destroy();
  });

  it('maps keys strictly under the source and refuses anything else', () => {
    expect(relativeKey('studio-backups/bob/sp/data/ab/cd', input)).toBe(
      'data/ab/cd'
    );
    expect(relativeKey('studio-backups/bob/sp/locks/exclusive', input)).toBe(
      undefined
    );
    expect(relativeKey('studio-backups/bob/stray-object', input)).toBe(
      undefined
    );
    expect(() => relativeKey('studio-backups/bobby/sp/config', input)).toThrow(
      'is not under studio-backups/bob/'
    );
    expect(() => relativeKey('studio-backups/bob/sp/../../x', input)).toThrow(
      'has a "." or ".." component'
    );
  });
});
