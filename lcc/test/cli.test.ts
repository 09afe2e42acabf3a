/** Runs the built `studio-backup` bin as a user would (the test command builds lcc/ first). */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import { HealthResponse } from '../src/api/contract';
import { cleanupTempDirs, tempDir } from './helpers/fixtures';

const BIN = join(__dirname, '..', 'bin', 'studio-backup.js');

function startAgent(
  args: string[]
): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'agent', ...args], {
      env: { ...process.env, STUDIO_BACKUP_REPO: '' }
    });
    let out = '';
    child.stdout.on('data', chunk => {
      out += chunk;
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (match) {
        resolve({ child, port: Number(match[1]) });
      }
    });
    child.once('exit', code =>
      reject(new Error(`agent exited with ${code}: ${out}`))
    );
  });
}

afterEach(cleanupTempDirs);

describe('studio-backup CLI', () => {
  it('runs an agent that answers with its secret only, and stops cleanly on SIGTERM', async () => {
    const repo = tempDir('cli-repo');
    const home = tempDir('cli-home');
    const { child, port } = await startAgent([
      '--port',
      '0',
      '--repo',
      repo,
      '--home',
      home,
      '--cache-dir',
      tempDir('cli-cache')
    ]);
    const exited = new Promise(resolve => child.once('exit', resolve));
    // The per-start secret, for the Jupyter server extension: in the state dir, for the user only.
    const record = join(home, '.studio-backup', `agent-${port}.json`);
    try {
      expect(statSync(record).mode & 0o777).toBe(0o600);
      const { secret } = JSON.parse(readFileSync(record, 'utf8'));
      const url = `http://127.0.0.1:${port}/api/v1/health`;
      expect((await fetch(url)).status).toBe(403);
      const response = await fetch(url, {
        headers: { 'X-Studio-Backup-Secret': secret }
      });
      const health = HealthResponse.parse(await response.json());
      expect(health.repository).toBe(`file://${repo}`);
    } finally {
      // Stopped even when an expectation fails, so no agent outlives the test.
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(existsSync(record)).toBe(false);
  });

  it('refuses a missing repository with one line and exit code 1', () => {
    const result = spawnSync(process.execPath, [BIN, 'agent', '--port', '0'], {
      encoding: 'utf8',
      env: { ...process.env, STUDIO_BACKUP_REPO: '' }
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'studio-backup: No repository given: pass --repo s3://bucket/prefix or --repo file:///dir (or set STUDIO_BACKUP_REPO).'
    ]);
  });

  it('says in one line, without the raw errno, that a repository path running through a file leads to no repository', () => {
    const file = join(tempDir('not-a-folder'), 'notes.txt');
    writeFileSync(file, 'a file, not a folder\n');
    for (const repo of [file, join(file, 'repo')]) {
      const result = spawnSync(
        process.execPath,
        [BIN, 'snapshots', '--repo', repo],
        { encoding: 'utf8' }
      );
      expect(result.status).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^studio-backup: The repository's path does not lead to a folder of the repository .* check the repository location\.$/
      );
      expect(lines[0]).not.toMatch(/ENOTDIR|EISDIR/);
    }
  });

  it('says in one line, without the raw errno, that a backup cannot write where a folder of the repository is a file', () => {
    const home = tempDir('home');
    writeFileSync(join(home, 'notes.txt'), 'notes\n');
    const repo = tempDir('repo');
    const run = () =>
      spawnSync(
        process.execPath,
        [BIN, 'backup', '--source', home, '--repo', repo],
        {
          encoding: 'utf8',
          env: { ...process.env, STUDIO_BACKUP_CACHE_DIR: tempDir('cache') }
        }
      );
    expect(run().status).toBe(0);
    rmSync(join(repo, 'snapshots'), { recursive: true });
    writeFileSync(join(repo, 'snapshots'), 'not a folder\n');
    const result = run();
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^studio-backup: The repository's path does not lead to a folder of the repository .* while writing snapshots\/[0-9a-f]{64}: check the repository location\.$/
    );
    expect(lines[0]).not.toMatch(/ENOTDIR|EEXIST|lstat/);
  });

  it('refuses an invalid port', () => {
    const result = spawnSync(
      process.execPath,
      [BIN, 'agent', '--port', '70000', '--repo', '/tmp/x'],
      {
        encoding: 'utf8'
      }
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/expected a port number between 0 and 65535/);
  });
});
