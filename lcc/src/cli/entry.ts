/** Entry point of the single-file agent bundle that the lifecycle configuration downloads. */
import { isMainThread } from 'node:worker_threads';
import { tuneAllocator } from './allocator';
import { main } from './main';
// The bundle is also the script of a restore's writer threads (restore/span-writers.ts).
import '../restore/span-worker';
// And of a backup's read-ahead thread (backup/read-ahead.ts).
import '../backup/read-ahead-worker';

if (isMainThread) {
  tuneAllocator();
  void main(process.argv).then(code => {
    process.exitCode = code;
  });
}
