/**
 * glibc's allocator, left to itself, keeps most of what a backup or a restore frees: it raises its
 * mmap threshold to the largest block freed so far (pack and span buffers of megabytes), so later
 * buffers come from arenas that are never given back, one arena per thread-pool thread. A fixed
 * threshold and two arenas keep the resident size near what is live (about 260 → 190 MiB for the
 * benchmark's first backup). A restore gets 32 KiB rather than 128: its writer threads free
 * notebooks and scripts decoded in tens of KiB in their own order, and at 128 KiB the arenas kept
 * some 100 MiB more (the benchmark's full restore: about 320 against 430-490 MiB, as fast). The variables are read once, when the process starts: the commands
 * that move data start again as themselves, same pid, with them set (process.execve, Node.js 22.15+).
 */
const LONG_RUNNING = new Set([
  'backup',
  'restore',
  'prune',
  'check',
  'repair',
  'import-reference',
  'agent',
  'studio-start'
]);

export const ALLOCATOR_ENV = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072'
};

/**
 * What a command starts again with: a restore's lower threshold (see above) costs a backup some 8%.
 * A restore from S3 reads through sockets, and Node.js gives each socket read a buffer of 64 KiB:
 * under a threshold of 32 KiB each was a mapping of its own, mapped, faulted in page by page and
 * unmapped (an S3 restore of the benchmark home into /dev/shm: 9,479 mmap calls and 180,000-205,000
 * page faults against restic's 27,000-32,000). Above them: 2.19-2.27 s against 2.45-2.64 s, for a
 * peak of 179-181 MiB against 171 MiB (/usr/bin/time, interleaved runs). A local restore has no such
 * buffers, and at 96 KiB its peak rose past 200 MiB (175-180 → 202-205 MiB).
 */
export function allocatorEnvFor(
  command: string | undefined,
  repo?: string
): typeof ALLOCATOR_ENV {
  if (command !== 'restore') {
    return ALLOCATOR_ENV;
  }
  const threshold = repo?.startsWith('s3://') ? '98304' : '32768';
  return { ...ALLOCATOR_ENV, MALLOC_MMAP_THRESHOLD_: threshold };
}

/** The repository a command names: its last --repo, else STUDIO_BACKUP_REPO (as commander reads them). */
export function repoOf(
  argv: string[],
  env: NodeJS.ProcessEnv
): string | undefined {
  let repo: string | undefined;
  for (const [i, word] of argv.entries()) {
    if (word === '--repo' && i + 1 < argv.length) {
      repo = argv[i + 1];
    } else if (word.startsWith('--repo=')) {
      repo = word.slice('--repo='.length);
    }
  }
  return repo ?? env.STUDIO_BACKUP_REPO;
}

/**
 * V8 flags a command starts again with. A restore keeps its young generation small: what it
 * allocates there is short-lived (the SDK's parsing, the writer threads' answers), and 16 MiB
 * semi-spaces, V8's default, were some 40 MiB of its peak (a restore of the benchmark home
 * into /dev/shm: 251 → 208 MiB, /usr/bin/time) for no speed we could measure. Its old generation
 * grows by 30% at most before it is collected: what survives there is mostly socket chunks and
 * decoded blobs waiting their turn, garbage soon after, and V8's own choice (up to four times what
 * is live) let it pile up. Only together with the young collections after each span
 * (restore/young-garbage.ts) does it pay: an S3 restore of the benchmark home into /dev/shm peaked
 * at 163-170 MiB with both, 201-205 MiB with this flag alone and 207-217 MiB with the collections
 * alone; a local one at 160-172 MiB with both and 170-179 MiB with the flag alone; in the same time.
 */
export function v8FlagsFor(command: string | undefined): string[] {
  if (command === 'restore') {
    return RESTORE_V8_FLAGS;
  }
  return command === 'backup' ? BACKUP_V8_FLAGS : [];
}

const RESTORE_V8_FLAGS = [
  '--max-semi-space-size=1',
  '--heap-growing-percent=30'
];

/**
 * A backup's heap grows by a fixed factor of two: left to choose, V8 let it grow to four times
 * what was live, and most of that was garbage the next collection would free (a backup of 100,000
 * unchanged files: 43 MiB live, 100 MiB used at its peak). With 4 MiB semi-spaces: 100,000 small
 * files, first 220 → 184 MiB and unchanged 216 → 162 MiB; the benchmark home 194 → 167 MiB, in the
 * same time within the noise (/usr/bin/time, interleaved runs).
 */
const BACKUP_V8_FLAGS = [
  '--max-semi-space-size=4',
  '--heap-growing-percent=100'
];

const commandOf = (argv: string[]) =>
  argv.slice(2).find(word => !word.startsWith('-'));

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/** Whether this run should start again with ALLOCATOR_ENV: only the data movers on Linux's glibc, and only once. */
export function wantsAllocatorTuning(
  argv: string[],
  env: NodeJS.ProcessEnv,
  platform: string = process.platform
): boolean {
  const command = commandOf(argv);
  return (
    platform === 'linux' &&
    command !== undefined &&
    LONG_RUNNING.has(command) &&
    env.MALLOC_MMAP_THRESHOLD_ === undefined &&
    env.MALLOC_ARENA_MAX === undefined &&
    env.STUDIO_BACKUP_KEEP_ALLOCATOR === undefined
  );
}

/** Replaces this process with itself and ALLOCATOR_ENV where that pays and Node.js can; returns otherwise. */
export function tuneAllocator(): void {
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (!execve || !wantsAllocatorTuning(process.argv, process.env)) {
    return;
  }
  const command = commandOf(process.argv);
  const env = {
    ...process.env,
    ...allocatorEnvFor(command, repoOf(process.argv, process.env))
  };
  try {
    execve(
      process.execPath,
      [
        process.execPath,
        ...process.execArgv,
        ...v8FlagsFor(command),
        ...process.argv.slice(1)
      ],
      env
    );
  } catch {
    // Not replaced (a sandbox refusing execve): go on with the allocator as it is.
  }
}
