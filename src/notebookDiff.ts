/**
 * Two versions of a notebook compared cell by cell, as a data scientist reads them: which cells
 * were added, removed or changed, the changed source line by line, and whether the outputs
 * changed. No DOM here (widgets/NotebookCells.tsx renders it).
 */
import type * as nbformat from '@jupyterlab/nbformat';
import { diffArrays } from 'diff';
import { IDiffLine, lineDiff } from './preview';

export interface ICell {
  id?: string;
  type: string;
  source: string;
  outputs: nbformat.IOutput[];
  executionCount?: number | null;
}

export interface ICellChange {
  kind: 'same' | 'changed' | 'added' | 'removed';
  before?: ICell;
  after?: ICell;
  /** The source line by line, from before to after (one side only for added/removed cells). */
  source: IDiffLine[];
  outputsChanged: boolean;
  /** Matched by id at another position: the cell was moved (and maybe edited). */
  moved?: boolean;
}

const text = (value: unknown): string =>
  Array.isArray(value) ? value.join('') : String(value ?? '');

/** The cells of a notebook file; undefined when the text is not a notebook. */
export function parseNotebook(json: string): ICell[] | undefined {
  let notebook: { cells?: unknown };
  try {
    notebook = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(notebook?.cells)) {
    return undefined;
  }
  return notebook.cells.map((cell: unknown) => {
    const raw = (cell ?? {}) as Record<string, unknown>;
    return {
      id: typeof raw.id === 'string' ? raw.id : undefined,
      type: String(raw.cell_type ?? 'code'),
      source: text(raw.source),
      outputs: Array.isArray(raw.outputs)
        ? (raw.outputs as nbformat.IOutput[])
        : [],
      executionCount: raw.execution_count as number | null | undefined
    };
  });
}

/** A notebook as readable text: each cell's type and source; the raw text if it is not a notebook. */
export function notebookAsText(json: string): string {
  const cells = parseNotebook(json);
  return cells
    ? cells
        .map((cell, i) => `# [${i + 1}] ${cell.type}\n${cell.source}`)
        .join('\n\n')
    : json;
}

/** Outputs compared by what they show: their data, text and errors, not execution counts. */
function outputsKey(cell: ICell): string {
  return JSON.stringify(
    cell.outputs.map(o => [
      o.output_type,
      o.data ?? null,
      text(o.text),
      o.ename ?? null,
      o.evalue ?? null
    ])
  );
}

function change(before?: ICell, after?: ICell): ICellChange {
  const outputsChanged =
    !!before && !!after && outputsKey(before) !== outputsKey(after);
  const sourceChanged = !!before && !!after && before.source !== after.source;
  return {
    kind: !before
      ? 'added'
      : !after
        ? 'removed'
        : sourceChanged || outputsChanged || before.type !== after.type
          ? 'changed'
          : 'same',
    before,
    after,
    source: lineDiff(before?.source ?? '', after?.source ?? ''),
    outputsChanged
  };
}

/**
 * Cells are matched by their ids when every cell of both versions has one (nbformat 4.5), else by
 * their source (a longest common subsequence), where a removed cell directly followed by an added
 * one is read as that cell edited.
 */
export function diffCells(before: ICell[], after: ICell[]): ICellChange[] {
  const withIds = [...before, ...after].every(c => c.id);
  const pairs = withIds
    ? diffArrays(before, after, {
        comparator: (a: ICell, b: ICell) => a.id === b.id
      })
    : diffArrays(before, after, {
        comparator: (a: ICell, b: ICell) => a.source === b.source
      });
  // Positions in both versions: a part's values may come from either side, so read them from the sides.
  let b = 0;
  let a = 0;
  const out: ICellChange[] = [];
  for (let i = 0; i < pairs.length; i++) {
    const part = pairs[i];
    const count = part.value.length;
    const next = pairs[i + 1];
    if (part.removed && next?.added && !withIds) {
      const n = Math.max(count, next.value.length);
      for (let j = 0; j < n; j++) {
        out.push(
          change(
            j < count ? before[b + j] : undefined,
            j < next.value.length ? after[a + j] : undefined
          )
        );
      }
      b += count;
      a += next.value.length;
      i++;
    } else if (part.removed) {
      out.push(...before.slice(b, b + count).map(cell => change(cell)));
      b += count;
    } else if (part.added) {
      out.push(
        ...after.slice(a, a + count).map(cell => change(undefined, cell))
      );
      a += count;
    } else {
      // Matched by id, a cell's content may differ; matched by source, its outputs may.
      for (let j = 0; j < count; j++) {
        out.push(change(before[b + j], after[a + j]));
      }
      b += count;
      a += count;
    }
  }
  return withIds ? joinMoved(out) : out;
}

/** A cell removed in one place and added in another, by its id, is one moved cell. */
function joinMoved(changes: ICellChange[]): ICellChange[] {
  const added = new Map(
    changes.filter(c => c.kind === 'added').map(c => [c.after!.id, c])
  );
  const movedIds = new Set(
    changes
      .filter(c => c.kind === 'removed' && added.has(c.before!.id))
      .map(c => c.before!.id)
  );
  const before = new Map(
    changes.filter(c => c.kind === 'removed').map(c => [c.before!.id, c])
  );
  const out: ICellChange[] = [];
  for (const c of changes) {
    if (c.kind === 'removed' && movedIds.has(c.before!.id)) {
      continue;
    }
    out.push(
      c.kind === 'added' && movedIds.has(c.after!.id)
        ? { ...change(before.get(c.after!.id)!.before, c.after), moved: true }
        : c
    );
  }
  return out;
}

/** Both versions parsed and compared; undefined when either is not a notebook. */
export function diffNotebooks(
  before: string,
  after: string
): ICellChange[] | undefined {
  const a = parseNotebook(before);
  const b = parseNotebook(after);
  return a && b ? diffCells(a, b) : undefined;
}
