/** Restore decisions the panel makes from the agent's dry run; no DOM here. */
import type { RestorePlanResponse } from '@studio-backup/lcc/contract';

/** Files a restore would write over: planned with conflict "overwrite", these differ from the copy on disk. */
export function conflicts(plan: RestorePlanResponse): number {
  return plan.counts.overwrite;
}

/** "3 files will be overwritten, 12 restored, 2 already identical" (the parts that apply). */
export function planSummary(plan: RestorePlanResponse): string {
  const c = plan.counts;
  const parts: string[] = [];
  if (c.overwrite > 0) {
    parts.push(
      `${c.overwrite} ${c.overwrite === 1 ? 'file' : 'files'} will be overwritten`
    );
  }
  const restored = c.restore + c.rename;
  if (restored > 0 || parts.length === 0) {
    parts.push(
      parts.length === 0
        ? `${restored} ${restored === 1 ? 'file' : 'files'} will be restored`
        : `${restored} restored`
    );
  }
  const same = c.unchanged + c.skip;
  if (same > 0) {
    parts.push(`${same} already identical`);
  }
  return parts.join(', ');
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
