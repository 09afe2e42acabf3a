/** How a file of a snapshot is shown and compared; no DOM here. */
import { diffLines } from 'diff';

export type PreviewKind = 'image' | 'notebook' | 'text';

const IMAGES = /\.(png|jpe?g|gif|svg|webp)$/i;

export function previewKind(path: string): PreviewKind {
  if (IMAGES.test(path)) {
    return 'image';
  }
  return /\.ipynb$/i.test(path) ? 'notebook' : 'text';
}

export interface IDiffLine {
  kind: 'added' | 'removed' | 'same';
  text: string;
}

/** Line by line, from the snapshot's version to the current one. */
export function lineDiff(before: string, after: string): IDiffLine[] {
  const lines: IDiffLine[] = [];
  for (const part of diffLines(before, after)) {
    const kind = part.added ? 'added' : part.removed ? 'removed' : 'same';
    const text = part.value.endsWith('\n')
      ? part.value.slice(0, -1)
      : part.value;
    for (const line of text.split('\n')) {
      lines.push({ kind, text: line });
    }
  }
  return lines;
}

/** Removed paths under a folder ("" is the home), without those inside a removed folder. */
export function deletedUnder(removed: string[], folder: string): string[] {
  const prefix = folder ? `${folder}/` : '';
  const inside = removed.filter(p => p.startsWith(prefix)).sort();
  const set = new Set(inside);
  return inside.filter(p => {
    const parts = p.slice(prefix.length).split('/');
    for (let i = 1; i < parts.length; i++) {
      if (set.has(prefix + parts.slice(0, i).join('/'))) {
        return false;
      }
    }
    return true;
  });
}

/** Paths as a person sorts them: run_2 before run_10. */
export function naturalSort(paths: string[]): string[] {
  return [...paths].sort((a, b) =>
    a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' })
  );
}

/**
 * Which snapshot a comparison reads from and to: always from the older to the newer, so that
 * "added" means added since (comparing with an older snapshot would read backwards otherwise).
 */
export function comparisonOrder(
  from: { id: string; time: string },
  to: { id: string; time: string } | undefined
): { older: string; newer?: string } {
  if (!to) {
    return { older: from.id };
  }
  return Date.parse(to.time) < Date.parse(from.time)
    ? { older: to.id, newer: from.id }
    : { older: from.id, newer: to.id };
}

/** A repository location as a person reads it: a local folder as its path, not a file:// URL. */
export function shownLocation(url: string): string {
  return url.startsWith('file://')
    ? decodeURI(url.slice('file://'.length))
    : url;
}
