import type { RestorePlanResponse } from '@studio-backup/lcc/contract';
import {
  conflicts,
  overwrittenPaths,
  planCounts,
  restoredPath,
  writtenInPlace
} from '../restore';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { describePaths, planSummary } from '../widgets/planText';
import { agentSettingsUpdate, IPanelSettings } from '../settings';
import { notebookAsText } from '../notebookDiff';
import {
  comparisonOrder,
  deletedUnder,
  lineDiff,
  naturalSort,
  previewKind,
  shownLocation
} from '../preview';

const plan = (
  counts: Partial<RestorePlanResponse['counts']>,
  over: Partial<RestorePlanResponse> = {}
): RestorePlanResponse => ({
  snapshot: 's',
  target: '/home/u',
  counts: {
    restore: 0,
    overwrite: 0,
    skip: 0,
    rename: 0,
    unchanged: 0,
    ...counts
  },
  bytes: 0,
  items: [],
  warnings: [],
  ...over
});

describe('restore plans', () => {
  const inPlace = plan(
    { overwrite: 1, restore: 1, unchanged: 1 },
    {
      items: [
        { path: 'a.ipynb', dest: 'a.ipynb', type: 'file', action: 'overwrite' },
        { path: 'gone.py', dest: 'gone.py', type: 'file', action: 'restore' },
        { path: 'same.md', dest: 'same.md', type: 'file', action: 'unchanged' },
        { path: 'dir', dest: 'dir', type: 'dir', action: 'overwrite' }
      ]
    }
  );

  it('names the files a restore would write over', () => {
    expect(overwrittenPaths(inPlace)).toEqual(['a.ipynb']);
  });

  it('lists the files an in-place restore wrote, by conflict choice', () => {
    expect([...writtenInPlace(inPlace, '/home/u', 'overwrite')]).toEqual([
      'a.ipynb',
      'gone.py'
    ]);
    expect([...writtenInPlace(inPlace, '/home/u', 'skip')]).toEqual([
      'gone.py'
    ]);
  });

  it('counts what a restore would do, as data for the dialogs to word', () => {
    expect(planCounts(plan({ overwrite: 3, restore: 10, rename: 2 }))).toEqual({
      overwritten: 3,
      restored: 12,
      identical: 0
    });
    expect(planCounts(plan({ unchanged: 4, skip: 1 }))).toEqual({
      overwritten: 0,
      restored: 0,
      identical: 5
    });
  });

  it('counts the files that would be written over', () => {
    expect(conflicts(plan({ overwrite: 2, restore: 9 }))).toBe(2);
    expect(conflicts(plan({ restore: 9 }))).toBe(0);
  });

  it('says where a restored path lands, relative to the home', () => {
    const side = plan(
      {},
      {
        target: '/home/u/restored-files/abcd1234',
        items: [
          {
            path: 'nb/a.ipynb',
            dest: 'nb/a.ipynb',
            type: 'file',
            action: 'restore'
          }
        ]
      }
    );
    expect(restoredPath(side, '/home/u', 'nb/a.ipynb')).toBe(
      'restored-files/abcd1234/nb/a.ipynb'
    );
    const renamed = plan(
      {},
      {
        target: '/home/u/',
        items: [
          {
            path: 'a.txt',
            dest: 'a (restored 2026-01-01).txt',
            type: 'file',
            action: 'rename'
          }
        ]
      }
    );
    expect(restoredPath(renamed, '/home/u', 'a.txt')).toBe(
      'a (restored 2026-01-01).txt'
    );
  });
});

describe('settings sent to the agent', () => {
  const desired = (over: Partial<IPanelSettings> = {}): IPanelSettings => ({
    agentPort: 8765,
    intervalMinutes: null,
    includeHidden: [],
    exclude: [],
    confirmOverwrite: true,
    ...over
  });

  it('sends nothing when the agent already matches, and leaves the admin interval alone', () => {
    expect(agentSettingsUpdate(desired(), { intervalMinutes: 720 })).toBeNull();
    expect(
      agentSettingsUpdate(desired({ exclude: ['*.tmp'] }), {
        intervalMinutes: 720,
        exclude: ['*.tmp'],
        includeHidden: []
      })
    ).toBeNull();
  });

  it('sends only what changed', () => {
    expect(
      agentSettingsUpdate(
        desired({ intervalMinutes: 60, includeHidden: ['.config'] }),
        { intervalMinutes: 720, includeHidden: [], exclude: [] }
      )
    ).toEqual({ intervalMinutes: 60, includeHidden: ['.config'] });
  });
});

describe('previews and comparisons', () => {
  it('picks how to show a file from its name', () => {
    expect(previewKind('a/b.PNG')).toBe('image');
    expect(previewKind('x.ipynb')).toBe('notebook');
    expect(previewKind('train.py')).toBe('text');
  });

  it('shows a notebook as its cells, and anything else as it is', () => {
    const nb = JSON.stringify({
      cells: [
        { cell_type: 'markdown', source: ['# Title\n', 'text'] },
        { cell_type: 'code', source: 'print(1)' }
      ]
    });
    expect(notebookAsText(nb)).toBe(
      '# [1] markdown\n# Title\ntext\n\n# [2] code\nprint(1)'
    );
    expect(notebookAsText('{not json')).toBe('{not json');
  });

  it('diffs line by line', () => {
    expect(lineDiff('a\nb\nc\n', 'a\nB\nc\n')).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'added', text: 'B' },
      { kind: 'same', text: 'c' }
    ]);
  });

  it('lists what was deleted under a folder, a deleted folder once', () => {
    const removed = [
      'nb',
      'nb/a.ipynb',
      'nb/sub',
      'nb/sub/x',
      'data/old.csv',
      'notes.md'
    ];
    expect(deletedUnder(removed, '')).toEqual([
      'data/old.csv',
      'nb',
      'notes.md'
    ]);
    expect(
      deletedUnder(['nb/a.ipynb', 'nb/sub', 'nb/sub/x', 'nbx/y'], 'nb')
    ).toEqual(['nb/a.ipynb', 'nb/sub']);
  });
});

describe('compare lists and locations as a person reads them (#16 item 9)', () => {
  it('sorts run_2 before run_10', () => {
    expect(naturalSort(['run_10', 'run_2', 'Run_1'])).toEqual([
      'Run_1',
      'run_2',
      'run_10'
    ]);
  });

  it('compares from the older snapshot to the newer, whichever was picked first', () => {
    const newer = { id: 'b', time: '2026-01-02T00:00:00Z' };
    const older = { id: 'a', time: '2026-01-01T00:00:00Z' };
    expect(comparisonOrder(newer, older)).toEqual({ older: 'a', newer: 'b' });
    expect(comparisonOrder(older, newer)).toEqual({ older: 'a', newer: 'b' });
    expect(comparisonOrder(newer, undefined)).toEqual({ older: 'b' });
  });

  it('shows a local repository as its folder', () => {
    expect(shownLocation('file:///tmp/my%20repo')).toBe('/tmp/my repo');
    expect(shownLocation('s3://bucket/prefix')).toBe('s3://bucket/prefix');
  });
});

const english = nullTranslator.load('sagemaker_studio_backup');

/** A catalogue of a language with three plural forms (as Polish: 1, 2–4, 5+), msgids as keys. */
function threeForms(): TranslationBundle {
  const form = (n: number) =>
    n === 1 ? 0 : n % 10 >= 2 && n % 10 <= 4 ? 1 : 2;
  const plurals: Record<string, string[]> = {
    '%1 file will be overwritten': [
      '%1 plik nadpisany',
      '%1 pliki nadpisane',
      '%1 plików nadpisanych'
    ],
    '%1 file will be restored': [
      '%1 plik przywrócony',
      '%1 pliki przywrócone',
      '%1 plików przywróconych'
    ],
    '%1 item': ['%1 element', '%1 elementy', '%1 elementów']
  };
  const fill = (text: string, args: unknown[]) =>
    args.reduce<string>((t, a, i) => t.replace(`%${i + 1}`, String(a)), text);
  return {
    ...english,
    __: (msgid: string, ...args: unknown[]) =>
      fill(
        {
          '%1 restored': '%1 przywrócono',
          '%1 already identical': '%1 bez zmian'
        }[msgid] ?? msgid,
        args
      ),
    _n: (singular: string, plural: string, n: number, ...args: unknown[]) =>
      fill(plurals[singular]?.[form(n)] ?? (n === 1 ? singular : plural), [
        n,
        ...args
      ])
  } as TranslationBundle;
}

describe('the words of the restore dialogs', () => {
  it('summarise a dry run in English, singular and plural right', () => {
    expect(planSummary(english, plan({ overwrite: 3, restore: 12 }))).toBe(
      '3 files will be overwritten, 12 restored'
    );
    expect(planSummary(english, plan({ restore: 1 }))).toBe(
      '1 file will be restored'
    );
    expect(planSummary(english, plan({ restore: 2, unchanged: 5 }))).toBe(
      '2 files will be restored, 5 already identical'
    );
    expect(planSummary(english, plan({}))).toBe('0 files will be restored');
  });

  it('go through the translation catalogue, with its plural forms', () => {
    const trans = threeForms();
    expect(planSummary(trans, plan({ overwrite: 3, restore: 12 }))).toBe(
      '3 pliki nadpisane, 12 przywrócono'
    );
    expect(planSummary(trans, plan({ restore: 5, unchanged: 1 }))).toBe(
      '5 plików przywróconych, 1 bez zmian'
    );
    expect(describePaths(trans, ['a', 'b', 'c'])).toBe('3 elementy');
    expect(describePaths(trans, new Array(5).fill('x'))).toBe('5 elementów');
    expect(describePaths(english, ['notes.md'])).toBe('notes.md');
  });
});
