/** One last backup when the app stops, through the agent's own API, cut short when time runs out. */
import { Job } from '../api/contract';
import { SECRET_HEADER } from './secret';

export async function backupBeforeStop(
  port: number,
  secret: string,
  timeoutMs: number,
  log: (line: string) => void
): Promise<void> {
  const api = `http://127.0.0.1:${port}/api/v1`;
  const deadline = Date.now() + timeoutMs;
  // The agent answers only callers with its secret, itself included.
  const fetch = (url: string, init: RequestInit = {}) =>
    globalThis.fetch(url, { ...init, headers: { [SECRET_HEADER]: secret } });
  try {
    let response = await fetch(`${api}/backup`, { method: 'POST' });
    let job: Job | null = response.ok
      ? ((await response.json()) as { job: Job }).job
      : null;
    if (response.status === 409) {
      response = await fetch(`${api}/status`);
      job = ((await response.json()) as { running: Job | null }).running;
    }
    if (!job) {
      log('no backup before stop: the agent did not start one');
      return;
    }
    while (job.state === 'running' && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 250));
      job = (
        (await (await fetch(`${api}/jobs/${job.id}`)).json()) as { job: Job }
      ).job;
    }
    if (job.state === 'running') {
      await fetch(`${api}/jobs/${job.id}`, { method: 'DELETE' });
      log(
        `the backup before stop did not finish in ${Math.round(timeoutMs / 1000)} s: cancelled, the previous snapshot stands`
      );
    } else {
      log(`backup before stop: ${job.state}`);
    }
  } catch (err) {
    log(`no backup before stop: ${(err as Error).message}`);
  }
}
