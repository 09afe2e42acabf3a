/**
 * The data-moving commands start again as themselves with glibc's allocator tuned (src/cli/allocator.ts):
 * same pid, the variables set, the arguments unchanged; the quick commands and a second start do not.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ALLOCATOR_ENV,
  allocatorEnvFor,
  repoOf,
  wantsAllocatorTuning
} from '../src/cli/allocator';
import { cleanupTempDirs, tempDir } from './helpers/fixtures';

const BIN = join(__dirname, '..', 'bin', 'studio-backup.js');
/** Installed by scripts/setup.sh; process.execve needs Node.js 22.15 or newer (no silent skip). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const NODE22: string = require('../../scripts/node22-path');

afterEach(cleanupTempDirs);

/** Runs the bin with a preload that reports, in each process image it runs in, its pid, allocator variables and arguments. */
function starts(args: string[], extraEnv: NodeJS.ProcessEnv = {}): string[] {
  const preload = join(tempDir('allocator-'), 'report.js');
  writeFileSync(
    preload,
    `process.stderr.write('START ' + JSON.stringify([process.pid, process.env.MALLOC_ARENA_MAX ?? null, process.env.MALLOC_MMAP_THRESHOLD_ ?? null, process.argv.slice(2), process.execArgv.filter(a => /^--(max-semi|heap-growing)/.test(a))]) + '\\n');`
  );
  const env = { ...process.env };
  delete env.MALLOC_ARENA_MAX;
  delete env.MALLOC_MMAP_THRESHOLD_;
  Object.assign(env, extraEnv);
  const r = spawnSync(NODE22, ['--require', preload, BIN, ...args], {
    encoding: 'utf8',
    env
  });
  return r.stderr
    .split('\n')
    .filter(line => line.startsWith('START '))
    .map(line => line.slice(6));
}

describe('allocator tuning', () => {
  it('a backup starts again once, in the same process, with the variables and its arguments', () => {
    const lines = starts(['backup', '--help']);
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map(l => JSON.parse(l));
    expect(first[1]).toBeNull();
    expect(second[0]).toBe(first[0]);
    expect(second.slice(1)).toEqual([
      ALLOCATOR_ENV.MALLOC_ARENA_MAX,
      ALLOCATOR_ENV.MALLOC_MMAP_THRESHOLD_,
      ['backup', '--help'],
      ['--max-semi-space-size=4', '--heap-growing-percent=100']
    ]);
  });

  it('a restore starts again with the lower threshold and the small young generation of its own', () => {
    const [, second] = starts(['restore', '--help']).map(l => JSON.parse(l));
    expect(second.slice(1, 3)).toEqual([
      ALLOCATOR_ENV.MALLOC_ARENA_MAX,
      allocatorEnvFor('restore').MALLOC_MMAP_THRESHOLD_
    ]);
    expect(allocatorEnvFor('restore').MALLOC_MMAP_THRESHOLD_).toBe('32768');
    // And a small young generation and a slow-growing old one (V8's flags, before the script's
    // arguments).
    expect(second[4]).toEqual([
      '--max-semi-space-size=1',
      '--heap-growing-percent=30'
    ]);
    expect(second[3]).toEqual(['restore', '--help']);
  });

  it('a restore from S3 keeps its 64 KiB socket buffers out of mmap; a local one does not', () => {
    const threshold = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      JSON.parse(starts(args, env)[1])[2];
    expect(threshold(['restore', '--repo', 's3://b/p', '--help'])).toBe(
      '98304'
    );
    expect(threshold(['restore', '--repo=s3://b/p', '--help'])).toBe('98304');
    expect(
      threshold(['restore', '--help'], { STUDIO_BACKUP_REPO: 's3://b/p' })
    ).toBe('98304');
    expect(threshold(['restore', '--repo', '/tmp/repo', '--help'])).toBe(
      '32768'
    );
    // --repo names the repository, whatever the environment says.
    expect(
      threshold(['restore', '--repo', '/tmp/repo', '--help'], {
        STUDIO_BACKUP_REPO: 's3://b/p'
      })
    ).toBe('32768');
    expect(allocatorEnvFor('backup', 's3://b/p')).toEqual(ALLOCATOR_ENV);
  });

  it('takes the repository as commander does: the last --repo, else STUDIO_BACKUP_REPO', () => {
    const env = { STUDIO_BACKUP_REPO: 's3://env/p' };
    const argv = (...a: string[]) => ['node', 'bin', 'restore', ...a];
    expect(repoOf(argv('--repo', '/a', '--repo', 's3://b/p'), env)).toBe(
      's3://b/p'
    );
    expect(repoOf(argv('--repo=s3://b/p', '--repo', '/a'), env)).toBe('/a');
    expect(repoOf(argv('--repo'), env)).toBe('s3://env/p');
    expect(repoOf(argv(), {})).toBeUndefined();
  });

  it('--version and a listing start once; so does a run where the variables are already set', () => {
    expect(starts(['--version'])).toHaveLength(1);
    expect(starts(['snapshots', '--help'])).toHaveLength(1);
    expect(
      starts(['restore', '--help'], { MALLOC_ARENA_MAX: '4' })
    ).toHaveLength(1);
    expect(
      starts(['restore', '--help'], { STUDIO_BACKUP_KEEP_ALLOCATOR: '1' })
    ).toHaveLength(1);
  });

  it('applies only on Linux, only to the commands that move data', () => {
    const argv = (...words: string[]) => ['node', 'studio-backup', ...words];
    for (const command of ['backup', 'restore', 'prune', 'check', 'agent']) {
      expect(wantsAllocatorTuning(argv(command), {}, 'linux')).toBe(true);
    }
    expect(wantsAllocatorTuning(argv('--debug', 'restore'), {}, 'linux')).toBe(
      true
    );
    expect(wantsAllocatorTuning(argv('restore'), {}, 'darwin')).toBe(false);
    for (const command of ['snapshots', 'ls', 'diff', 'install-lcc']) {
      expect(wantsAllocatorTuning(argv(command), {}, 'linux')).toBe(false);
    }
    expect(wantsAllocatorTuning(argv(), {}, 'linux')).toBe(false);
  });
});
