/**
 * A restore's buffers die young: the socket chunks a span is copied out of (main thread) and the
 * blobs a writer decodes. What a Buffer holds outside V8's heap is freed only when V8 collects the
 * Buffer, and left to itself V8 lets tens of MiB of it build up per thread before it looks (its
 * external-memory trigger). A young-generation collection after each span (the restore's young
 * generations are 1-2 MiB) frees that garbage at once. With the restore's slow-growing old
 * generation (cli/allocator.ts) an S3 restore of the benchmark home into /dev/shm peaked at 163-170
 * MiB, against 201-205 MiB with the old generation's flag alone, in the same time (/usr/bin/time,
 * interleaved rounds); the collections alone took off less than 10 MiB.
 *
 * `gc` exists only under --expose-gc: the flag is set at run time and `gc` taken from a new
 * context, which has it. Where that fails, nothing is collected early.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = (options: { type: 'minor' }) => void;

let collect: Collect | null | undefined;

function collector(): Collect | null {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('gc');
      collect = typeof gc === 'function' ? (gc as Collect) : null;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/** Collects this thread's young generation now. */
export function collectYoungGarbage(): void {
  collector()?.({ type: 'minor' });
}
