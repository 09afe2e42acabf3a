/** The agent's HTTP API against a real running agent over HTTP: every endpoint, traversal, origins, SSE, cancel. */
import { AddressInfo } from 'node:net';
import { Server, request } from 'node:http';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newAgentSecret } from '../src/agent/secret';
import { createAgentServer, listen, PREVIEW_LIMIT } from '../src/agent/server';
import {
  cleanupTempDirs,
  makeHome,
  randomish,
  tempDir,
  write
} from './helpers/fixtures';

jest.setTimeout(60_000);

let server: Server;
let base: string;
let home: string;
let stateDir: string;
const secret = newAgentSecret();

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {}
) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      'Content-Type': 'application/json',
      'X-Studio-Backup-Secret': secret,
      ...headers
    },
    body:
      body === undefined
        ? undefined
        : typeof body === 'string'
          ? body
          : JSON.stringify(body)
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text, headers: response.headers };
}

/** Raw HTTP, for headers fetch will not let a caller set (Host). */
function raw(
  path: string,
  headers: Record<string, string>
): Promise<{ status: number; body: string }> {
  const port = (server.address() as AddressInfo).port;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: `/api/v1${path}`, headers },
      res => {
        let body = '';
        res.on('data', d => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }
    );
    req.on('error', reject);
    req.end();
  });
}

/** Reads an SSE stream to its end and returns the events. */
async function events(
  jobId: string
): Promise<Array<{ event: string; data: any }>> {
  const response = await fetch(`${base}/api/v1/jobs/${jobId}/events`, {
    headers: { Accept: 'text/event-stream', 'X-Studio-Backup-Secret': secret }
  });
  expect(response.headers.get('content-type')).toBe('text/event-stream');
  const text = await response.text();
  return text
    .trim()
    .split('\n\n')
    .map(block => {
      const [eventLine, dataLine] = block.split('\n');
      return {
        event: eventLine.slice('event: '.length),
        data: JSON.parse(dataLine.slice('data: '.length))
      };
    });
}

async function backupNow() {
  const started = await call('POST', '/backup');
  expect(started.status).toBe(202);
  const stream = await events(started.json.job.id);
  return stream[stream.length - 1];
}

beforeAll(async () => {
  home = tempDir('agent-home');
  makeHome(home);
  for (let i = 0; i < 12; i++) {
    write(home, `many/file-${String(i).padStart(2, '0')}.txt`, `file ${i}\n`);
  }
  symlinkSync('/etc/passwd', join(home, 'escape-link'));
  server = createAgentServer({
    version: '1.2.3',
    secret,
    repository: `file://${tempDir('agent-repo')}`,
    home,
    cacheDir: tempDir('agent-cache'),
    stateDir: (stateDir = tempDir('agent-state'))
  });
  base = `http://127.0.0.1:${await listen(server, 0)}`;
});

afterAll(done => {
  server.close(() => {
    cleanupTempDirs();
    done();
  });
});

describe('agent API', () => {
  let snapshot = '';

  it('reports health and an empty status before any backup', async () => {
    expect((await call('GET', '/health')).json).toEqual({
      version: '1.2.3',
      repository: expect.stringMatching(/^file:\/\//),
      status: 'ok'
    });
    const status = await call('GET', '/status');
    expect(status.json).toMatchObject({
      version: '1.2.3',
      home,
      lastBackup: null,
      running: null
    });
    // No repository before the first backup: no snapshot yet, which the panel says as such.
    const none = await call('GET', '/snapshots');
    expect(none.status).toBe(200);
    expect(none.json).toEqual({ snapshots: [] });
  });

  it('runs a backup as a job and streams its progress over SSE to the end', async () => {
    const started = await call('POST', '/backup');
    expect(started.status).toBe(202);
    expect((await call('POST', '/backup')).status).toBe(409);
    const stream = await events(started.json.job.id);
    const last = stream[stream.length - 1];
    expect(last.event).toBe('succeeded');
    expect(stream.slice(0, -1).every(e => e.event === 'progress')).toBe(true);
    expect(last.data.result.totals.files).toBe(20);
    expect(last.data.warnings).toEqual([]);
    snapshot = last.data.result.snapshot;
    const status = await call('GET', '/status');
    expect(status.json.lastBackup.result.snapshot).toBe(snapshot);
  });

  it('still names the last backup in /status after the agent restarts', async () => {
    const restarted = createAgentServer({
      version: '1.2.3',
      secret,
      repository: 'file:///nonexistent/never-read',
      home,
      stateDir
    });
    const port = await listen(restarted, 0);
    try {
      const status = await fetch(`http://127.0.0.1:${port}/api/v1/status`, {
        headers: { 'X-Studio-Backup-Secret': secret }
      });
      expect(((await status.json()) as any).lastBackup).toMatchObject({
        kind: 'backup',
        state: 'succeeded',
        result: { snapshot }
      });
    } finally {
      await new Promise(resolve => restarted.close(resolve));
    }
  });

  it('refuses fields it does not know, in one line, instead of ignoring them', async () => {
    for (const [method, path, body] of [
      ['POST', '/restore', { snapshot: 'latest', paths: [], bogus: 1 }],
      ['PUT', '/settings', { bogus: 1 }],
      ['POST', '/restore-requests', { kind: 'full-restore', bogus: 1 }]
    ] as const) {
      const reply = await call(method, path, body);
      expect({ path, status: reply.status }).toEqual({ path, status: 400 });
      expect(reply.json.error).toMatch(/bogus/);
    }
  });

  it('lists snapshots with totals', async () => {
    const { json } = await call('GET', '/snapshots');
    expect(json.snapshots).toEqual([
      expect.objectContaining({
        id: snapshot,
        kind: 'studio-backup',
        complete: true,
        totals: expect.objectContaining({ files: 20 })
      })
    ]);
  });

  it('pages through a folder with a cursor', async () => {
    const first = await call(
      'GET',
      `/snapshots/${snapshot.slice(0, 8)}/tree?path=many&limit=5`
    );
    expect(first.json.total).toBe(12);
    expect(first.json.entries.map((e: any) => e.name)).toEqual([
      'file-00.txt',
      'file-01.txt',
      'file-02.txt',
      'file-03.txt',
      'file-04.txt'
    ]);
    expect(first.json.nextCursor).toBe('5');
    const last = await call(
      'GET',
      `/snapshots/${snapshot}/tree?path=many&limit=5&cursor=10`
    );
    expect(last.json.entries.map((e: any) => e.path)).toEqual([
      'many/file-10.txt',
      'many/file-11.txt'
    ]);
    expect(last.json.nextCursor).toBeNull();
    expect(
      (await call('GET', `/snapshots/${snapshot}/tree?path=nope`)).status
    ).toBe(404);
  });

  it('streams a file with its type and size, and refuses to preview a large one', async () => {
    const file = await call(
      'GET',
      `/snapshots/${snapshot}/file?path=data/customers.csv`
    );
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(file.text).toBe(
      readFileSync(join(home, 'data/customers.csv'), 'utf8')
    );
    const big = await call(
      'GET',
      `/snapshots/${snapshot}/file?path=models/checkpoint.bin&preview=1`
    );
    expect(big.status).toBe(413);
    expect(big.json.error).toMatch(
      new RegExp(`too large to preview .*limit ${PREVIEW_LIMIT}`)
    );
  });

  it('lists versions of a path and compares with the home', async () => {
    writeFileSync(join(home, 'analysis.ipynb'), '{"cells": ["changed"]}');
    const second = await backupNow();
    const versions = await call('GET', '/versions?path=analysis.ipynb');
    expect(versions.json.versions.map((v: any) => v.snapshot)).toEqual([
      second.data.result.snapshot,
      snapshot
    ]);
    const diff = await call(
      'GET',
      `/diff?from=${snapshot}&to=${second.data.result.snapshot}`
    );
    expect(diff.json).toMatchObject({
      added: [],
      removed: [],
      changed: ['analysis.ipynb']
    });
    write(home, 'brand-new.txt', 'x');
    const vsHome = await call(
      'GET',
      `/diff?from=${second.data.result.snapshot}`
    );
    expect(vsHome.json).toMatchObject({
      to: 'home',
      added: ['brand-new.txt'],
      changed: []
    });
    // Found by name in every snapshot, each distinct version once, newest first.
    const found = await call('GET', '/search?name=ANALYSIS*');
    expect(found.status).toBe(200);
    expect(found.json).toMatchObject({
      pattern: 'ANALYSIS*',
      truncated: false,
      paths: [
        {
          path: 'analysis.ipynb',
          versions: [{ snapshot: second.data.result.snapshot }, { snapshot }]
        }
      ]
    });
    expect((await call('GET', '/search?name=%20')).status).toBe(400);
    expect((await call('GET', '/search?name=x&limit=0')).status).toBe(400);
    // One folder only: what lies outside it is neither walked nor reported.
    write(home, 'data/extra.csv', 'a,b\n');
    write(home, 'fresh/one.txt', '1');
    const only = (path: string) =>
      call(
        'GET',
        `/diff?from=${second.data.result.snapshot}&path=${encodeURIComponent(path)}`
      );
    expect((await only('data')).json).toMatchObject({
      added: ['data/extra.csv'],
      removed: [],
      changed: []
    });
    // A folder the snapshot does not have yet: all of it is new.
    expect((await only('fresh')).json.added).toEqual([
      'fresh',
      'fresh/one.txt'
    ]);
    const between = await call(
      'GET',
      `/diff?from=${snapshot}&to=${second.data.result.snapshot}&path=data`
    );
    expect(between.json).toMatchObject({ added: [], removed: [], changed: [] });
    const outside = await only('../..');
    expect(outside.status).toBe(400);
    expect(outside.json.error).toBe(
      'The path "../.." leaves the home: ".." is not allowed.'
    );
  });

  it('plans, then restores to the side folder and in place without overwriting by default', async () => {
    const plan = await call('POST', '/restore', {
      snapshot,
      paths: ['analysis.ipynb', 'data'],
      target: 'original',
      dryRun: true
    });
    expect(plan.json.counts).toMatchObject({ skip: 1, unchanged: 2 });

    const side = await call('POST', '/restore', {
      snapshot,
      paths: ['analysis.ipynb'],
      target: 'side'
    });
    expect(side.status).toBe(202);
    const done = (await events(side.json.job.id)).pop()!;
    expect(done.event).toBe('succeeded');
    const restored = join(
      home,
      'restored-files',
      snapshot.slice(0, 8),
      'analysis.ipynb'
    );
    expect(readFileSync(restored, 'utf8')).toBe(
      JSON.stringify({ cells: [{ source: 'print(1)' }] })
    );

    const inPlace = await call('POST', '/restore', {
      snapshot,
      paths: ['analysis.ipynb'],
      target: 'original'
    });
    expect((await events(inPlace.json.job.id)).pop()!.event).toBe('succeeded');
    expect(readFileSync(join(home, 'analysis.ipynb'), 'utf8')).toBe(
      '{"cells": ["changed"]}'
    );
  });

  it('skips a symlink that points outside the home, and says so', async () => {
    const side = await call('POST', '/restore', {
      snapshot,
      paths: ['escape-link'],
      target: 'side',
      dryRun: true
    });
    expect(side.json.warnings).toEqual([
      'escape-link is a symbolic link to /etc/passwd, outside the restore target: skipped'
    ]);
  });

  it.each([
    ['GET', '/snapshots/latest/tree?path=../..'],
    ['GET', '/snapshots/latest/tree?path=%2e%2e%2fetc'],
    ['GET', '/snapshots/latest/file?path=/etc/passwd'],
    ['GET', '/snapshots/latest/file?path=data%2F..%2F..%2F..%2Fetc%2Fpasswd'],
    ['GET', '/versions?path=../outside']
  ])('refuses path traversal: %s %s', async (method, path) => {
    const response = await call(method, path);
    expect(response.status).toBe(400);
    expect(response.json.error).toMatch(/is absolute|leaves the home/);
  });

  it('refuses traversal in a restore and writes nothing', async () => {
    const response = await call('POST', '/restore', {
      snapshot,
      paths: ['../../etc/passwd'],
      target: 'original'
    });
    expect(response.status).toBe(400);
    expect(response.json.error).toMatch(/leaves the home/);
  });

  it('answers bad input with a 4xx and one line', async () => {
    expect((await call('POST', '/restore', '{nope')).json).toEqual({
      error: 'The request body is not valid JSON.'
    });
    const badMode = await call('POST', '/restore', {
      snapshot,
      conflict: 'explode'
    });
    expect(badMode.status).toBe(400);
    expect(badMode.json.error).toMatch(/^Invalid request: conflict: /);
    expect(
      (await call('POST', '/restore', { snapshot: 'ffffffff' })).status
    ).toBe(404);
    const missing = await call('POST', '/restore', {
      snapshot,
      paths: ['no/such/file.txt']
    });
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatch(
      /^no\/such\/file\.txt is not in snapshot /
    );
    expect((await call('DELETE', '/jobs/unknown')).status).toBe(404);
    expect((await call('PUT', '/backup')).status).toBe(405);
  });

  const valid = { 'X-Studio-Backup-Secret': secret };
  it.each([
    [{ Host: 'evil.example.com', ...valid }, 403],
    [{ Host: '127.0.0.1', Origin: 'http://evil.example.com', ...valid }, 403],
    [{ Host: 'localhost:8765', 'Sec-Fetch-Site': 'cross-site', ...valid }, 403],
    [
      { Host: 'localhost:8765', Origin: 'http://localhost:8765', ...valid },
      200
    ],
    // What the Jupyter server extension sends: the agent's own Host and the secret.
    [{ Host: '127.0.0.1:8765', ...valid }, 200],
    // What jupyter-server-proxy used to be trusted for: its header, without the secret.
    [
      {
        Host: 'abc.studio.us-east-1.sagemaker.aws',
        Origin: 'https://abc.studio.us-east-1.sagemaker.aws',
        'X-Forwarded-Context': '/jupyterlab/default/proxy/8765'
      },
      403
    ],
    [{ Host: '127.0.0.1:8765', 'X-Forwarded-Context': '/proxy/8765' }, 403],
    [{ Host: '127.0.0.1:8765' }, 403]
  ])('checks who calls: %j -> %i', async (headers, status) => {
    expect((await raw('/health', headers)).status).toBe(status);
  });

  it('never returns credentials or environment variables', async () => {
    process.env.AWS_SECRET_ACCESS_KEY = 'super-secret-value';
    const bodies = await Promise.all(
      ['/health', '/status', '/snapshots', '/recoveries'].map(p =>
        call('GET', p)
      )
    );
    for (const body of bodies) {
      expect(body.text).not.toContain('super-secret-value');
    }
    delete process.env.AWS_SECRET_ACCESS_KEY;
  });

  it('cancels a running backup: the job ends cancelled and no snapshot is written', async () => {
    write(home, 'big/one.bin', randomish(64 * 1024 * 1024, 77));
    const before = (await call('GET', '/snapshots')).json.snapshots.length;
    const started = await call('POST', '/backup');
    const cancelled = await call('DELETE', `/jobs/${started.json.job.id}`);
    expect(cancelled.status).toBe(202);
    const last = (await events(started.json.job.id)).pop()!;
    expect(last.event).toBe('cancelled');
    expect(last.data.error).toBe(
      'The backup was cancelled: no snapshot was written.'
    );
    expect((await call('GET', '/snapshots')).json.snapshots.length).toBe(
      before
    );
    expect((await call('DELETE', `/jobs/${started.json.job.id}`)).status).toBe(
      409
    );
  });

  it('records a full restore for the next start, and explains when the backend is missing', async () => {
    const created = await call('POST', '/restore-requests', {
      kind: 'full-restore',
      snapshot,
      target: 'side'
    });
    expect(created.status).toBe(201);
    const listed = await call('GET', '/restore-requests');
    expect(listed.json.requests).toEqual([
      expect.objectContaining({
        id: created.json.request.id,
        state: 'pending',
        snapshot
      })
    ]);
    const recover = await call('POST', '/restore-requests', {
      kind: 'recover-profile',
      fromProfile: 'old-alice'
    });
    expect(recover.status).toBe(501);
    const recoveries = await call('GET', '/recoveries');
    expect(recoveries.json).toEqual({
      recoveries: [],
      reason: expect.stringMatching(/backend is not deployed/)
    });
    expect(existsSync(join(home, '.studio-backup'))).toBe(false);
  });

  it('applies the exclude and hidden-folder settings to the next backup and keeps them', async () => {
    write(home, '.config/tool.json', '{"a": 1}\n');
    write(home, 'scratch/big.tmp', 'temporary\n');
    const bad = await call('PUT', '/settings', { includeHidden: ['config'] });
    expect(bad.status).toBe(400);
    expect(
      (await call('PUT', '/settings', { includeHidden: ['.config'] })).status
    ).toBe(200);
    const put = await call('PUT', '/settings', { exclude: ['*.tmp'] });
    expect(put.status).toBe(200);
    // PUT answers what is now in force, as GET does, not only what it changed.
    expect((await call('GET', '/settings')).json).toEqual({
      includeHidden: ['.config'],
      exclude: ['*.tmp']
    });
    expect(put.json).toEqual((await call('GET', '/settings')).json);
    const last = await backupNow();
    expect(last.event).toBe('succeeded');
    const root = await call(
      'GET',
      `/snapshots/${last.data.result.snapshot}/tree?path=`
    );
    const names = root.json.entries.map((e: { name: string }) => e.name);
    expect(names).toContain('.config');
    const scratch = await call(
      'GET',
      `/snapshots/${last.data.result.snapshot}/tree?path=scratch`
    );
    expect(scratch.json.entries).toEqual([]);
    // Without a schedule, an interval cannot be set, and nothing else changes.
    expect(
      (await call('PUT', '/settings', { intervalMinutes: 60 })).status
    ).toBe(409);
  });
});
