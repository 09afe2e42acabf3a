/** Typed progress of a backup or a restore, for the CLI's bar, --json lines and the agent's SSE. */
export interface IProgress {
  phase: 'scan' | 'backup' | 'commit' | 'restore' | 'done';
  filesTotal: number;
  bytesTotal: number;
  filesDone: number;
  bytesDone: number;
  /** Content not yet in the repository (before compression). */
  bytesNew: number;
  bytesUploaded: number;
  etaSeconds?: number;
}

export type ProgressListener = (progress: IProgress) => void;

/** Calls the listener at most every `intervalMs`, and always for phase changes. */
export function throttled(
  listener: ProgressListener | undefined,
  intervalMs = 250
): ProgressListener {
  let last = 0;
  let phase = '';
  return progress => {
    const now = Date.now();
    if (listener && (progress.phase !== phase || now - last >= intervalMs)) {
      last = now;
      phase = progress.phase;
      listener({ ...progress });
    }
  };
}

export function eta(
  startedAt: number,
  done: number,
  total: number
): number | undefined {
  const elapsed = (Date.now() - startedAt) / 1000;
  if (done <= 0 || elapsed < 1) {
    return undefined;
  }
  return Math.max(0, Math.round((elapsed * (total - done)) / done));
}

export { humanBytes } from './bytes';
