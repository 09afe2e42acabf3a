/**
 * Start-up loads only what the command needs: the AWS SDK clients cost about a second to require,
 * so `--version` and a backup to a local folder must not load them (the built bin, as a user runs it).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupTempDirs, tempDir } from './helpers/fixtures';

const MAIN = join(__dirname, '..', 'lib', 'cli', 'main.js');

/** Runs the CLI in a child and returns the AWS SDK packages it loaded. */
function sdkPackagesLoaded(args: string[]): string[] {
  const script = `
    require(${JSON.stringify(MAIN)}).main(['node', 'studio-backup', ...${JSON.stringify(args)}]).then(code => {
      const sdk = Object.keys(require.cache)
        .map(k => /node_modules\\/(@aws-sdk\\/[^/]+)/.exec(k)?.[1])
        .filter(Boolean);
      process.stderr.write('SDK=' + JSON.stringify([...new Set(sdk)]) + '\\n');
      process.exitCode = code;
    });`;
  const result = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { ...process.env, STUDIO_BACKUP_CACHE_DIR: tempDir('startup-') }
  });
  expect([0, 3]).toContain(result.status);
  return JSON.parse(/SDK=(.*)/.exec(result.stderr)?.[1] ?? 'null');
}

afterEach(cleanupTempDirs);

describe('CLI start-up', () => {
  it('prints its version without loading any AWS SDK client', () => {
    expect(sdkPackagesLoaded(['--version'])).toEqual([]);
  });

  it('backs up to a local folder without loading any AWS SDK client', () => {
    const source = tempDir('startup-');
    writeFileSync(join(source, 'a.txt'), 'hello');
    const repo = join(tempDir('startup-'), 'repo');
    expect(
      sdkPackagesLoaded(['backup', '--source', source, '--repo', repo])
    ).toEqual([]);
  });
});
