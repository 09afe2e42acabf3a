/** install-lcc against moto (S3) and the SageMaker stand-in: dry run changes nothing; a real run stages, creates, attaches. */
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { IS3Server, s3Env, startS3 } from './helpers/s3';
import {
  ISageMakerState,
  newState,
  startSageMaker
} from './helpers/sagemaker-standin';
import { cleanupTempDirs, tempDir, write } from './helpers/fixtures';

jest.setTimeout(60_000);

const BIN = join(__dirname, '..', 'bin', 'studio-backup.js');
const OTHER_LCC =
  'arn:aws:sagemaker:us-east-1:123456789012:studio-lifecycle-config/team-setup';

let s3: IS3Server;
let sm: { endpoint: string; stop(): Promise<void> };
let state: ISageMakerState;

/** Runs the CLI asynchronously: the SageMaker stand-in answers from this very process. */
function run(
  args: string[]
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {
        ...process.env,
        ...s3Env(s3.endpoint),
        AWS_ENDPOINT_URL_SAGEMAKER: sm.endpoint
      }
    });
    let out = '';
    let err = '';
    child.stdout.on('data', d => (out += d));
    child.stderr.on('data', d => (err += d));
    child.on('close', code => resolve({ code, out, err }));
  });
}

const install = (...args: string[]) =>
  run([
    'install-lcc',
    '--bucket',
    'admin-backups',
    '--domain',
    'd-admin',
    '--prefix',
    'studio',
    ...args
  ]);

async function artifactKeys(): Promise<string[]> {
  const out = await s3.client.send(
    new ListObjectsV2Command({ Bucket: 'admin-backups', Prefix: 'artifacts/' })
  );
  return (out.Contents ?? []).map(o => o.Key ?? '').sort();
}

beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket('admin-backups');
  state = newState();
  sm = await startSageMaker(state);
  state.domains['d-admin'] = {
    defaultUserSettings: {
      JupyterLabAppSettings: { LifecycleConfigArns: [OTHER_LCC] }
    }
  };
});

afterAll(async () => {
  await sm?.stop();
  await s3?.stop();
  cleanupTempDirs();
});

describe('studio-backup install-lcc', () => {
  it('changes nothing with --dry-run, and says what it would do', async () => {
    const result = await install('--dry-run', '--json');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.out);
    expect(out.steps).toEqual([
      expect.stringMatching(
        /^would upload .*studio-backup\.js to s3:\/\/admin-backups\/artifacts\/studio-backup\.js$/
      ),
      expect.stringMatching(
        /^would create lifecycle configuration studio-backup-jupyterlab-[0-9a-f]{8} \(JupyterLab, \d+ bytes\)$/
      ),
      expect.stringMatching(
        /^would create lifecycle configuration studio-backup-codeeditor-[0-9a-f]{8} \(CodeEditor, \d+ bytes\)$/
      ),
      'would attach the JupyterLab one to domain d-admin (1 other configuration(s) kept)',
      'would attach the CodeEditor one to domain d-admin (0 other configuration(s) kept)'
    ]);
    expect(await artifactKeys()).toEqual([]);
    expect(state.calls.filter(c => c !== 'DescribeDomain')).toEqual([]);
  });

  it('stages the agent and the wheel, creates both configurations and attaches them, keeping the existing one', async () => {
    const wheel = write(
      tempDir('wheel'),
      'sagemaker_studio_backup-0.1.0-py3-none-any.whl',
      'wheel bytes'
    );
    const result = await install(
      '--wheel',
      wheel,
      '--default',
      '--interval',
      '120'
    );
    expect(result.code).toBe(0);
    expect(await artifactKeys()).toEqual([
      'artifacts/sagemaker_studio_backup-0.1.0-py3-none-any.whl',
      'artifacts/studio-backup.js'
    ]);

    const configs = Object.entries(state.lifecycleConfigs);
    expect(configs.map(([, c]) => c.type).sort()).toEqual([
      'CodeEditor',
      'JupyterLab'
    ]);
    const script = Buffer.from(configs[0][1].content, 'base64').toString(
      'utf8'
    );
    expect(script).toContain('BUCKET="${STUDIO_BACKUP_BUCKET:-admin-backups}"');
    expect(script).toContain('PREFIX="${STUDIO_BACKUP_PREFIX:-studio}"');
    expect(script).toContain(
      'INTERVAL_MINUTES="${STUDIO_BACKUP_INTERVAL:-120}"'
    );
    expect(Buffer.byteLength(script)).toBeLessThanOrEqual(16384);

    const jl =
      state.domains['d-admin'].defaultUserSettings.JupyterLabAppSettings;
    const ours =
      state.lifecycleConfigs[
        Object.keys(state.lifecycleConfigs).find(n => n.includes('jupyterlab'))!
      ].arn;
    expect(jl.LifecycleConfigArns).toEqual([OTHER_LCC, ours]);
    expect(jl.DefaultResourceSpec.LifecycleConfigArn).toBe(ours);
    expect(
      state.domains['d-admin'].defaultUserSettings.CodeEditorAppSettings
        .LifecycleConfigArns
    ).toHaveLength(1);

    const staged = await s3.client.send(
      new HeadObjectCommand({
        Bucket: 'admin-backups',
        Key: 'artifacts/studio-backup.js'
      })
    );
    expect(Number(staged.ContentLength)).toBeGreaterThan(100_000);
  });

  it('is idempotent: a second run reuses the configurations and attaches them once', async () => {
    const before = Object.keys(state.lifecycleConfigs).length;
    const result = await install('--interval', '120');
    expect(result.code).toBe(0);
    expect(result.out).toContain('already exists: reusing it');
    expect(Object.keys(state.lifecycleConfigs)).toHaveLength(before);
    expect(
      state.domains['d-admin'].defaultUserSettings.JupyterLabAppSettings
        .LifecycleConfigArns
    ).toHaveLength(2);
  });

  it('attaches to given user profiles instead of the domain, keeping theirs', async () => {
    state.profiles.bob = {
      domainId: 'd-admin',
      arn: 'arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-admin/bob',
      userSettings: {
        CodeEditorAppSettings: { LifecycleConfigArns: [OTHER_LCC] }
      }
    };
    const domainBefore = JSON.stringify(state.domains['d-admin']);
    const result = await install('--interval', '120', '--profile', 'bob');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.stringify(state.domains['d-admin'])).toBe(domainBefore);
    const bob = state.profiles.bob.userSettings!;
    expect(bob.CodeEditorAppSettings.LifecycleConfigArns).toEqual([
      OTHER_LCC,
      expect.stringMatching(/studio-backup-codeeditor-/)
    ]);
    expect(bob.JupyterLabAppSettings.LifecycleConfigArns).toEqual([
      expect.stringMatching(/studio-backup-jupyterlab-/)
    ]);
  });

  it('fails in one line for a domain that does not exist', async () => {
    const result = await run([
      'install-lcc',
      '--bucket',
      'admin-backups',
      '--domain',
      'd-nope'
    ]);
    expect(result.code).toBe(1);
    expect(result.err.trim().split('\n')).toEqual([
      'studio-backup: Domain d-nope does not exist'
    ]);
  });
});
