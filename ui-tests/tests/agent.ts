/** Starts and stops a real `studio-backup agent` process for the UI tests. */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(__dirname, '..', '..', 'lcc', 'bin', 'studio-backup.js');

/** The free port playwright.config.js chose, which the panel's mocked agentPort setting names. */
export const AGENT_PORT = Number(process.env.STUDIO_BACKUP_UI_AGENT_PORT);

export interface IRunningAgent {
  process: ChildProcess;
  home: string;
  repository: string;
  stop(): Promise<void>;
}

export interface IAgentOptions {
  /** An existing repository (file://); a new empty one by default. */
  repoDir?: string;
  /** Write the small sample home (a notebook and a README). */
  seed?: boolean;
  /** More options of `studio-backup agent` (e.g. `--interval 720`). */
  args?: string[];
}

export async function startAgent(
  port: number,
  options: IAgentOptions = {}
): Promise<IRunningAgent> {
  const repoDir =
    options.repoDir ?? mkdtempSync(join(tmpdir(), 'studio-backup-ui-repo-'));
  // The Jupyter server's root (see playwright.config.js), so the file browser shows this home.
  const home =
    process.env.STUDIO_BACKUP_UI_HOME ??
    mkdtempSync(join(tmpdir(), 'studio-backup-ui-home-'));
  if (options.seed ?? true) {
    mkdirSync(join(home, 'notebooks'), { recursive: true });
    writeFileSync(
      join(home, 'notebooks', 'analysis.ipynb'),
      '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    );
    writeFileSync(join(home, 'README.md'), '# My project\n');
  }
  const child = spawn(
    process.execPath,
    [
      BIN,
      'agent',
      '--port',
      String(port),
      '--repo',
      repoDir,
      '--home',
      home,
      '--cache-dir',
      mkdtempSync(join(tmpdir(), 'studio-backup-ui-cache-')),
      ...(options.args ?? [])
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe']
    }
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) {
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', code =>
      reject(new Error(`agent exited with ${code}: ${output}`))
    );
  });
  return {
    process: child,
    home,
    repository: `file://${repoDir}`,
    stop: () =>
      new Promise<void>(resolve => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      })
  };
}

export interface ICliBackupOptions {
  /** The CLI's cache folder; a new one by default. */
  cacheDir?: string;
  /** Node options before the CLI's script (a module to preload). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Backs up the agent's home with the CLI into its repository; the new snapshot's id. */
export function cliBackup(
  agent: IRunningAgent,
  options: ICliBackupOptions = {}
): string {
  const run = spawnSync(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      BIN,
      'backup',
      '--json',
      '--repo',
      agent.repository,
      '--source',
      agent.home,
      '--cache-dir',
      options.cacheDir ?? mkdtempSync(join(tmpdir(), 'studio-backup-ui-cache-'))
    ],
    { encoding: 'utf8', env: options.env ?? process.env }
  );
  if (run.status !== 0) {
    throw new Error(
      `studio-backup backup exited with ${run.status}: ${run.stderr}`
    );
  }
  return run.stdout
    .trim()
    .split('\n')
    .map(line => JSON.parse(line))
    .find(event => event.type === 'summary').snapshot;
}

// Loaded before the CLI: its clock starts at STUDIO_BACKUP_FAKE_NOW, so a snapshot gets that time.
const FAKE_CLOCK = `
const RealDate = Date;
const offset = RealDate.parse(process.env.STUDIO_BACKUP_FAKE_NOW) - RealDate.now();
class FakeDate extends RealDate {
  constructor(...args) { super(...(args.length ? args : [RealDate.now() + offset])); }
  static now() { return RealDate.now() + offset; }
}
globalThis.Date = FakeDate;
`;
let fakeClock: string | undefined;

/** cliBackup's options for a backup as if it were `time` (the snapshot gets that time). */
export function asOf(
  time: Date,
  options: ICliBackupOptions = {}
): ICliBackupOptions {
  if (!fakeClock) {
    fakeClock = join(
      mkdtempSync(join(tmpdir(), 'studio-backup-ui-clock-')),
      'fake-clock.js'
    );
    writeFileSync(fakeClock, FAKE_CLOCK);
  }
  return {
    ...options,
    nodeArgs: ['--require', fakeClock, ...(options.nodeArgs ?? [])],
    env: {
      ...(options.env ?? process.env),
      STUDIO_BACKUP_FAKE_NOW: time.toISOString()
    }
  };
}
