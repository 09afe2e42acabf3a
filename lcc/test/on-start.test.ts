/**
 * lcc/on-start.sh run for real in a simulated Studio container: a temporary home, a fake metadata
 * file, moto for S3 and the SageMaker stand-in (for the calls moto lacks), the agent bundle staged
 * in the bucket's artifacts/ prefix, as install-lcc would leave it.
 */
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  readdirSync,
  readFileSync,
  statSync
} from 'node:fs';
import { join } from 'node:path';
import { cleanupTempDirs, tempDir, write } from './helpers/fixtures';
import {
  endGroups,
  groupMembers,
  runInGroup,
  startedProcesses
} from './helpers/processes';
import { freePort, IS3Server, s3Env, startS3, VENV_BIN } from './helpers/s3';
import {
  ISageMakerState,
  newState,
  startSageMaker
} from './helpers/sagemaker-standin';

jest.setTimeout(120_000);

const SCRIPT = join(__dirname, '..', 'on-start.sh');
const BUNDLE = join(__dirname, '..', 'dist', 'studio-backup.js');
const PROFILE_ARN =
  'arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-test/alice';
const SPACE_ARN =
  'arn:aws:sagemaker:us-east-1:123456789012:space/d-test/alice-space';
const TS = '2024-03-01-12-00-00';

let s3: IS3Server;
let sm: { endpoint: string; stop(): Promise<void> };
let state: ISageMakerState;
let env: NodeJS.ProcessEnv;
let home: string;
let install: string;
let logFile: string;
let port: number;

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  seconds = 60
): Promise<T> {
  for (let i = 0; i < seconds * 4; i++) {
    const value = await probe();
    if (value) {
      return value;
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  throw new Error(
    `timed out waiting for ${what}; log:\n${existsSync(logFile) ? readFileSync(logFile, 'utf8') : '(none)'}`
  );
}

/**
 * Runs on-start.sh in a process group of its own: the supervisor and the agent it leaves in the
 * background stay in that group, which afterAll ends (their install folder is only in their
 * environment, so nothing could find them by name).
 */
const runScript = (extraEnv: NodeJS.ProcessEnv = {}) =>
  runInGroup('bash', [SCRIPT], { env: { ...env, ...extraEnv } });

/** The agents started by the runs of this file (in every install folder). */
const agents = (installDir: string) =>
  startedProcesses().filter(p =>
    p.args.includes(`${installDir}/studio-backup.js studio-start`)
  );

const supervisorPid = (installDir: string) =>
  Number(readFileSync(join(installDir, 'supervisor.pid'), 'utf8'));

beforeAll(async () => {
  s3 = await startS3();
  state = newState();
  sm = await startSageMaker(state);
  await s3.createBucket('team-backups');
  state.spaces['alice-space'] = {
    domainId: 'd-test',
    owner: 'alice',
    arn: SPACE_ARN
  };
  state.profiles.alice = { domainId: 'd-test', arn: PROFILE_ARN };
  state.tags[PROFILE_ARN] = { SM_EBS_RESTORE_TIMESTAMP: TS };

  // What install-lcc stages, and a snapshot the reference LCC wrote earlier.
  await s3.client.send(
    new PutObjectCommand({
      Bucket: 'team-backups',
      Key: 'artifacts/studio-backup.js',
      Body: readFileSync(BUNDLE)
    })
  );
  for (const [key, body] of [
    [
      `studio/alice/alice-space/${TS}/notes/old-notes.txt`,
      'from the reference backup\n'
    ],
    [`studio/alice/alice-space/${TS}/${TS}_BACKUP_COMPLETE`, '']
  ]) {
    await s3.client.send(
      new PutObjectCommand({
        Bucket: 'team-backups',
        Key: key,
        Body: Buffer.from(body)
      })
    );
  }

  home = tempDir('studio-home');
  write(home, 'work/analysis.ipynb', '{"cells": []}');
  install = tempDir('studio-install');
  const meta = write(
    tempDir('meta'),
    'resource-metadata.json',
    JSON.stringify({
      DomainId: 'd-test',
      SpaceName: 'alice-space',
      AppType: 'CodeEditor'
    })
  );
  logFile = join(tempDir('logs'), 'app_container.log');
  port = await freePort();
  env = {
    ...process.env,
    ...s3Env(s3.endpoint),
    AWS_ENDPOINT_URL_SAGEMAKER: sm.endpoint,
    PATH: `${VENV_BIN}:${process.env.PATH}`,
    STUDIO_BACKUP_BUCKET: 'team-backups',
    STUDIO_BACKUP_PREFIX: 'studio',
    STUDIO_BACKUP_INTERVAL: '60',
    STUDIO_BACKUP_FIRST_BACKUP: '1',
    STUDIO_BACKUP_PORT: String(port),
    STUDIO_BACKUP_LOG: logFile,
    STUDIO_BACKUP_INSTALL_DIR: install,
    STUDIO_BACKUP_METADATA: meta,
    STUDIO_BACKUP_HOME: home
  };
});

afterAll(async () => {
  await endGroups();
  await sm?.stop();
  await s3?.stop();
  cleanupTempDirs();
});

describe('on-start.sh in a simulated Studio space', () => {
  it('stays within the lifecycle configuration limits', () => {
    expect(statSync(SCRIPT).size).toBeLessThanOrEqual(16 * 1024);
    execFileSync('bash', ['-n', SCRIPT]);
  });

  it('returns at once, then the agent starts, restores the reference-tagged snapshot and backs up', async () => {
    const result = await runScript();
    expect(result.status).toBe(0);
    // It returned with the supervisor still running in the background: the app start is not held up.
    expect(groupMembers(result.pgid).map(p => p.pid)).toContain(
      supervisorPid(install)
    );

    // The agent answers only with its per-start secret, which it writes for the Jupyter server.
    const health = await until('the agent', async () => {
      try {
        const { secret } = JSON.parse(
          readFileSync(
            join(home, '.studio-backup', `agent-${port}.json`),
            'utf8'
          )
        );
        return await (
          await fetch(`http://127.0.0.1:${port}/api/v1/health`, {
            headers: { 'X-Studio-Backup-Secret': secret }
          })
        ).json();
      } catch {
        return undefined;
      }
    });
    expect(health).toMatchObject({
      status: 'ok',
      repository: 's3://team-backups/studio/alice/alice-space'
    });

    // The reference's restore: into restored-files/<ts>/ with its marker. The tag is for every
    // space of the profile, so it stays; this space records that it applied it.
    const restored = join(home, 'restored-files', TS, 'notes', 'old-notes.txt');
    expect(readFileSync(restored, 'utf8')).toBe('from the reference backup\n');
    expect(existsSync(join(home, '.restore', `${TS}_SYNC_COMPLETE`))).toBe(
      true
    );
    expect(state.tags[PROFILE_ARN]).toEqual({ SM_EBS_RESTORE_TIMESTAMP: TS });
    expect(state.tags[SPACE_ARN]).toEqual({
      'studio-backup:last-restore': expect.stringMatching(
        new RegExp(`^ok ${TS} attempt 1 `)
      ),
      'studio-backup:applied:SM_EBS_RESTORE_TIMESTAMP': TS
    });

    const snapshots = await until('a snapshot in the bucket', async () => {
      const out = await s3.client.send(
        new ListObjectsV2Command({
          Bucket: 'team-backups',
          Prefix: 'studio/alice/alice-space/snapshots/'
        })
      );
      return out.KeyCount ? out.Contents : undefined;
    });
    expect(snapshots).toHaveLength(1);
    const log = await until('the backup log line', () => {
      const text = readFileSync(logFile, 'utf8');
      return /backup \w+: snapshot [0-9a-f]{8}, 1 files, \d+ bytes new, [\d.]+ s, status ok/.test(
        text
      )
        ? text
        : undefined;
    });
    expect(log).toContain(
      'restore at start (reference-tag) of 2024-03-01-12-00-00: ok'
    );
  });

  it('starts no second agent when run again, and a restart of the app does not restore again', async () => {
    const again = await runScript();
    expect(again.status).toBe(0);
    expect(readFileSync(logFile, 'utf8')).toMatch(
      /the agent is already running \(supervisor \d+\): nothing to do/
    );
    expect(groupMembers(again.pgid)).toEqual([]);
    expect(agents(install)).toHaveLength(1);
  });

  it('backs up once more when the app stops, and the supervisor brings the agent back', async () => {
    const [agent] = agents(install);
    expect(agent.ppid).toBe(supervisorPid(install));
    process.kill(agent.pid, 'SIGTERM');
    await until('the backup before stop', () =>
      /backup before stop: succeeded/.test(readFileSync(logFile, 'utf8'))
    );
    const out = await s3.client.send(
      new ListObjectsV2Command({
        Bucket: 'team-backups',
        Prefix: 'studio/alice/alice-space/snapshots/'
      })
    );
    expect(out.KeyCount).toBe(2);
    await until('the agent restarted', () =>
      /the agent stopped \(exit 0\); restarting in 5s/.test(
        readFileSync(logFile, 'utf8')
      )
    );
  });

  it('installs the panel into the Jupyter environment of a JupyterLab space', async () => {
    // A real wheel of this repository (its prebuilt extension), staged as install-lcc does, and an
    // empty Python environment standing in for /opt/conda.
    const wheels = tempDir('wheels');
    execFileSync(join(VENV_BIN, 'pip'), [
      'wheel',
      '--quiet',
      '--no-deps',
      '--no-build-isolation',
      '-w',
      wheels,
      join(__dirname, '..', '..')
    ]);
    const wheel = readdirSync(wheels).find(name => name.endsWith('.whl'))!;
    await s3.client.send(
      new PutObjectCommand({
        Bucket: 'team-backups',
        Key: `artifacts/${wheel}`,
        Body: readFileSync(join(wheels, wheel))
      })
    );
    const conda = tempDir('conda');
    execFileSync('python3', ['-m', 'venv', conda]);
    const jupyterMeta = write(
      tempDir('meta-jl'),
      'resource-metadata.json',
      JSON.stringify({
        DomainId: 'd-test',
        SpaceName: 'alice-space',
        AppType: 'JupyterLab'
      })
    );
    // SageMaker Distribution's restart-jupyter-server, standing in: it records that it ran.
    const bin = tempDir('sagemaker-bin');
    const restarted = join(bin, 'restarted');
    write(
      bin,
      'restart-jupyter-server',
      `#!/bin/sh\necho "restarting jupyterlabserver" && touch "${restarted}"\n`
    );
    chmodSync(join(bin, 'restart-jupyter-server'), 0o755);
    const result = await runScript({
      STUDIO_BACKUP_INSTALL_DIR: tempDir('jl-install'),
      STUDIO_BACKUP_METADATA: jupyterMeta,
      STUDIO_BACKUP_PIP: join(conda, 'bin', 'pip'),
      STUDIO_BACKUP_PORT: String(await freePort()),
      PATH: `${bin}:${env.PATH}`
    });
    expect(result.status).toBe(0);
    const installed = join(
      conda,
      'share',
      'jupyter',
      'labextensions',
      'sagemaker-studio-backup',
      'package.json'
    );
    await until('the panel installed', () => existsSync(installed));
    expect(JSON.parse(readFileSync(installed, 'utf8')).name).toBe(
      'sagemaker-studio-backup'
    );
    // The server extension the panel reaches the agent through, enabled for the server...
    expect(
      JSON.parse(
        readFileSync(
          join(
            conda,
            'etc',
            'jupyter',
            'jupyter_server_config.d',
            'sagemaker_studio_backup.json'
          ),
          'utf8'
        )
      )
    ).toEqual({
      ServerApp: { jpserver_extensions: { sagemaker_studio_backup: true } }
    });
    // ...which is restarted to load it.
    await until('the install log line', () =>
      readFileSync(logFile, 'utf8').includes(
        `installed the Backups panel (${wheel}); restarted the Jupyter server to load it: reload the JupyterLab page`
      )
    );
    expect(existsSync(restarted)).toBe(true);
  });

  it('says in one line why the panel is not installed when its artifacts cannot be listed', async () => {
    const installDir = tempDir('denied-install');
    // The agent is already there (baked into the image): only the panel's listing fails.
    write(installDir, 'studio-backup.js', readFileSync(BUNDLE, 'utf8'));
    const conda = tempDir('conda-denied');
    write(conda, 'bin/pip', '#!/bin/sh\nexit 0\n');
    chmodSync(join(conda, 'bin', 'pip'), 0o755);
    const jupyterMeta = write(
      tempDir('meta-denied'),
      'resource-metadata.json',
      JSON.stringify({
        DomainId: 'd-test',
        SpaceName: 'alice-space',
        AppType: 'JupyterLab'
      })
    );
    const result = await runScript({
      STUDIO_BACKUP_INSTALL_DIR: installDir,
      STUDIO_BACKUP_METADATA: jupyterMeta,
      STUDIO_BACKUP_PIP: join(conda, 'bin', 'pip'),
      STUDIO_BACKUP_ARTIFACTS: 's3://no-such-bucket/artifacts',
      STUDIO_BACKUP_PORT: String(await freePort())
    });
    expect(result.status).toBe(0);
    const log = await until('the failure lines', () => {
      const text = readFileSync(logFile, 'utf8');
      return text.includes(
        'the Backups panel is not installed (backups still run)'
      )
        ? text
        : undefined;
    });
    expect(log).toMatch(
      /FAILED: aws s3 ls s3:\/\/no-such-bucket\/artifacts\/: .*NoSuchBucket/
    );
    expect(log).toContain(
      'FAILED: cannot list s3://no-such-bucket/artifacts/: the Backups panel is not installed (backups still run)'
    );
  });

  it('exits cleanly without a bucket, not breaking the app start', async () => {
    const result = await runScript({
      STUDIO_BACKUP_BUCKET: '',
      STUDIO_BACKUP_INSTALL_DIR: tempDir('other-install')
    });
    expect(result.status).toBe(0);
    expect(groupMembers(result.pgid)).toEqual([]);
    expect(readFileSync(logFile, 'utf8')).toContain(
      'no backup bucket configured'
    );
  });
});
