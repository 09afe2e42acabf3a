/**
 * How long retention keeps each snapshot, if backups go on at the same pace: the same rules as
 * `forget` (applyPolicy), applied to the snapshots there are plus the backups still to come, one
 * every `intervalMinutes`, until each snapshot would be forgotten. An estimate, and said to be one.
 */
import { applyPolicy, IDated, IRetentionPolicy } from './retention';

/** A snapshot kept longer than this is "kept for more than two years" (null). */
const HORIZON_MS = 2 * 366 * 86_400_000;

export function keptUntil(
  snapshots: IDated[],
  policy: IRetentionPolicy,
  intervalMinutes: number,
  now = new Date()
): Map<string, string | null> {
  const out = new Map<string, string | null>();
  let kept: IDated[] = [...snapshots];
  // Already forgotten by the next maintenance run.
  for (const s of applyPolicy(kept, policy).remove) {
    out.set(s.id, now.toISOString());
  }
  kept = kept.filter(s => !out.has(s.id));
  const interval = Math.max(1, intervalMinutes) * 60_000;
  // Once the hours (then the days) of the policy are behind, only one backup a day (then a week)
  // can change what is kept: stepping coarser gives the same answer to the day (the week), in
  // hundreds of steps instead of the ~9,000 hours of a year. `last` counts backups: no shortcut.
  const coarse = (t: number) => {
    if (policy.last) {
      return interval;
    }
    const ahead = t - now.getTime();
    if (ahead > (policy.daily ?? 0) * 86_400_000 + 86_400_000) {
      return Math.max(interval, 7 * 86_400_000);
    }
    if (ahead > (policy.hourly ?? 0) * 3_600_000 + 3_600_000) {
      return Math.max(interval, 86_400_000);
    }
    return interval;
  };
  for (
    let t = now.getTime() + interval;
    t <= now.getTime() + HORIZON_MS && kept.length > 0;
    t += coarse(t)
  ) {
    const time = new Date(t).toISOString();
    const next = { id: `future-${t}`, time };
    const { remove } = applyPolicy([...kept, next], policy);
    if (remove.length > 0) {
      const gone = new Set(remove.map(s => s.id));
      for (const s of remove) {
        if (!s.id.startsWith('future-')) {
          out.set(s.id, time);
        }
      }
      kept = [...kept, next].filter(s => !gone.has(s.id));
    } else {
      kept.push(next);
    }
    // Only future snapshots left: the real ones are all placed. A policy that keeps thousands
    // (--keep-last 10000) would make each step slow: beyond that, "more than two years".
    if (kept.every(s => s.id.startsWith('future-')) || kept.length > 5000) {
      break;
    }
  }
  for (const s of snapshots) {
    if (!out.has(s.id)) {
      out.set(s.id, null);
    }
  }
  return out;
}
