/** Which snapshots a retention policy keeps (the same rules as restic's forget). */
export interface IRetentionPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
}

export interface IDated {
  id: string;
  time: string;
}

function isoWeek(d: Date): string {
  const t = new Date(
    Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
  );
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86400000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${week}`;
}

const buckets: Array<[keyof IRetentionPolicy, (d: Date) => string]> = [
  ['hourly', d => d.toISOString().slice(0, 13)],
  ['daily', d => d.toISOString().slice(0, 10)],
  ['weekly', isoWeek],
  ['monthly', d => d.toISOString().slice(0, 7)]
];

export function isEmptyPolicy(policy: IRetentionPolicy): boolean {
  return Object.values(policy).every(v => !v);
}

/**
 * Splits snapshots into kept and removed, with the reasons each kept one is kept. Within every
 * period (hour, day, ISO week, month, in UTC), the newest snapshot counts, for the N newest periods.
 */
export function applyPolicy<T extends IDated>(
  snapshots: T[],
  policy: IRetentionPolicy
): { keep: Array<{ snapshot: T; reasons: string[] }>; remove: T[] } {
  if (isEmptyPolicy(policy)) {
    throw new Error(
      'No retention rule given: pass at least one of --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly.'
    );
  }
  const sorted = [...snapshots].sort((a, b) =>
    a.time < b.time ? 1 : a.time > b.time ? -1 : 0
  );
  const reasons = new Map<string, string[]>();
  const keep = (s: T, why: string) =>
    reasons.set(s.id, [...(reasons.get(s.id) ?? []), why]);
  sorted.slice(0, policy.last ?? 0).forEach(s => keep(s, 'last'));
  for (const [rule, period] of buckets) {
    const wanted = policy[rule] ?? 0;
    const seen = new Set<string>();
    for (const s of sorted) {
      if (seen.size >= wanted) {
        break;
      }
      const p = period(new Date(s.time));
      if (!seen.has(p)) {
        seen.add(p);
        keep(s, rule);
      }
    }
  }
  return {
    keep: sorted
      .filter(s => reasons.has(s.id))
      .map(s => ({ snapshot: s, reasons: reasons.get(s.id)! })),
    remove: sorted.filter(s => !reasons.has(s.id))
  };
}
