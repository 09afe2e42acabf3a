/** The scheduler's rules: jitter, backoff after failures, reset after success, one backup at a time. */
import { JobManager } from '../src/agent/jobs';
import { Scheduler } from '../src/agent/scheduler';
import { createAgentServer, listen } from '../src/agent/server';
import { newAgentSecret } from '../src/agent/secret';
import { StatusResponse } from '../src/api/contract';
import { cleanupTempDirs, tempDir, write } from './helpers/fixtures';

function scheduler(
  outcomes: Array<'ok' | 'fail'>,
  jobs = new JobManager(),
  intervalMs = 60_000
) {
  const lines: string[] = [];
  const s = new Scheduler({
    intervalMs,
    jitter: 0.1,
    random: () => 0.5,
    log: line => lines.push(line),
    startBackup: () =>
      jobs.start('backup', async () => {
        if (outcomes.shift() === 'fail') {
          throw new Error('bucket gone');
        }
        return { result: {} };
      })
  });
  return { s, lines, jobs };
}

describe('Scheduler', () => {
  it('with interval 0 runs its first backup and plans none after (ENABLE_SCHEDULED_SYNC=0)', async () => {
    const { s, jobs } = scheduler(['ok', 'ok'], new JobManager(), 0);
    await s.run();
    expect(jobs.last('backup')?.state).toBe('succeeded');
    expect(s.next).toBeUndefined();
    s.stop();
  });

  it('adds jitter to the interval', () => {
    expect(scheduler([]).s.delay()).toBe(63_000);
  });

  it('backs off after failures and returns to the interval after a success', async () => {
    const { s, lines } = scheduler(['fail', 'fail', 'ok']);
    await s.run();
    expect(s.consecutiveFailures).toBe(1);
    expect(s.delay()).toBe(126_000);
    await s.run();
    expect(s.delay()).toBe(252_000);
    expect(lines).toEqual([
      'scheduled backup failed (1 in a row): bucket gone',
      'scheduled backup failed (2 in a row): bucket gone'
    ]);
    await s.run();
    expect(s.consecutiveFailures).toBe(0);
    expect(s.delay()).toBe(63_000);
    expect(s.next).toBeInstanceOf(Date);
    s.stop();
    expect(s.next).toBeUndefined();
  });

  it('never starts a second backup while one runs: the running one counts as this run', async () => {
    const jobs = new JobManager();
    let release = () => undefined as void;
    jobs.start(
      'backup',
      () => new Promise(resolve => (release = () => resolve({ result: {} })))
    );
    const { s } = scheduler(['ok'], jobs);
    await s.run();
    expect(s.consecutiveFailures).toBe(0);
    expect(jobs.running('backup')?.state).toBe('running');
    release();
    s.stop();
  });

  it('caps the backoff at six hours', async () => {
    const { s } = scheduler(Array(20).fill('fail'));
    for (let i = 0; i < 12; i++) {
      await s.run();
    }
    expect(s.delay()).toBe(Math.round(6 * 3600_000 * 1.05));
    s.stop();
  });
});

describe('the agent with a schedule', () => {
  it('plans the next backup and reports it in /status', async () => {
    const { createAgentServer, listen } = await import('../src/agent/server');
    const { tempDir, cleanupTempDirs } = await import('./helpers/fixtures');
    const secret = 'a-test-secret';
    const headers = { 'X-Studio-Backup-Secret': secret };
    const server = createAgentServer({
      version: '0',
      secret,
      repository: `file://${tempDir('sched-repo')}`,
      home: tempDir('sched-home'),
      intervalMinutes: 30
    });
    const port = await listen(server, 0);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/status`, {
        headers
      });
      const status = StatusResponse.parse(await response.json());
      const next = Date.parse(status.nextBackup ?? '') - Date.now();
      expect(next).toBeGreaterThan(29 * 60_000);
      expect(next).toBeLessThan(34 * 60_000);

      // PUT answers the settings in force, the LCC's interval among them, not only what it changed.
      const settings = (body: unknown) =>
        fetch(`http://127.0.0.1:${port}/api/v1/settings`, {
          method: 'PUT',
          headers,
          body: JSON.stringify(body)
        }).then(reply => reply.json());
      expect(await settings({ exclude: ['*.log'] })).toEqual({
        intervalMinutes: 30,
        includeHidden: [],
        exclude: ['*.log']
      });
      // The user's own interval, from the panel's settings, replaces the LCC's and is kept.
      expect(await settings({ intervalMinutes: 120 })).toEqual({
        intervalMinutes: 120,
        includeHidden: [],
        exclude: ['*.log']
      });
      const after = StatusResponse.parse(
        await (
          await fetch(`http://127.0.0.1:${port}/api/v1/status`, { headers })
        ).json()
      );
      expect(Date.parse(after.nextBackup ?? '') - Date.now()).toBeGreaterThan(
        119 * 60_000
      );
      const tooShort = await fetch(`http://127.0.0.1:${port}/api/v1/settings`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ intervalMinutes: 1 })
      });
      expect(tooShort.status).toBe(400);
    } finally {
      await new Promise(resolve => server.close(resolve));
      cleanupTempDirs();
    }
  });
});

describe('an agent started with interval 0 and a first backup', () => {
  afterAll(() => cleanupTempDirs());

  it('backs up once at start and plans no other backup', async () => {
    const home = tempDir('home');
    write(home, 'notes.txt', 'hello\n');
    const lines: string[] = [];
    const secret = newAgentSecret();
    const server = createAgentServer({
      version: 'test',
      repository: tempDir('repo'),
      secret,
      home,
      cacheDir: tempDir('cache'),
      stateDir: tempDir('state'),
      intervalMinutes: 0,
      firstBackupDelayMs: 0,
      log: line => lines.push(line)
    });
    try {
      const port = await listen(server, 0);
      const status = async (): Promise<StatusResponse> =>
        (
          await fetch(`http://127.0.0.1:${port}/api/v1/status`, {
            headers: { 'X-Studio-Backup-Secret': secret }
          })
        ).json() as Promise<StatusResponse>;
      let last: StatusResponse['lastBackup'] = null;
      for (let i = 0; i < 400 && !last; i++) {
        await new Promise(resolve => setTimeout(resolve, 50));
        last = (await status()).lastBackup;
      }
      expect(last?.state).toBe('succeeded');
      expect((await status()).nextBackup).toBeNull();
      expect(lines).toEqual([expect.stringMatching(/status ok$/)]);
    } finally {
      server.close();
    }
  });
});
