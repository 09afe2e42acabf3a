/** The agent's jobs: a job that has ended reports nothing more, however its work winds down. */
import { JobManager } from '../src/agent/jobs';

describe('a cancelled job', () => {
  it('ends once: progress reported by work still winding down is dropped', async () => {
    const jobs = new JobManager();
    const states: string[] = [];
    jobs.events.on('update', (job: { state: string }) =>
      states.push(job.state)
    );
    let report: ((p: never) => void) | undefined;
    const { job, done } = jobs.start('backup', async (signal, onProgress) => {
      report = onProgress as (p: never) => void;
      await new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error('cancelled')))
      );
      return { result: {} };
    });
    jobs.cancel(job.id);
    const finished = await done;
    // 32 parallel file reads still finishing after the cancel, each reporting progress.
    for (let i = 0; i < 32; i++) {
      report!({ phase: 'backup' } as never);
    }
    expect(finished.state).toBe('cancelled');
    expect(states.filter(s => s !== 'running')).toEqual(['cancelled']);
  });
});
