/**
 * The agent with the backend deployed: a recovery request goes to the requests table under the
 * agent's own user profile, its state comes back from there, and the recovery history is read
 * from studioUserHistory. DynamoDB is moto's, over HTTP.
 */
import {
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand
} from '@aws-sdk/client-dynamodb';
import { humanBytes } from '../src/progress/progress';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { Server } from 'node:http';
import { createAgentServer, listen } from '../src/agent/server';
import { newAgentSecret } from '../src/agent/secret';
import { createTable } from './helpers/dynamodb';
import { cleanupTempDirs, tempDir } from './helpers/fixtures';
import { IS3Server, startS3 } from './helpers/s3';

jest.setTimeout(60_000);

let moto: IS3Server;
let dynamodb: DynamoDBClient;
let server: Server;
let base: string;
const secret = newAgentSecret();

const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      'Content-Type': 'application/json',
      'X-Studio-Backup-Secret': secret
    },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  return { status: response.status, json: (await response.json()) as any };
};

beforeAll(async () => {
  moto = await startS3();
  dynamodb = new DynamoDBClient({ endpoint: moto.endpoint });
  await createTable(dynamodb, 'requests', 'user_profile_name', {
    name: 'request_id',
    type: 'S'
  });
  await createTable(dynamodb, 'history', 'profile_name', {
    name: 'epoctime',
    type: 'N'
  });
  server = createAgentServer({
    version: '1',
    secret,
    repository: `file://${tempDir('backend-repo')}`,
    home: tempDir('backend-home'),
    stateDir: tempDir('backend-state'),
    backend: {
      requestsTable: 'requests',
      historyTable: 'history',
      profile: 'alice',
      domainId: 'd-1',
      space: 'alice-space',
      client: dynamodb
    }
  });
  base = `http://127.0.0.1:${await listen(server, 0)}`;
});

afterAll(async () => {
  await new Promise(resolve => server.close(resolve));
  dynamodb.destroy();
  await moto.stop();
  cleanupTempDirs();
});

it("files a recovery from a former profile in the backend, under the agent's own profile", async () => {
  const missing = await call('POST', '/restore-requests', {
    kind: 'recover-profile'
  });
  expect(missing.status).toBe(400);
  const created = await call('POST', '/restore-requests', {
    kind: 'recover-profile',
    fromProfile: 'old-alice'
  });
  expect(created.status).toBe(201);
  const items = (
    await dynamodb.send(new ScanCommand({ TableName: 'requests' }))
  ).Items!.map(i => unmarshall(i));
  expect(items).toEqual([
    expect.objectContaining({
      user_profile_name: 'alice',
      request_id: created.json.request.id,
      kind: 'recover-profile',
      from_profile: 'old-alice',
      domain_id: 'd-1',
      space_name: 'alice-space'
    })
  ]);

  // The backend's policy holds it for an admin; the panel sees it waiting.
  const update = (expression: string, values: Record<string, unknown>) =>
    dynamodb.send(
      new UpdateItemCommand({
        TableName: 'requests',
        Key: marshall({
          user_profile_name: 'alice',
          request_id: created.json.request.id
        }),
        UpdateExpression: expression,
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: marshall(values)
      })
    );
  await update('SET #s = :s', { ':s': 'pending-approval' });
  const listed = await call('GET', '/restore-requests');
  expect(listed.json.requests).toEqual([
    expect.objectContaining({
      id: created.json.request.id,
      state: 'pending',
      fromProfile: 'old-alice',
      message: "Waiting for your Studio admin's approval."
    })
  ]);

  // Approved: the backend copies the former profile's snapshots and counts them on the row.
  await update(
    'SET #s = :s, message = :m ADD bytes_copied :b, objects_copied :n',
    {
      ':s': 'forwarded',
      ':m': 'Approved by an admin: recovery started.',
      ':b': 3 * 1024 * 1024,
      ':n': 42
    }
  );
  const copying = await call('GET', '/restore-requests');
  expect(copying.json.requests[0]).toMatchObject({
    state: 'forwarded',
    message: `Approved by an admin: recovery started. (42 objects, ${humanBytes(3 * 1024 * 1024)} copied)`
  });
});

it('names one space of the former profile, and refuses a name that is not a Studio name', async () => {
  const bad = await call('POST', '/restore-requests', {
    kind: 'recover-profile',
    fromProfile: 'old-alice/../bob'
  });
  expect(bad.status).toBe(400);
  expect(bad.json.error).toBe(
    'Invalid request: fromProfile: must be a Studio name: letters, digits and hyphens.'
  );
  const created = await call('POST', '/restore-requests', {
    kind: 'recover-profile',
    fromProfile: 'old-alice',
    fromSpace: 'old-space'
  });
  expect(created.status).toBe(201);
  const item = (await dynamodb.send(new ScanCommand({ TableName: 'requests' })))
    .Items!.map(i => unmarshall(i))
    .find(i => i.request_id === created.json.request.id);
  expect(item).toMatchObject({
    from_profile: 'old-alice',
    from_space: 'old-space'
  });
  const listed = await call('GET', '/restore-requests');
  expect(
    listed.json.requests.find((r: any) => r.id === created.json.request.id)
  ).toMatchObject({ fromProfile: 'old-alice', fromSpace: 'old-space' });
});

it('reads the recovery history of its own profile', async () => {
  await dynamodb.send(
    new PutItemCommand({
      TableName: 'history',
      Item: marshall({
        profile_name: 'alice',
        epoctime: 1_700_000_000_000,
        event: 'recovery',
        replication_status: 'SUCCESS',
        bytes_written: 1234,
        total_duration_ms: 61000
      })
    })
  );
  await dynamodb.send(
    new PutItemCommand({
      TableName: 'history',
      Item: marshall({
        profile_name: 'alice',
        epoctime: 1_600_000_000_000,
        event: 'created'
      })
    })
  );
  const { json } = await call('GET', '/recoveries');
  expect(json).toEqual({
    recoveries: [
      {
        status: 'SUCCESS',
        method: 'efs-datasync',
        bytesWritten: 1234,
        durationMs: 61000,
        time: '2023-11-14T22:13:20.000Z'
      }
    ]
  });
});

it('says in one line when the backend is unreachable', async () => {
  const broken = createAgentServer({
    version: '1',
    secret,
    repository: `file://${tempDir('backend-repo2')}`,
    home: tempDir('backend-home2'),
    backend: {
      requestsTable: 'no-such-table',
      historyTable: 'history',
      profile: 'alice',
      domainId: 'd-1',
      space: 'alice-space',
      client: dynamodb
    }
  });
  const port = await listen(broken, 0);
  const response = await fetch(
    `http://127.0.0.1:${port}/api/v1/restore-requests`,
    { headers: { 'X-Studio-Backup-Secret': secret } }
  );
  expect(response.status).toBe(502);
  expect(((await response.json()) as { error: string }).error).toMatch(
    /^The Studio Backup backend did not answer: /
  );
  await new Promise(resolve => broken.close(resolve));
});
