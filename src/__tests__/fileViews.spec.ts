import type { SnapshotSummary } from '@studio-backup/lcc/contract';
import {
  IFileSource,
  loadFileComparison,
  loadPreview,
  loadVersions
} from '../fileViews';

const nb = (source: string) =>
  JSON.stringify({ cells: [{ cell_type: 'code', source, outputs: [] }] });

function files(content: Record<string, string>): IFileSource {
  return {
    // jsdom's Blob has no text(): the one method the loaders use.
    file: async (snapshot, path) =>
      ({ text: async () => content[`${snapshot}:${path}`] }) as Blob,
    versions: async path => ({ path, versions: [] }),
    diff: async (from, to, path) => ({
      from,
      to: to ?? 'home',
      added: [],
      removed: [`${path}/gone.txt`, `${path}/old`, `${path}/old/inside.txt`],
      changed: []
    })
  };
}

describe('what the main-area views load', () => {
  it('a notebook is compared cell by cell when it can be rendered, else as text lines', async () => {
    const source = files({ 's1:a.ipynb': nb('x = 1') });
    const now = async () => nb('x = 2');
    const byCell = await loadFileComparison(source, now, 's1', 'a.ipynb', true);
    expect(byCell.kind).toBe('cells');
    const asText = await loadFileComparison(
      source,
      now,
      's1',
      'a.ipynb',
      false
    );
    expect(asText).toEqual({
      kind: 'lines',
      lines: [
        { kind: 'same', text: '# [1] code' },
        { kind: 'removed', text: 'x = 1' },
        { kind: 'added', text: 'x = 2' }
      ]
    });
  });

  it('a file gone from the home compares with nothing, and a preview is text or cells', async () => {
    const source = files({ 's1:notes.txt': 'hello\n', 's1:a.ipynb': nb('y') });
    const gone = async () => {
      throw new Error('No such file');
    };
    const compared = await loadFileComparison(
      source,
      gone,
      's1',
      'notes.txt',
      true
    );
    expect(compared).toEqual({
      kind: 'lines',
      lines: [{ kind: 'removed', text: 'hello' }]
    });
    expect(await loadPreview(source, 's1', 'notes.txt', true)).toEqual({
      kind: 'text',
      text: 'hello\n'
    });
    expect((await loadPreview(source, 's1', 'a.ipynb', true)).kind).toBe(
      'notebook'
    );
  });

  it("a folder's versions say what was deleted since the newest complete snapshot", async () => {
    const snapshots = [
      { id: 'new', complete: false },
      { id: 'ok', complete: true }
    ] as SnapshotSummary[];
    const result = await loadVersions(files({}), snapshots, 'data', true);
    expect(result.latest?.id).toBe('ok');
    expect(result.deleted).toEqual(['data/gone.txt', 'data/old']);
  });
});
