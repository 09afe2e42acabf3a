/**
 * What the main-area views show, loaded from the agent and the Jupyter server: a file's preview, a
 * file compared with its current version, a path's versions. No DOM here: the views format and
 * translate (widgets/useLoaded.ts runs these for them).
 */
import type {
  DiffResponse,
  SnapshotSummary,
  VersionsResponse
} from '@studio-backup/lcc/contract';
import {
  diffNotebooks,
  ICell,
  ICellChange,
  notebookAsText,
  parseNotebook
} from './notebookDiff';
import { deletedUnder, IDiffLine, lineDiff, previewKind } from './preview';

export interface IFileSource {
  file(snapshot: string, path: string, preview?: boolean): Promise<Blob>;
  versions(path: string): Promise<VersionsResponse>;
  diff(from: string, to?: string, path?: string): Promise<DiffResponse>;
}

export type Preview =
  | { kind: 'image'; blob: Blob }
  | { kind: 'notebook'; cells: ICell[] }
  | { kind: 'text'; text: string };

/** A file of a snapshot: an image, a notebook's cells (when they can be rendered), or text. */
export async function loadPreview(
  source: IFileSource,
  snapshot: string,
  path: string,
  renderNotebooks: boolean
): Promise<Preview> {
  const blob = await source.file(snapshot, path, true);
  const kind = previewKind(path);
  if (kind === 'image') {
    return { kind: 'image', blob };
  }
  const text = await blob.text();
  const cells =
    kind === 'notebook' && renderNotebooks ? parseNotebook(text) : undefined;
  if (cells) {
    return { kind: 'notebook', cells };
  }
  return {
    kind: 'text',
    text: kind === 'notebook' ? notebookAsText(text) : text
  };
}

export type FileComparison =
  | { kind: 'cells'; cells: ICellChange[] }
  | { kind: 'lines'; lines: IDiffLine[] };

/**
 * A snapshot's version of a file against the current one (`current` reads it; a file gone is
 * empty): a notebook cell by cell when both versions parse and can be rendered, else line by line.
 */
export async function loadFileComparison(
  source: IFileSource,
  current: (path: string) => Promise<string>,
  snapshot: string,
  path: string,
  renderNotebooks: boolean
): Promise<FileComparison> {
  const notebook = previewKind(path) === 'notebook';
  const [before, after] = await Promise.all([
    source.file(snapshot, path, true).then(blob => blob.text()),
    current(path).catch(() => '')
  ]);
  const cells =
    notebook && renderNotebooks ? diffNotebooks(before, after) : undefined;
  if (cells) {
    return { kind: 'cells', cells };
  }
  const asText = (text: string) => (notebook ? notebookAsText(text) : text);
  return { kind: 'lines', lines: lineDiff(asText(before), asText(after)) };
}

export interface IVersions {
  versions: VersionsResponse['versions'];
  /** Gone from the home since the latest complete snapshot (folders only). */
  deleted: string[];
  latest?: SnapshotSummary;
}

/** Every version of a path, and for a folder what was deleted from it since the latest snapshot. */
export async function loadVersions(
  source: IFileSource,
  snapshots: SnapshotSummary[],
  path: string,
  isDir: boolean
): Promise<IVersions> {
  // Newest first; the newest complete one says what was deleted since.
  const latest = snapshots.find(s => s.complete);
  const [versions, diff] = await Promise.all([
    path ? source.versions(path) : Promise.resolve({ path, versions: [] }),
    isDir && latest
      ? source.diff(latest.id, undefined, path)
      : Promise.resolve(null)
  ]);
  return {
    versions: versions.versions,
    deleted: diff ? deletedUnder(diff.removed, path) : [],
    latest
  };
}
