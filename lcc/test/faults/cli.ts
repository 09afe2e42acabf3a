/** The built studio-backup CLI as a user runs it, for the fault campaign: exit code, stdout, stderr. */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const BIN = join(__dirname, '..', '..', 'bin', 'studio-backup.js');

export interface ICliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

function env(
  cacheDir: string,
  extra: NodeJS.ProcessEnv = {}
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    STUDIO_BACKUP_REPO: '',
    STUDIO_BACKUP_CACHE_DIR: cacheDir,
    ...extra
  };
}

/** Starts the CLI (not waiting for it), for tests that kill it midway. */
export function startCli(
  args: string[],
  cacheDir: string,
  extraEnv: NodeJS.ProcessEnv = {}
): { child: ChildProcess; done: Promise<ICliRun> } {
  if (!existsSync(join(__dirname, '..', '..', 'lib', 'cli', 'main.js'))) {
    throw new Error('lcc/lib is missing: run "npm run build" in lcc first.');
  }
  const child = spawn(process.execPath, [BIN, ...args], {
    env: env(cacheDir, extraEnv),
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', chunk => (out += chunk));
  child.stderr!.on('data', chunk => (err += chunk));
  const done = new Promise<ICliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, out, err }));
  });
  return { child, done };
}

/** Runs the CLI to its end without blocking the event loop (cases run side by side). */
export function runCli(args: string[], cacheDir: string): Promise<ICliRun> {
  return startCli(args, cacheDir).done;
}

/**
 * The engine's promise about what it prints on stderr: no stack trace, and every line is one
 * sentence that starts with "studio-backup:", "error:" or "warning:". Returns what breaks it.
 */
export function stderrViolations(label: string, err: string): string[] {
  const bad = err
    .split('\n')
    .filter(line => line.trim() !== '')
    .filter(line => !/^(studio-backup|error|warning): \S/.test(line));
  return bad.length === 0
    ? []
    : [
        `${label}: stderr has ${bad.length} line(s) that are not one-line errors: ${JSON.stringify(bad.slice(0, 3))}`
      ];
}

/** The JSON lines a --json command printed (progress lines and the summary). */
export function jsonLines(out: string): Array<Record<string, unknown>> {
  return out
    .split('\n')
    .filter(line => line.trim().startsWith('{'))
    .map(line => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
}

/**
 * Runs several commands through the CLI's own main(), exactly as bin/studio-backup.js calls it, one
 * after the other in one child process: a node start that loads the AWS SDK costs ~0.6 s of CPU, and
 * the corruption matrix runs ~200 commands. Each command's stdout and stderr are captured apart; an
 * uncaught exception or unhandled rejection (which would print a stack from the bin) is appended to
 * the stderr of the command that was running, so it fails the one-line rule just the same.
 */
const DRIVER = `
const { main } = require(process.argv[1]);
const batch = JSON.parse(process.argv[2]);
const realOut = process.stdout.write.bind(process.stdout);
let current = { out: '', err: '' };
const capture = field => (chunk, ...rest) => {
  current[field] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  const cb = rest.find(r => typeof r === 'function');
  if (cb) cb();
  return true;
};
process.stdout.write = capture('out');
process.stderr.write = capture('err');
process.on('uncaughtException', e => { current.err += 'UNCAUGHT ' + (e && e.stack) + '\\n'; });
process.on('unhandledRejection', e => { current.err += 'UNHANDLED REJECTION ' + (e && e.stack) + '\\n'; });
(async () => {
  const results = [];
  for (const args of batch) {
    current = { out: '', err: '' };
    let code;
    try {
      code = await main([process.execPath, 'studio-backup', ...args]);
    } catch (e) {
      current.err += 'THROWN ' + (e && e.stack) + '\\n';
      code = 1;
    }
    results.push({ code, signal: null, out: current.out, err: current.err });
  }
  realOut(JSON.stringify(results));
})();
`;

export async function runCliBatch(
  batch: string[][],
  cacheDir: string
): Promise<ICliRun[]> {
  const main = join(__dirname, '..', '..', 'lib', 'cli', 'main.js');
  if (!existsSync(main)) {
    throw new Error('lcc/lib is missing: run "npm run build" in lcc first.');
  }
  const child = spawn(
    process.execPath,
    ['-e', DRIVER, main, JSON.stringify(batch)],
    { env: env(cacheDir), stdio: ['ignore', 'pipe', 'pipe'] }
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', chunk => (out += chunk));
  child.stderr!.on('data', chunk => (err += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  try {
    return JSON.parse(out) as ICliRun[];
  } catch {
    throw new Error(
      `the CLI driver ended with ${code} without results: ${err.slice(0, 2000)}`
    );
  }
}
