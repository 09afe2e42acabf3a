/**
 * The agent's per-start secret: the proof that a request came through the authenticated Jupyter
 * server (docs/api.md, "Who may call").
 *
 * At every start the agent makes a new random secret and writes it, with its port, to
 * `<state dir>/agent-<port>.json`, readable only by the user (0600). The Jupyter server extension
 * of the Python package (sagemaker_studio_backup/handlers.py) reads that file and forwards the
 * panel's requests, which Jupyter has authenticated and XSRF-checked, with the secret in
 * `X-Studio-Backup-Secret`. A page that reaches 127.0.0.1:<port> by DNS rebinding can set any
 * header, but cannot read the file, so it cannot prove anything.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The header that carries the secret (lower case, as Node reports headers). */
export const SECRET_HEADER = 'x-studio-backup-secret';

/** What the agent writes for the Jupyter server extension. */
export interface IAgentRecord {
  port: number;
  secret: string;
  pid: number;
}

/** 32 random bytes, base64url: 43 characters. */
export function newAgentSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Whether the request's header holds the secret, in constant time: both sides are hashed first,
 * so neither the length nor a common prefix of a wrong guess shows in the time taken.
 */
export function secretMatches(
  given: string | string[] | undefined,
  secret: string
): boolean {
  if (typeof given !== 'string' || given === '' || secret === '') {
    return false;
  }
  const digest = (value: string) =>
    createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(secret));
}

export function agentRecordPath(stateDir: string, port: number): string {
  return join(stateDir, `agent-${port}.json`);
}

/**
 * Writes the record (0600, in a 0700 state dir when the agent creates it) under a temporary name
 * and renames it into place, so the extension never reads half a file. Returns a function that
 * removes it again when the agent stops, unless a later agent on the same port has replaced it.
 */
export async function publishAgentSecret(
  stateDir: string,
  port: number,
  secret: string
): Promise<() => Promise<void>> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = agentRecordPath(stateDir, port);
  const record: IAgentRecord = { port, secret, pid: process.pid };
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(record) + '\n', {
      mode: 0o600,
      flag: 'wx'
    });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new Error(
      `Cannot write the agent's secret to ${path}: ${(err as Error).message}`
    );
  }
  return async () => {
    try {
      const current = JSON.parse(await readFile(path, 'utf8')) as IAgentRecord;
      if (current.secret === secret) {
        await rm(path, { force: true });
      }
    } catch {
      // Already gone, or replaced by something unreadable: not ours to remove.
    }
  };
}
