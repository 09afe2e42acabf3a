import { diffNotebooks, parseNotebook } from '../notebookDiff';

const nb = (cells: Array<Record<string, unknown>>) =>
  JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });
const code = (source: string, outputs: unknown[] = [], id?: string) => ({
  cell_type: 'code',
  source: source.split(/(?<=\n)/),
  outputs,
  execution_count: 1,
  metadata: {},
  ...(id ? { id } : {})
});
const png = (data: string) => ({
  output_type: 'display_data',
  data: { 'image/png': data },
  metadata: {}
});

describe('diffNotebooks', () => {
  it('reads a notebook cell by cell, and refuses what is not one', () => {
    expect(parseNotebook(nb([code('a = 1\n')]))).toEqual([
      expect.objectContaining({ type: 'code', source: 'a = 1\n' })
    ]);
    expect(parseNotebook('not json')).toBeUndefined();
    expect(parseNotebook('{"cells": 3}')).toBeUndefined();
    expect(diffNotebooks('{}', nb([]))).toBeUndefined();
  });

  it('names the added, removed and edited cells, by source when there are no ids', () => {
    const before = nb([
      code('import pandas\n'),
      code('x = 1\n'),
      code('plot(x)\n')
    ]);
    const after = nb([
      code('import pandas\n'),
      code('x = 2\n'),
      code('plot(x)\n'),
      code('save()\n')
    ]);
    const changes = diffNotebooks(before, after)!;
    expect(changes.map(c => c.kind)).toEqual([
      'same',
      'changed',
      'same',
      'added'
    ]);
    expect(changes[1].source).toEqual([
      { kind: 'removed', text: 'x = 1' },
      { kind: 'added', text: 'x = 2' }
    ]);
    expect(changes[3].after?.source).toBe('save()\n');
  });

  it('sees a changed output (a new image) on a cell whose source is the same', () => {
    const before = nb([code('plot()\n', [png('AAAA')])]);
    const after = nb([code('plot()\n', [png('BBBB')])]);
    const [cell] = diffNotebooks(before, after)!;
    expect(cell).toMatchObject({ kind: 'changed', outputsChanged: true });
    expect(cell.source.every(l => l.kind === 'same')).toBe(true);
    // Only the execution count differs: nothing to show.
    const rerun = JSON.parse(after);
    rerun.cells[0].execution_count = 7;
    expect(diffNotebooks(after, JSON.stringify(rerun))![0].kind).toBe('same');
  });

  it('matches cells by id when they have ids: a moved cell is not an edit', () => {
    const before = nb([code('a\n', [], 'c1'), code('b\n', [], 'c2')]);
    const after = nb([code('b\n', [], 'c2'), code('a2\n', [], 'c1')]);
    const kinds = diffNotebooks(before, after)!.map(c => [
      c.kind,
      c.before?.id ?? null,
      c.after?.id ?? null
    ]);
    expect(kinds).toContainEqual(['changed', 'c1', 'c1']);
    expect(kinds.filter(([kind]) => kind === 'changed')).toHaveLength(1);
  });
});
