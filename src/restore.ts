/** Restore decisions the panel makes from the agent's dry run; no DOM here. */
import type { RestorePlanResponse } from '@studio-backup/lcc/contract';

/** Files a restore would write over: planned with conflict "overwrite", these differ from the copy on disk. */
export function conflicts(plan: RestorePlanResponse): number {
  return plan.counts.overwrite;
}

/** What a dry run would do, counted for the summary the dialogs show (widgets/planText.ts words it). */
export interface IPlanCounts {
  /** Files that differ from the snapshot and would be written over. */
  overwritten: number;
  /** Files that are missing and would be written (in place or beside). */
  restored: number;
  /** Files already as in the snapshot. */
  identical: number;
}

export function planCounts(plan: RestorePlanResponse): IPlanCounts {
  const c = plan.counts;
  return {
    overwritten: c.overwrite,
    restored: c.restore + c.rename,
    identical: c.unchanged + c.skip
  };
}

/** Where a restored path lands, relative to the home (the Jupyter server's root in Studio). */
export function restoredPath(
  plan: RestorePlanResponse,
  home: string,
  path: string
): string {
  const dest = plan.items.find(i => i.path === path)?.dest ?? path;
  const absolute = `${plan.target.replace(/\/+$/, '')}/${dest}`;
  const prefix = `${home.replace(/\/+$/, '')}/`;
  return absolute.startsWith(prefix) ? absolute.slice(prefix.length) : absolute;
}

/** The paths, relative to the home, that a restore into the original place wrote over or re-created. */
export function writtenInPlace(
  plan: RestorePlanResponse,
  home: string,
  conflict: 'skip' | 'overwrite' | 'rename'
): Set<string> {
  const written = plan.items.filter(
    i =>
      i.type === 'file' &&
      (i.action === 'restore' ||
        (i.action === 'overwrite' && conflict === 'overwrite'))
  );
  return new Set(written.map(i => restoredPath(plan, home, i.path)));
}

/** The files a restore would write over, for the conflict dialog. */
export function overwrittenPaths(plan: RestorePlanResponse): string[] {
  return plan.items
    .filter(i => i.action === 'overwrite' && i.type === 'file')
    .map(i => i.path);
}
