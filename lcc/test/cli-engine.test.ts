/** The studio-backup commands as a user runs them: the built bin, --json output, exit codes, one-line errors. */
import { spawnSync } from 'node:child_process';
import { createServer, Server } from 'node:net';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupTempDirs, makeHome, tempDir, write } from './helpers/fixtures';

const BIN = join(__dirname, '..', 'bin', 'studio-backup.js');

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      STUDIO_BACKUP_REPO: '',
      STUDIO_BACKUP_CACHE_DIR: cacheDir
    }
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

function jsonLines(text: string): any[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map(line => JSON.parse(line));
}

let cacheDir = '';
beforeEach(() => {
  cacheDir = tempDir('cache');
});
afterEach(cleanupTempDirs);

describe('studio-backup commands', () => {
  it('backs up, lists, browses, compares, finds, restores, forgets, prunes and checks', () => {
    const home = tempDir('home');
    makeHome(home);
    const repo = tempDir('repo');

    const first = run(
      'backup',
      '--repo',
      repo,
      '--source',
      home,
      '--json',
      '--tag',
      'first'
    );
    expect(first.code).toBe(0);
    const lines = jsonLines(first.out);
    expect(lines.some(l => l.type === 'progress' && l.phase === 'backup')).toBe(
      true
    );
    const summary = lines[lines.length - 1];
    expect(summary).toMatchObject({
      type: 'summary',
      tags: ['first'],
      totals: { files: 8, filesNew: 8 }
    });

    writeFileSync(join(home, 'analysis.ipynb'), '{"cells": []}');
    rmSync(join(home, 'empty.txt'));
    write(home, 'new.txt', 'new');
    const second = jsonLines(
      run('backup', '--repo', repo, '--source', home, '--json').out
    ).pop();
    expect(second.totals).toMatchObject({
      filesChanged: 1,
      filesNew: 1,
      filesUnchanged: 6
    });

    const snapshots = JSON.parse(
      run('snapshots', '--repo', repo, '--json').out
    );
    expect(snapshots.map((s: any) => s.id)).toEqual([
      second.snapshot,
      summary.snapshot
    ]);

    const ls = JSON.parse(
      run('ls', '--repo', repo, summary.snapshot.slice(0, 8), 'data', '--json')
        .out
    );
    expect(ls.map((e: any) => e.path)).toEqual([
      'data/customers.csv',
      'data/same-as-customers.csv'
    ]);

    const diff = JSON.parse(
      run('diff', '--repo', repo, summary.snapshot, second.snapshot, '--json')
        .out
    );
    expect(diff).toEqual({
      added: ['new.txt'],
      removed: ['empty.txt'],
      changed: ['analysis.ipynb']
    });
    write(home, 'after.txt', 'x');
    expect(
      JSON.parse(
        run('diff', '--repo', repo, 'latest', '--source', home, '--json').out
      )
    ).toEqual({ added: ['after.txt'], removed: [], changed: [] });

    const versions = JSON.parse(
      run('find', '--repo', repo, 'analysis.ipynb', '--json').out
    );
    expect(versions.map((v: any) => v.snapshot)).toEqual([
      second.snapshot,
      summary.snapshot
    ]);

    const target = tempDir('target');
    const dry = JSON.parse(
      run(
        'restore',
        '--repo',
        repo,
        summary.snapshot,
        'analysis.ipynb',
        '--target',
        target,
        '--dry-run',
        '--json'
      ).out
    );
    expect(dry.counts.restore).toBe(1);
    expect(
      run(
        'restore',
        '--repo',
        repo,
        summary.snapshot,
        'analysis.ipynb',
        '--target',
        target
      ).code
    ).toBe(0);
    expect(readFileSync(join(target, 'analysis.ipynb'), 'utf8')).toBe(
      JSON.stringify({ cells: [{ source: 'print(1)' }] })
    );

    const forget = JSON.parse(
      run('forget', '--repo', repo, '--keep-last', '1', '--json').out
    );
    expect(forget.remove.map((s: any) => s.id)).toEqual([summary.snapshot]);
    const prune = JSON.parse(
      run('prune', '--repo', repo, '--grace', '0', '--json').out
    );
    expect(prune.blobsRemoved).toBeGreaterThan(0);
    const check = run('check', '--repo', repo, '--read-data', '--json');
    expect(check.code).toBe(0);
    expect(JSON.parse(check.out).problems).toEqual([]);
    const stats = JSON.parse(run('stats', '--repo', repo, '--json').out);
    expect(stats.snapshots).toBe(1);
  });

  it('exits with 3 when files were skipped, and reports them', async () => {
    const home = tempDir('home');
    write(home, 'a.txt', 'a');
    const server: Server = createServer();
    await new Promise<void>(resolve =>
      server.listen(join(home, 'kernel.sock'), () => resolve())
    );
    try {
      const result = run('backup', '--repo', tempDir('repo'), '--source', home);
      expect(result.code).toBe(3);
      expect(result.err).toContain('warning: kernel.sock is a socket: skipped');
    } finally {
      server.close();
    }
  });

  it.each([
    [
      ['snapshots', '--repo', '/nonexistent/repo'],
      'studio-backup: No Studio Backup repository at file:///nonexistent/repo: run "studio-backup backup" to create one.'
    ],
    [
      ['snapshots', '--repo', 'gs://bucket'],
      'studio-backup: Unsupported repository scheme in gs://bucket: use s3://bucket/prefix or file:///dir.'
    ],
    [
      [
        'backup',
        '--source',
        '/nonexistent/home',
        '--repo',
        '/tmp/sb-cli-never'
      ],
      'studio-backup: The folder to back up, /nonexistent/home, does not exist: pass --source DIR.'
    ]
  ])('fails in one line for %j', (args, message) => {
    const result = run(...args);
    expect(result.code).toBe(1);
    expect(result.err.trim()).toBe(message);
    expect(existsSync('/tmp/sb-cli-never')).toBe(false);
  });

  it('refuses to forget without a rule', () => {
    const home = tempDir('home');
    write(home, 'a.txt', 'a');
    const repo = tempDir('repo');
    run('backup', '--repo', repo, '--source', home);
    const result = run('forget', '--repo', repo);
    expect(result.code).toBe(1);
    expect(result.err.trim()).toMatch(
      /^studio-backup: No retention rule given/
    );
  });
});
