/**
 * The Python package's Jupyter server extension (sagemaker_studio_backup/handlers.py) in a real
 * Jupyter server from the project's .venv, at Studio's base URL, in front of a real agent: the
 * panel's authenticated requests reach the agent with its per-start secret, everything else is
 * refused, by Jupyter (no auth, no XSRF token) or by the agent (no secret).
 *
 * The server imports the package from this checkout (PYTHONPATH), so it tests the sources, not
 * whatever `pip install .` last put into .venv; its config, data and runtime folders are temporary.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { Server } from 'node:http';
import { join } from 'node:path';
import { HealthResponse, Job } from '../src/api/contract';
import { newAgentSecret, publishAgentSecret } from '../src/agent/secret';
import { createAgentServer, listen } from '../src/agent/server';
import { cleanupTempDirs, tempDir, write } from './helpers/fixtures';
import { freePort, VENV_BIN } from './helpers/s3';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const TOKEN = newAgentSecret();
const BASE_URL = '/jupyterlab/default/';

let jupyter: ChildProcess | undefined;
let jupyterLog = '';
let lab: string;
let home: string;
let agent: Server;
let agentPort: number;
let unpublish: () => Promise<void>;

// A worker that exits without its afterAll still ends the server's process group.
process.once('exit', () => {
  if (jupyter?.pid) {
    try {
      process.kill(-jupyter.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

const auth = { Authorization: `token ${TOKEN}` };
const forwarded = (path: string, port = agentPort) =>
  `${lab}studio-backup/agent/${port}/api/v1${path}`;

async function startAgent(): Promise<void> {
  const secret = newAgentSecret();
  agent = createAgentServer({
    version: '4.5.6',
    repository: `file://${tempDir('ext-repo')}`,
    home,
    cacheDir: tempDir('ext-cache'),
    secret
  });
  agentPort = await listen(agent, agentPort ?? 0);
  unpublish = await publishAgentSecret(
    join(home, '.studio-backup'),
    agentPort,
    secret
  );
}

async function stopAgent(): Promise<void> {
  await unpublish();
  agent.closeAllConnections();
  await new Promise(resolve => agent.close(resolve));
}

beforeAll(async () => {
  home = tempDir('ext-home');
  write(home, 'notes/hello.txt', 'hello from the home\n');
  await startAgent();

  const config = tempDir('ext-jupyter-config');
  writeFileSync(
    join(config, 'jupyter_server_config.json'),
    JSON.stringify({
      ServerApp: { jpserver_extensions: { sagemaker_studio_backup: true } }
    })
  );
  const port = await freePort();
  lab = `http://127.0.0.1:${port}${BASE_URL}`;
  // Its own process group, ended by its id in afterAll.
  jupyter = spawn(
    join(VENV_BIN, 'jupyter'),
    [
      'server',
      '--no-browser',
      `--port=${port}`,
      '--ServerApp.port_retries=0',
      '--ServerApp.ip=127.0.0.1',
      `--ServerApp.base_url=${BASE_URL}`,
      `--ServerApp.root_dir=${home}`,
      `--IdentityProvider.token=${TOKEN}`,
      '--allow-root'
    ],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PYTHONPATH: ROOT,
        JUPYTER_CONFIG_DIR: config,
        JUPYTER_DATA_DIR: tempDir('ext-jupyter-data'),
        JUPYTER_RUNTIME_DIR: tempDir('ext-jupyter-runtime'),
        STUDIO_BACKUP_STATE_DIR: ''
      }
    }
  );
  jupyter.stdout!.on('data', chunk => (jupyterLog += chunk));
  jupyter.stderr!.on('data', chunk => (jupyterLog += chunk));
  for (const deadline = Date.now() + 90_000; ;) {
    if (jupyter.exitCode !== null) {
      throw new Error(`jupyter server exited: ${jupyterLog}`);
    }
    try {
      if ((await fetch(`${lab}api`)).ok) {
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`jupyter server did not answer: ${jupyterLog}`);
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
});

afterAll(async () => {
  if (jupyter?.pid && jupyter.exitCode === null) {
    const exited = new Promise(resolve => jupyter!.once('exit', resolve));
    process.kill(-jupyter.pid, 'SIGTERM');
    await exited;
  }
  await stopAgent().catch(() => undefined);
  cleanupTempDirs();
});

describe('the Jupyter server extension', () => {
  it('is loaded by the server', () => {
    expect(jupyterLog).toMatch(
      /sagemaker_studio_backup \| extension was successfully loaded/
    );
  });

  it('forwards an authenticated request to the agent with the secret', async () => {
    const response = await fetch(forwarded('/health'), { headers: auth });
    expect(response.status).toBe(200);
    expect(HealthResponse.parse(await response.json()).version).toBe('4.5.6');
  });

  it('refuses an unauthenticated request before it reaches the agent', async () => {
    const response = await fetch(forwarded('/health'));
    expect(response.status).toBe(403);
    // Jupyter's own refusal, not the agent's one-line error.
    expect(await response.json()).toEqual({
      message: 'Forbidden',
      reason: null
    });
    const post = await fetch(forwarded('/backup'), { method: 'POST' });
    expect(post.status).toBe(403);
    const wrongToken = await fetch(forwarded('/backup'), {
      method: 'POST',
      headers: { Authorization: 'token not-the-token' }
    });
    expect(wrongToken.status).toBe(403);
  });

  it('keeps Jupyter’s XSRF check: a cookie alone does not start a backup', async () => {
    // A token in the URL logs the browser in with a cookie, as opening the lab URL does.
    const login = await fetch(`${lab}api/contents?token=${TOKEN}`);
    const cookie = login.headers
      .getSetCookie()
      .map(c => c.split(';')[0])
      .join('; ');
    expect(cookie).not.toBe('');
    const read = await fetch(forwarded('/health'), { headers: { cookie } });
    expect(read.status).toBe(200);
    const post = await fetch(forwarded('/backup'), {
      method: 'POST',
      headers: { cookie }
    });
    expect(post.status).toBe(403);
  });

  it('started nothing for the refused requests', async () => {
    const status = (await (
      await fetch(forwarded('/status'), { headers: auth })
    ).json()) as { lastBackup: Job | null; running: Job | null };
    expect(status.running).toBeNull();
    expect(status.lastBackup).toBeNull();
  });

  it('streams a job’s events and a snapshot’s file through to the browser', async () => {
    const started = await fetch(forwarded('/backup'), {
      method: 'POST',
      headers: auth
    });
    expect(started.status).toBe(202);
    const { job } = (await started.json()) as { job: Job };
    const events = await fetch(forwarded(`/jobs/${job.id}/events`), {
      headers: { ...auth, Accept: 'text/event-stream' }
    });
    expect(events.headers.get('content-type')).toBe('text/event-stream');
    const text = await events.text();
    expect(text).toMatch(/^event: (progress|succeeded)\n/);
    expect(text.trim().split('\n\n').pop()).toMatch(/^event: succeeded\n/);

    const snapshot = (
      (await (
        await fetch(forwarded('/snapshots'), { headers: auth })
      ).json()) as {
        snapshots: Array<{ id: string }>;
      }
    ).snapshots[0].id;
    const file = await fetch(
      forwarded(`/snapshots/${snapshot}/file?path=notes%2Fhello.txt`),
      { headers: auth }
    );
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toBe(
      "attachment; filename*=UTF-8''hello.txt"
    );
    expect(await file.text()).toBe('hello from the home\n');
  });

  it('ends the request to the agent when the browser leaves an event stream, quietly', async () => {
    write(home, 'big/one.bin', randomBytes(64 * 1024 * 1024));
    const started = await fetch(forwarded('/backup'), {
      method: 'POST',
      headers: auth
    });
    const { job } = (await started.json()) as { job: Job };
    const leaving = new AbortController();
    const events = await fetch(forwarded(`/jobs/${job.id}/events`), {
      headers: { ...auth, Accept: 'text/event-stream' },
      signal: leaving.signal
    });
    const reader = events.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(
      /^event: progress\n/
    );
    leaving.abort();
    // Every forwarded request has a connection of its own: none is left open at the agent.
    const open = () =>
      new Promise<number>((resolve, reject) =>
        agent.getConnections((err, count) =>
          err ? reject(err) : resolve(count)
        )
      );
    for (const deadline = Date.now() + 10_000; (await open()) > 0;) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    await fetch(forwarded(`/jobs/${job.id}`), {
      method: 'DELETE',
      headers: auth
    });
    expect(jupyterLog).not.toMatch(/Uncaught exception|Traceback/);
  });

  it('passes the agent’s own one-line errors through', async () => {
    const response = await fetch(forwarded('/jobs/no-such-job'), {
      headers: auth
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'No job no-such-job.' });
  });

  it('leaves the old way in closed: jupyter-server-proxy reaches the agent, which refuses it', async () => {
    const response = await fetch(`${lab}proxy/${agentPort}/api/v1/health`, {
      headers: auth
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toMatch(
      /no valid X-Studio-Backup-Secret/
    );
  });

  it('reaches only ports an agent of this user published, and only its /api/v1/', async () => {
    const other = await freePort();
    const response = await fetch(forwarded('/health', other), {
      headers: auth
    });
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      error: `No backup agent has started on port ${other} for this user (no agent-${other}.json in ${join(home, '.studio-backup')} or ${join(process.env.HOME ?? '', '.studio-backup')}): is the lifecycle configuration attached?`,
      reason: 'agent-no-record',
      port: other,
      dirs: [
        join(home, '.studio-backup'),
        join(process.env.HOME ?? '', '.studio-backup')
      ]
    });
    const outside = await fetch(
      `${lab}studio-backup/agent/${agentPort}/other`,
      { headers: auth }
    );
    expect(outside.status).toBe(404);
  });

  it('does not use a record others can read', async () => {
    const dir = join(home, '.studio-backup');
    const port = await freePort();
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `agent-${port}.json`);
    writeFileSync(
      path,
      JSON.stringify({ port, secret: newAgentSecret(), pid: 1 })
    );
    chmodSync(path, 0o644);
    const response = await fetch(forwarded('/health', port), {
      headers: auth
    });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: string }).error).toBe(
      `Not using ${path}: it must belong to this user and be readable by no one else (0600).`
    );
  });

  it('says the agent is unreachable when it stopped, and reaches the next one on that port', async () => {
    await stopAgent();
    const stopped = await fetch(forwarded('/health'), { headers: auth });
    expect(stopped.status).toBe(502);
    // Stopped cleanly: its record is gone.
    expect(await stopped.json()).toMatchObject({
      reason: 'agent-no-record'
    });

    // A new start: a new secret in the same file; the old one is worthless.
    await startAgent();
    const again = await fetch(forwarded('/health'), { headers: auth });
    expect(again.status).toBe(200);

    // Killed without removing its record: nothing listens any more.
    agent.closeAllConnections();
    await new Promise(resolve => agent.close(resolve));
    const killed = await fetch(forwarded('/health'), { headers: auth });
    expect(killed.status).toBe(502);
    expect(await killed.json()).toMatchObject({
      error: expect.stringMatching(
        new RegExp(`^The backup agent on port ${agentPort} did not answer: `)
      ),
      reason: 'agent-no-answer'
    });
    await startAgent();
  });
});
