/**
 * A restore's worker thread: writes the span jobs the main thread posts (span-job.ts), one at a
 * time, and answers each with its result. Started from this file, or from the single-file bundle
 * (cli/entry.ts imports this module for that), with workerData naming the role.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ISpanJob, writeSpanJob } from './span-job';
import { collectYoungGarbage } from './young-garbage';

export const SPAN_WRITER = 'studio-backup-span-writer';

if (!isMainThread && parentPort && workerData?.role === SPAN_WRITER) {
  const port = parentPort;
  // The span's buffer goes back with the answer, to be read into again (span-buffers.ts).
  port.on('message', (job: ISpanJob) => {
    port.postMessage({ ...writeSpanJob(job), bytes: job.bytes }, [
      job.bytes.buffer as ArrayBuffer
    ]);
    // The blobs the job decoded are garbage now: freed at once (young-garbage.ts).
    collectYoungGarbage();
  });
}
