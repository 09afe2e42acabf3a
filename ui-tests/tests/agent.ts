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
      mkdtempSync(join(tmpdir(), 'studio-backup-ui-cache-'))
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
