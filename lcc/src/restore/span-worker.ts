/**
 * A restore's worker thread: writes the span jobs the main thread posts (span-job.ts), and reads
 * and writes the runs it is given to fetch itself (run-fetch.ts), answering each message by its id.
 * Started from this file, or from the single-file bundle (cli/entry.ts imports this module for
 * that), with workerData naming the role.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ISpanJob, writeSpanJob } from './span-job';
import { IRunJob, fetchRun } from './run-fetch';
import { collectYoungGarbage } from './young-garbage';

export const SPAN_WRITER = 'studio-backup-span-writer';

export type WriterMessage =
  { id: number; span: ISpanJob } | { id: number; run: IRunJob };

if (!isMainThread && parentPort && workerData?.role === SPAN_WRITER) {
  const port = parentPort;
  port.on('message', (message: WriterMessage) => {
    const { id } = message;
    if ('span' in message) {
      const job = message.span;
      // The span's buffer goes back with the answer, to be read into again (span-buffers.ts).
      port.postMessage(
        { id, result: { ...writeSpanJob(job), bytes: job.bytes } },
        [job.bytes.buffer as ArrayBuffer]
      );
      // The blobs the job decoded are garbage now: freed at once (young-garbage.ts).
      collectYoungGarbage();
      return;
    }
    void fetchRun(
      message.run,
      (span, result) => port.postMessage({ id, span, result }),
      // The span's socket chunks and decoded blobs are garbage now.
      collectYoungGarbage
    ).then(
      end => port.postMessage({ id, end }),
      // Not a failed read (fetchRun answers those): a bug, which fails the restore rather than
      // leaving it waiting for an answer.
      (err: Error) => port.postMessage({ id, error: err.message })
    );
  });
}
