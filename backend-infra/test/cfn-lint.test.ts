/** The synthesized template through cfn-lint (PyPI, in the project's .venv): no error may remain. */
import { App } from 'aws-cdk-lib';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StudioBackupStack } from '../lib/studio-backup-stack';

jest.setTimeout(180_000);

const CFN_LINT = join(__dirname, '..', '..', '.venv', 'bin', 'cfn-lint');

it('passes cfn-lint without errors', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'studio-backup-cdk-'));
  try {
    const app = new App({ outdir });
    new StudioBackupStack(app, 'StudioBackup', {
      env: { account: '123456789012', region: 'us-east-1' }
    });
    app.synth();
    const run = spawnSync(
      CFN_LINT,
      ['--format', 'parseable', join(outdir, 'StudioBackup.template.json')],
      { encoding: 'utf8' }
    );
    expect(run.error).toBeUndefined();
    // Exit status is a bit mask: 2 errors, 4 warnings, 8 informational.
    const errors = run.stdout.split('\n').filter(line => /:E\d+:/.test(line));
    expect({ errors, errorBit: run.status! & 2 }).toEqual({
      errors: [],
      errorBit: 0
    });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});
