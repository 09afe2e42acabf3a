/** The timeline's arithmetic: which snapshots it shows, where a time sits on it and back. No DOM. */

export const DAY_MS = 86_400_000;

/** How many days before the newest snapshot the strip reaches back. */
export const TIMELINE_DAYS = 7;

export interface ITimelineRange {
  /** Epoch milliseconds of the left end (the oldest snapshot shown). */
  start: number;
  /** Epoch milliseconds of the right end (the newest snapshot). */
  end: number;
}

/** The snapshots of the last `days` before the newest, oldest first. */
export function timelineSnapshots<T extends { time: string }>(
  snapshots: readonly T[],
  days = TIMELINE_DAYS
): T[] {
  const sorted = snapshots
    .map(snapshot => ({ snapshot, t: Date.parse(snapshot.time) }))
    .filter(({ t }) => Number.isFinite(t))
    .sort((a, b) => a.t - b.t);
  if (sorted.length === 0) {
    return [];
  }
  const from = sorted[sorted.length - 1].t - days * DAY_MS;
  return sorted.filter(({ t }) => t >= from).map(({ snapshot }) => snapshot);
}

/** From the first to the last of `times` (sorted, oldest first). */
export function rangeOf(times: readonly number[]): ITimelineRange {
  return times.length === 0
    ? { start: 0, end: 0 }
    : { start: times[0], end: times[times.length - 1] };
}

/** Where `time` sits on the strip, 0 (left end) to 1 (right end); a one-instant range puts it at 1. */
export function positionOf(time: number, range: ITimelineRange): number {
  const span = range.end - range.start;
  if (span <= 0) {
    return 1;
  }
  return clamp01((time - range.start) / span);
}

/** The time at a position (0 to 1, clamped) on the strip. */
export function timeAt(position: number, range: ITimelineRange): number {
  return range.start + clamp01(position) * (range.end - range.start);
}

/** The position of a pointer at `clientX` over a track from `left`, `width` pixels wide. */
export function pointerPosition(
  clientX: number,
  left: number,
  width: number
): number {
  return width <= 0 ? 1 : clamp01((clientX - left) / width);
}

/** The index of the time in `times` (sorted, oldest first) nearest to `time`; -1 when empty. */
export function nearestIndex(times: readonly number[], time: number): number {
  if (times.length === 0) {
    return -1;
  }
  let lo = 0;
  let hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < time) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  // times[lo] is the first at or after `time`: the one before may be nearer (ties go to the older).
  if (lo > 0 && time - times[lo - 1] <= times[lo] - time) {
    return lo - 1;
  }
  return lo;
}

/**
 * The index a key moves to from `index`: the arrows one snapshot, Page Up/Down a day (at least
 * one snapshot), Home/End the ends; null for any other key.
 */
export function keyStep(
  key: string,
  index: number,
  times: readonly number[]
): number | null {
  const last = times.length - 1;
  if (last < 0) {
    return null;
  }
  const at = Math.min(Math.max(index, 0), last);
  const day = (direction: 1 | -1) => {
    const target = nearestIndex(times, times[at] + direction * DAY_MS);
    return direction > 0
      ? Math.min(last, Math.max(target, at + 1))
      : Math.max(0, Math.min(target, at - 1));
  };
  switch (key) {
    case 'ArrowLeft':
    case 'ArrowDown':
      return Math.max(0, at - 1);
    case 'ArrowRight':
    case 'ArrowUp':
      return Math.min(last, at + 1);
    case 'PageDown':
      return day(-1);
    case 'PageUp':
      return day(1);
    case 'Home':
      return 0;
    case 'End':
      return last;
    default:
      return null;
  }
}

/** The local midnights strictly inside the range, with their positions: where the days change. */
export function dayBoundaries(
  range: ITimelineRange
): { time: number; position: number }[] {
  const out: { time: number; position: number }[] = [];
  if (range.end - range.start <= 0) {
    return out;
  }
  const d = new Date(range.start);
  d.setHours(24, 0, 0, 0);
  while (d.getTime() < range.end) {
    out.push({ time: d.getTime(), position: positionOf(d.getTime(), range) });
    d.setDate(d.getDate() + 1);
  }
  return out;
}

/**
 * The ticks' positions, at most `buckets` of them: snapshots closer together than a bucket share
 * one tick (1,000 hourly snapshots still draw a few hundred elements).
 */
export function tickPositions(
  times: readonly number[],
  range: ITimelineRange,
  buckets = 400
): number[] {
  const out: number[] = [];
  let previous = -1;
  for (const time of times) {
    const bucket = Math.round(positionOf(time, range) * buckets);
    if (bucket !== previous) {
      out.push(bucket / buckets);
      previous = bucket;
    }
  }
  return out;
}

function clamp01(n: number): number {
  return n < 0 ? 0 : n > 1 ? 1 : n;
}
