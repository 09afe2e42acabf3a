/**
 * GET /maintenance: the retention policy in force (the profile's own over the domain's), "kept
 * until" for each snapshot from forget's own rules, the last maintenance run of this space, and
 * the repository's storage with an estimate of its monthly cost. S3 and DynamoDB are moto's.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { Server } from 'node:http';
import { createAgentServer, listen } from '../src/agent/server';
import { newAgentSecret } from '../src/agent/secret';
import { backup } from '../src/backup/backup';
import { applyPolicy } from '../src/maintenance/retention';
import { openBackend } from '../src/repository/open';
import { Repository } from '../src/repository/repository';
import { createTable } from './helpers/dynamodb';
import { cleanupTempDirs, randomish, tempDir, write } from './helpers/fixtures';
import { IS3Server, startS3 } from './helpers/s3';

jest.setTimeout(90_000);

let moto: IS3Server;
let dynamodb: DynamoDBClient;
const servers: Server[] = [];
const secret = newAgentSecret();
const REPO = 's3://backups/studio/alice/alice-space';

async function agent(backend: boolean): Promise<string> {
  const server = createAgentServer({
    version: '1',
    secret,
    repository: REPO,
    home: tempDir('maint-home'),
    stateDir: tempDir('maint-state'),
    ...(backend
      ? {
          backend: {
            requestsTable: 'requests',
            historyTable: 'history',
            retentionTable: 'retention',
            resultsTable: 'results',
            profile: 'alice',
            domainId: 'd-1',
            space: 'alice-space',
            client: dynamodb
          }
        }
      : {})
  });
  servers.push(server);
  return `http://127.0.0.1:${await listen(server, 0)}/api/v1`;
}

const get = async (base: string, path: string) => {
  const response = await fetch(`${base}${path}`, {
    headers: { 'X-Studio-Backup-Secret': secret }
  });
  return { status: response.status, json: (await response.json()) as any };
};

beforeAll(async () => {
  moto = await startS3();
  await moto.createBucket('backups');
  dynamodb = new DynamoDBClient({ endpoint: moto.endpoint });
  await createTable(dynamodb, 'retention', 'scope');
  await createTable(dynamodb, 'results', 'profile', { name: 'run', type: 'S' });
  // Three snapshots; the domain keeps 5 daily, alice's own policy keeps the last 2.
  const home = tempDir('maint-source');
  const cacheDir = tempDir('maint-cache');
  for (let i = 0; i < 3; i++) {
    write(home, `data/run_${i}.bin`, randomish(64 * 1024, i));
    await backup(await Repository.open(openBackend(REPO), { create: true }), {
      source: home,
      cacheDir
    });
  }
  for (const row of [
    { scope: 'default', keep_daily: 5 },
    { scope: 'profile#alice', keep_last: 2 },
    { scope: 'profile#bob', keep_last: 1 }
  ]) {
    await dynamodb.send(
      new PutItemCommand({ TableName: 'retention', Item: marshall(row) })
    );
  }
  for (const [space, started, forgotten] of [
    ['alice-space', '2026-11-20T03:00:00.000Z', 4],
    ['alice-space', '2026-11-21T03:00:00.000Z', 1],
    ['other-space', '2026-11-22T03:00:00.000Z', 9]
  ] as const) {
    await dynamodb.send(
      new PutItemCommand({
        TableName: 'results',
        Item: marshall({
          profile: 'alice',
          run: `${space}#${started}`,
          space,
          status: 'done',
          started_at: started,
          snapshots_forgotten: forgotten,
          snapshots_kept: 3,
          bytes_freed: 1234,
          duration_ms: 2500
        })
      })
    );
  }
});

afterAll(async () => {
  for (const server of servers) {
    await new Promise(resolve => server.close(resolve));
  }
  dynamodb?.destroy();
  await moto?.stop();
  cleanupTempDirs();
});

it("shows the profile's own policy, kept-until from forget's rules, this space's last run and the storage", async () => {
  const base = await agent(true);
  const { status, json } = await get(base, '/maintenance');
  expect(status).toBe(200);
  expect(json.retention).toEqual({
    policy: { last: 2 },
    source: 'profile',
    includeReferenceCopies: false
  });
  expect(json.reason).toBeUndefined();
  // Of this space, the newest run (not other-space's, which is newer).
  expect(json.lastRun).toEqual({
    time: '2026-11-21T03:00:00.000Z',
    status: 'done',
    snapshotsForgotten: 1,
    snapshotsKept: 3,
    bytesFreed: 1234,
    durationMs: 2500
  });

  // What forget would remove now is "kept until" now; the two it keeps go later, newest last.
  const repo = await Repository.open(openBackend(REPO));
  const snapshots = await repo.listSnapshots();
  const { keep, remove } = applyPolicy(snapshots, { last: 2 });
  expect(remove).toHaveLength(1);
  const until = json.keptUntil as Record<string, string | null>;
  expect(Date.parse(until[remove[0].id]!)).toBeLessThanOrEqual(Date.now());
  const [newest, older] = keep.map(k => until[k.snapshot.id]!);
  expect(Date.parse(older)).toBeGreaterThan(Date.now());
  expect(Date.parse(newest)).toBeGreaterThan(Date.parse(older));

  // Storage: every object of the repository, and an estimate at us-east-1's price.
  let stored = 0;
  for await (const item of repo.backend.list('')) {
    stored += item.size;
  }
  expect(json.storage).toMatchObject({ snapshots: 3, storedBytes: stored });
  expect(json.storage.logicalBytes).toBeGreaterThan(3 * 64 * 1024);
  expect(json.storage.monthlyCost).toEqual({
    usd: (stored / 1024 ** 3) * 0.023,
    region: 'us-east-1',
    pricePerGbMonth: 0.023,
    priceDate: '2025'
  });
});

it('without the backend: the default policy, no run, and says why', async () => {
  const base = await agent(false);
  const { json } = await get(base, '/maintenance');
  expect(json.retention).toEqual({
    policy: { hourly: 24, daily: 14, weekly: 8, monthly: 12 },
    source: 'built-in',
    includeReferenceCopies: false
  });
  expect(json.lastRun).toBeNull();
  expect(json.reason).toMatch(/backend is not deployed/);
  expect(Object.keys(json.keptUntil)).toHaveLength(3);
});

it('before the first backup: nothing stored, nothing kept, no error', async () => {
  const server = createAgentServer({
    version: '1',
    secret,
    repository: 's3://backups/studio/carol/new-space',
    home: tempDir('maint-home'),
    stateDir: tempDir('maint-state')
  });
  servers.push(server);
  const base = `http://127.0.0.1:${await listen(server, 0)}/api/v1`;
  const { status, json } = await get(base, '/maintenance');
  expect(status).toBe(200);
  expect(json.keptUntil).toEqual({});
  expect(json.storage).toMatchObject({ snapshots: 0, storedBytes: 0 });
});
