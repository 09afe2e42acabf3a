import { AddressInfo } from 'node:net';
import { request, Server } from 'node:http';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorResponse, HealthResponse } from '../src/api/contract';
import { Router } from '../src/agent/http';
import {
  agentRecordPath,
  newAgentSecret,
  publishAgentSecret,
  secretMatches
} from '../src/agent/secret';
import { createAgentServer, listen } from '../src/agent/server';
import { cleanupTempDirs, tempDir } from './helpers/fixtures';

const secret = newAgentSecret();

/** Raw HTTP, so that any Host and any forged header can be sent, as a rebinding page would. */
function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers },
      res => {
        let text = '';
        res.on('data', d => (text += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text })
        );
      }
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('agent HTTP server', () => {
  let server: Server;
  let base: string;
  let port: number;
  const headers = { 'X-Studio-Backup-Secret': secret };

  beforeAll(async () => {
    server = createAgentServer({
      version: '9.8.7',
      repository: `file://${tempDir('server-repo')}`,
      home: tempDir('server-home'),
      stateDir: tempDir('server-state'),
      secret
    });
    port = await listen(server, 0);
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(done => {
    server.close(() => {
      cleanupTempDirs();
      done();
    });
  });

  it('listens on the loopback interface only', () => {
    expect((server.address() as AddressInfo).address).toBe('127.0.0.1');
  });

  it('answers GET /api/v1/health with the contract shape, given the secret', async () => {
    const response = await fetch(`${base}/api/v1/health`, { headers });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = HealthResponse.parse(await response.json());
    expect(body).toMatchObject({ version: '9.8.7', status: 'ok' });
  });

  it('answers unknown paths with a 404 and a one-line error', async () => {
    const response = await fetch(`${base}/api/v1/nothing-here`, { headers });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'No such endpoint: /api/v1/nothing-here'
    });
  });

  it('answers a wrong method with a 405 naming the allowed ones', async () => {
    const response = await fetch(`${base}/api/v1/health`, {
      method: 'POST',
      headers
    });
    expect(response.status).toBe(405);
    expect(ErrorResponse.parse(await response.json()).error).toBe(
      'POST is not allowed on /api/v1/health; use GET.'
    );
  });

  it('explains a port that is already taken', async () => {
    const other = createAgentServer({ version: '0', repository: 'x', secret });
    await expect(listen(other, port)).rejects.toThrow(
      `Port ${port} on 127.0.0.1 is already in use: is another agent running? Stop it or pass --port.`
    );
  });

  // Everything the agent used to trust (a local Host, the proxy's X-Forwarded-Context, a matching
  // Origin), which a page that reached 127.0.0.1 by DNS rebinding can send too.
  const trustedBefore = {
    Host: `127.0.0.1`,
    'X-Forwarded-Context': '/jupyterlab/default/proxy/8765',
    'X-Forwarded-For': '127.0.0.1',
    'X-Forwarded-Proto': 'http',
    'Sec-Fetch-Site': 'same-origin'
  };
  const wrong = {
    'no secret': {},
    'an empty secret': { 'X-Studio-Backup-Secret': '' },
    'a wrong secret of the same length': {
      'X-Studio-Backup-Secret': newAgentSecret()
    },
    'a prefix of the secret': {
      'X-Studio-Backup-Secret': secret.slice(0, 20)
    },
    'the secret with more after it': {
      'X-Studio-Backup-Secret': `${secret}x`
    },
    'the secret in another header': { Authorization: `Bearer ${secret}` }
  };

  it.each(Object.entries(wrong))(
    'refuses a request with every formerly trusted header but %s: 403, one line',
    async (_, extra) => {
      const response = await raw(port, 'GET', '/api/v1/health', {
        ...trustedBefore,
        ...extra
      });
      expect(response.status).toBe(403);
      expect(response.body.trim().split('\n')).toHaveLength(1);
      expect(JSON.parse(response.body)).toEqual({
        error:
          'The agent answers only requests forwarded by the Jupyter server (<base url>/studio-backup/agent/<port>/): this one has no valid X-Studio-Backup-Secret.'
      });
    }
  );

  it.each([
    ['POST', '/api/v1/backup', undefined],
    ['POST', '/api/v1/restore', '{"snapshot":"latest","target":"original"}'],
    ['POST', '/api/v1/restore-requests', '{"kind":"full-restore"}'],
    ['PUT', '/api/v1/settings', '{"exclude":["*"]}'],
    ['DELETE', '/api/v1/jobs/anything', undefined],
    ['GET', '/api/v1/snapshots', undefined],
    ['GET', '/api/v1/status', undefined]
  ])(
    'refuses %s %s from a rebinding page (Host 127.0.0.1, forged proxy header, no secret)',
    async (method, path, body) => {
      const response = await raw(
        port,
        method,
        path,
        {
          ...trustedBefore,
          Origin: 'http://127.0.0.1',
          'Content-Type': 'application/json'
        },
        body
      );
      expect(response.status).toBe(403);
      expect(JSON.parse(response.body).error).toMatch(
        /no valid X-Studio-Backup-Secret/
      );
    }
  );

  it('started nothing and changed nothing for the refused requests', async () => {
    const get = async (path: string): Promise<any> =>
      (await fetch(`${base}/api/v1${path}`, { headers })).json();
    const status = await get('/status');
    expect(status.running).toBeNull();
    expect(status.lastBackup).toBeNull();
    const settings = await get('/settings');
    expect(settings.exclude).toEqual([]);
    const requests = await get('/restore-requests');
    expect(requests.requests).toEqual([]);
  });

  it.each([
    ['evil.example.com'],
    ['evil.example.com:8765'],
    ['127.0.0.1.evil.example.com']
  ])(
    'refuses Host %s even with the right secret (DNS rebinding)',
    async host => {
      const response = await raw(port, 'POST', '/api/v1/backup', {
        Host: host,
        'X-Forwarded-Context': '/proxy/8765',
        ...headers
      });
      expect(response.status).toBe(403);
      expect(JSON.parse(response.body).error).toMatch(
        /^Host .* is not allowed/
      );
    }
  );

  it('answers the request the Jupyter server extension sends: Host 127.0.0.1:<port> and the secret', async () => {
    const response = await raw(port, 'GET', '/api/v1/health', {
      Host: `127.0.0.1:${port}`,
      ...headers
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).status).toBe('ok');
  });
});

describe('the per-start secret', () => {
  afterAll(cleanupTempDirs);

  it('is new at every start and long enough not to be guessed', () => {
    const a = newAgentSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newAgentSecret()).not.toBe(a);
  });

  it('matches only itself', () => {
    expect(secretMatches(secret, secret)).toBe(true);
    expect(secretMatches(`${secret} `, secret)).toBe(false);
    expect(secretMatches(secret.slice(1), secret)).toBe(false);
    expect(secretMatches(undefined, secret)).toBe(false);
    expect(secretMatches([secret], secret)).toBe(false);
    expect(secretMatches('', '')).toBe(false);
  });

  it('cannot be left out: a router without one is refused', () => {
    expect(() => new Router('')).toThrow(
      'The agent needs a secret to check its callers.'
    );
  });

  it('is written for the Jupyter server extension, readable by the user only, and removed at stop', async () => {
    const stateDir = join(tempDir('secret-state'), 'new', '.studio-backup');
    const unpublish = await publishAgentSecret(stateDir, 8765, secret);
    const path = agentRecordPath(stateDir, 8765);
    expect(path).toBe(join(stateDir, 'agent-8765.json'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
      port: 8765,
      secret,
      pid: process.pid
    });
    await unpublish();
    expect(existsSync(path)).toBe(false);
  });

  it('leaves a newer agent’s record in place when an older one stops', async () => {
    const stateDir = tempDir('secret-state');
    const unpublish = await publishAgentSecret(stateDir, 9000, secret);
    const newer = newAgentSecret();
    await publishAgentSecret(stateDir, 9000, newer);
    await unpublish();
    expect(
      JSON.parse(readFileSync(agentRecordPath(stateDir, 9000), 'utf8')).secret
    ).toBe(newer);
  });

  it('replaces a record left by an agent that was killed, still 0600', async () => {
    const stateDir = tempDir('secret-state');
    const path = agentRecordPath(stateDir, 9001);
    writeFileSync(path, '{"port":9001,"secret":"stale","pid":1}', {
      mode: 0o644
    });
    await publishAgentSecret(stateDir, 9001, secret);
    expect(JSON.parse(readFileSync(path, 'utf8')).secret).toBe(secret);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
