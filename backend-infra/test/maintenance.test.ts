/**
 * The maintenance Lambda against moto over HTTP, on repositories written by the engine itself:
 * forget + prune remove what a policy drops and nothing else (the kept snapshots pass a check that
 * reads every byte), the reference LCC's copies stay unless the admin opted in, and a repository
 * that a backup holds is skipped, unchanged.
 */
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../lcc/src/backup/backup';
import { check } from '../../lcc/src/maintenance/check';
import { Lock } from '../../lcc/src/repository/lock';
import { Repository } from '../../lcc/src/repository/repository';
import { S3Backend } from '../../lcc/src/repository/s3-backend';
import {
  cleanupTempDirs,
  randomish,
  tempDir,
  write
} from '../../lcc/test/helpers/fixtures';
import { listRepositories } from '../lambda/list-repositories';
import { IMaintenanceContext, runMaintenance } from '../lambda/maintenance';
import {
  createMaintenanceTables,
  RESULTS_TABLE,
  RETENTION_TABLE
} from './maintenance-tables';
import { IEmulators, startEmulators } from './moto';

const BUCKET = 'maintenance-test';
const ROOT = 'studio-backups';
const RETENTION = RETENTION_TABLE;
const RESULTS = RESULTS_TABLE;

let env: IEmulators;
let ctx: IMaintenanceContext;

/** Writes `count` snapshots of a home that holds `shared.txt` and, in the n-th one only, `n.bin`. */
async function snapshots(prefix: string, count: number): Promise<string[]> {
  const repo = await Repository.open(S3Backend.create(BUCKET, prefix), {
    create: true
  });
  const home = tempDir('maint-home');
  const cacheDir = tempDir('maint-cache');
  write(home, 'shared.txt', 'in every snapshot');
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    rmSync(join(home, `${n - 1}.bin`), { force: true });
    write(home, `${n}.bin`, randomish(64 * 1024, n + prefix.length));
    ids.push((await backup(repo, { source: home, cacheDir })).snapshotId);
  }
  return ids;
}

async function referenceCopy(prefix: string, ts: string): Promise<void> {
  for (const [key, body] of [
    [`${ts}/home/notes.txt`, `copy of ${ts}`],
    [`${ts}/${ts}_BACKUP_COMPLETE`, '']
  ]) {
    await env.moto.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/${key}`,
        Body: Buffer.from(body)
      })
    );
  }
}

async function keys(prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const item of S3Backend.create(BUCKET, prefix).list('')) {
    found.push(item.key);
  }
  return found.sort();
}

async function setPolicy(scope: string, row: Record<string, unknown>) {
  await env.dynamodb.send(
    new PutItemCommand({
      TableName: RETENTION,
      Item: marshall({ scope, ...row })
    })
  );
}

beforeAll(async () => {
  env = await startEmulators();
  await env.moto.createBucket(BUCKET);
  await createMaintenanceTables(env.dynamodb);
  ctx = {
    bucket: BUCKET,
    root: ROOT,
    dynamodb: env.dynamodb,
    retentionTable: RETENTION,
    resultsTable: RESULTS,
    // The packs were just written: without this, the one-hour grace would keep them all.
    graceMs: 0
  };
});

afterAll(async () => {
  cleanupTempDirs();
  await env?.stop();
});

test('forget + prune drop the snapshots the policy does not keep, their data, and nothing else', async () => {
  const prefix = `${ROOT}/alice/default`;
  const ids = await snapshots(prefix, 3);
  await referenceCopy(prefix, '2025-01-01-00-00-00');
  await setPolicy('profile#alice', { keep_last: 1 });
  const backend = S3Backend.create(BUCKET, prefix);
  const before = await Repository.open(backend);
  await before.loadIndex();
  const dataBefore = (await keys(prefix)).filter(k => k.startsWith('data/'));

  const result = await runMaintenance({ prefix }, ctx);

  expect(result).toMatchObject({
    status: 'done',
    profile: 'alice',
    space: 'default',
    policy: 'last 1',
    policySource: 'profile',
    snapshotsForgotten: 2,
    snapshotsKept: 1,
    referenceCopiesKept: 1,
    referenceCopiesForgotten: 0
  });
  expect(result.bytesFreed).toBeGreaterThan(2 * 64 * 1024 - 1);
  const after = await keys(prefix);
  expect(after.filter(k => k.startsWith('snapshots/'))).toEqual([
    `snapshots/${ids[2]}`
  ]);
  expect(after.filter(k => k.startsWith('data/')).length).toBeLessThan(
    dataBefore.length
  );
  expect(result.storedBytes).toBeGreaterThan(0);
  // The reference copy is untouched.
  expect(after).toContain('2025-01-01-00-00-00/home/notes.txt');
  expect(after).toContain(
    '2025-01-01-00-00-00/2025-01-01-00-00-00_BACKUP_COMPLETE'
  );
  // What is kept reads back whole, every byte of every pack.
  const checked = await check(await Repository.open(backend), {
    readData: true
  });
  expect(checked.problems).toEqual([]);
  expect(checked.snapshots).toBe(1);
  // The run is recorded where the agent can read its profile's latest run of a space.
  const { Items } = await env.dynamodb.send(
    new QueryCommand({
      TableName: RESULTS,
      KeyConditionExpression: 'profile = :p AND begins_with(run, :s)',
      ExpressionAttributeValues: marshall({ ':p': 'alice', ':s': 'default#' }),
      ScanIndexForward: false,
      Limit: 1
    })
  );
  expect(unmarshall(Items![0])).toMatchObject({
    repository: `s3://${BUCKET}/${prefix}`,
    status: 'done',
    snapshots_forgotten: 2,
    bytes_freed: result.bytesFreed,
    stored_bytes: result.storedBytes
  });
});

test('a repository a backup holds is skipped with a clear status and left as it was', async () => {
  const prefix = `${ROOT}/bob/default`;
  await snapshots(prefix, 2);
  await setPolicy('profile#bob', { keep_last: 1 });
  const backend = S3Backend.create(BUCKET, prefix);
  const running = await Lock.shared(backend, 'backup of /home/sagemaker-user');
  const before = await keys(prefix);
  try {
    const result = await runMaintenance({ prefix }, ctx);
    expect(result.status).toBe('skipped-locked');
    expect(result.message).toMatch(
      /^Skipped, retried at the next run: .*backup is running/
    );
    expect(result.snapshotsForgotten).toBe(0);
    expect(await keys(prefix)).toEqual(before);
  } finally {
    await running.release();
  }
  // Once the backup is over, the next run does the work.
  expect(await runMaintenance({ prefix }, ctx)).toMatchObject({
    status: 'done',
    snapshotsForgotten: 1
  });
});

test('with the admin opt-in, the reference copies are forgotten by the same policy', async () => {
  const prefix = `${ROOT}/carol/default`;
  await referenceCopy(prefix, '2025-01-01-00-00-00');
  await referenceCopy(prefix, '2025-02-01-00-00-00');
  await setPolicy('profile#carol', {
    keep_last: 1,
    include_reference_copies: true
  });
  const result = await runMaintenance({ prefix }, ctx);
  expect(result).toMatchObject({
    status: 'done',
    referenceCopiesForgotten: 1,
    referenceCopiesKept: 1
  });
  expect(await keys(prefix)).toEqual([
    '2025-02-01-00-00-00/2025-02-01-00-00-00_BACKUP_COMPLETE',
    '2025-02-01-00-00-00/home/notes.txt'
  ]);
  // Without the opt-in, a prefix holding only reference copies is reported, not touched.
  await setPolicy('profile#carol', { keep_last: 1 });
  expect(await runMaintenance({ prefix }, ctx)).toMatchObject({
    status: 'no-repository',
    referenceCopiesKept: 1
  });
});

test('a key that is not <prefix>/<profile>/<space> is refused before anything is read', async () => {
  await expect(
    runMaintenance({ prefix: `${ROOT}/alice` }, ctx)
  ).rejects.toThrow(
    'studio-backups/alice is not a repository: expected studio-backups/<profile>/<space>.'
  );
});

test('a run starts from the list of every <profile>/<space> in the bucket, read back as the map reads it', async () => {
  await referenceCopy(`${ROOT}/dave/space-2`, '2025-03-01-00-00-00');
  const listed = await listRepositories(env.moto.client, BUCKET, ROOT, 'run-1');
  expect(listed).toEqual({
    bucket: BUCKET,
    key: 'maintenance/runs/run-1.json',
    repositories: 4
  });
  const body = await env.moto.client.send(
    new GetObjectCommand({ Bucket: BUCKET, Key: listed.key })
  );
  const items = JSON.parse(await body.Body!.transformToString());
  expect(items.map((i: { prefix: string }) => i.prefix).sort()).toEqual([
    `${ROOT}/alice/default`,
    `${ROOT}/bob/default`,
    `${ROOT}/carol/default`,
    `${ROOT}/dave/space-2`
  ]);
  await expect(
    listRepositories(env.moto.client, BUCKET, ROOT, '../x')
  ).rejects.toThrow('"../x" cannot name a run\'s list');
});
