/** The words of the restore dialogs, translated here from the data the models give. */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { RestorePlanResponse } from '@studio-backup/lcc/contract';
import { planCounts } from '../restore';

/** "3 files will be overwritten, 12 restored, 2 already identical" (the parts that apply). */
export function planSummary(
  trans: TranslationBundle,
  plan: RestorePlanResponse
): string {
  const { overwritten, restored, identical } = planCounts(plan);
  const parts: string[] = [];
  if (overwritten > 0) {
    parts.push(
      trans._n(
        '%1 file will be overwritten',
        '%1 files will be overwritten',
        overwritten
      )
    );
  }
  if (parts.length === 0) {
    parts.push(
      trans._n(
        '%1 file will be restored',
        '%1 files will be restored',
        restored
      )
    );
  } else if (restored > 0) {
    parts.push(trans.__('%1 restored', restored));
  }
  if (identical > 0) {
    parts.push(trans.__('%1 already identical', identical));
  }
  return parts.join(', ');
}

/** What a restore is of: one path by name, several by their count, or the whole home. */
export function describePaths(
  trans: TranslationBundle,
  paths: string[]
): string {
  if (paths.length === 0) {
    return trans.__('the whole home');
  }
  return paths.length === 1
    ? paths[0]
    : trans._n('%1 item', '%1 items', paths.length);
}
