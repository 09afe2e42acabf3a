import type {
  Job,
  SnapshotSummary,
  StatusResponse
} from '@studio-backup/lcc/contract';
import {
  ago,
  filterEntries,
  groupByDay,
  IBackupsSource,
  protectionLine,
  snapshotRows,
  SnapshotsModel
} from '../snapshots';

const at = (iso: string, id = iso): SnapshotSummary => ({
  id,
  shortId: id.slice(0, 8),
  time: new Date(iso).toISOString(),
  kind: 'studio-backup',
  complete: true,
  tags: []
});
const status = (over: Partial<StatusResponse> = {}): StatusResponse => ({
  version: '1',
  repository: 'file:///r',
  home: '/h',
  lastBackup: null,
  nextBackup: null,
  running: null,
  ...over
});
const job = (over: Partial<Job> = {}): Job => ({
  id: 'j1',
  kind: 'backup',
  state: 'running',
  started: '2026-01-01T00:00:00Z',
  warnings: [],
  ...over
});

describe('groupByDay', () => {
  it('groups newest first into Today, Yesterday and dates', () => {
    const now = new Date(2026, 0, 10, 12, 0);
    const groups = groupByDay(
      [
        at(new Date(2026, 0, 8, 9).toISOString()),
        at(new Date(2026, 0, 10, 8).toISOString()),
        at(new Date(2026, 0, 9, 23).toISOString()),
        at(new Date(2026, 0, 10, 11).toISOString())
      ],
      now
    );
    expect(groups.map(g => [g.label, g.snapshots.length])).toEqual([
      ['Today', 2],
      ['Yesterday', 1],
      ['2026-01-08', 1]
    ]);
    expect(groups[0].snapshots[0].time > groups[0].snapshots[1].time).toBe(
      true
    );
  });

  it('handles 1,000 snapshots', () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      at(new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString(), `s${i}`)
    );
    const groups = groupByDay(many, new Date(Date.UTC(2026, 2, 1)));
    expect(groups.reduce((n, g) => n + g.snapshots.length, 0)).toBe(1000);
    expect(groups.length).toBeGreaterThanOrEqual(41);
  });
});

describe('protectionLine', () => {
  const now = new Date('2026-01-10T12:00:00Z');
  it('says how old the last backup is and when the next one comes', () => {
    expect(
      protectionLine(
        status({ nextBackup: '2026-01-10T12:46:00Z' }),
        null,
        at('2026-01-10T11:46:00Z'),
        now
      )
    ).toBe('Protected — last backup 14 min ago, next in 46 min');
    expect(ago(new Date('2026-01-08T12:00:00Z'), now)).toBe('2 days ago');
  });
  it('shows progress while backing up and the failure afterwards', () => {
    expect(
      protectionLine(
        status(),
        job({
          progress: {
            phase: 'backup',
            filesTotal: 10,
            bytesTotal: 200,
            filesDone: 5,
            bytesDone: 124,
            bytesNew: 0,
            bytesUploaded: 0
          }
        }),
        undefined,
        now
      )
    ).toBe('Backing up… 62%');
    expect(
      protectionLine(
        status({
          lastBackup: job({
            state: 'failed',
            error: 'Bucket b does not exist: create it or fix --repo.'
          })
        }),
        null,
        at('2026-01-10T11:00:00Z'),
        now
      )
    ).toBe(
      'Last backup failed: Bucket b does not exist: create it or fix --repo.'
    );
    expect(protectionLine(status(), null, undefined, now)).toBe(
      'No backup yet'
    );
  });
});

describe('SnapshotsModel', () => {
  function source(
    over: Partial<IBackupsSource> = {}
  ): IBackupsSource & { list: SnapshotSummary[] } {
    const list: SnapshotSummary[] = [at('2026-01-01T00:00:00Z', 'a')];
    return {
      list,
      status: async () => status(),
      snapshots: async () => [...list],
      startBackup: async () => job(),
      cancelJob: async id => job({ id, state: 'cancelled' }),
      followJob: async (id, onUpdate) => {
        onUpdate(
          job({
            progress: {
              phase: 'backup',
              filesTotal: 1,
              bytesTotal: 10,
              filesDone: 0,
              bytesDone: 5,
              bytesNew: 0,
              bytesUploaded: 0
            }
          })
        );
        list.unshift(at('2026-01-02T00:00:00Z', 'b'));
        return job({ state: 'succeeded' });
      },
      tree: async (snapshot, path) => ({
        snapshot,
        path,
        total: 0,
        nextCursor: null,
        entries: []
      }),
      planRestore: async () => {
        throw new Error('not used');
      },
      startRestore: async () => job({ kind: 'restore' }),
      ...over
    };
  }

  it('a slow answer for a folder left since never replaces the folder opened after it', async () => {
    const answers: Record<string, () => void> = {};
    const model = new SnapshotsModel(
      source({
        tree: (snapshot, path) =>
          new Promise(resolve => {
            answers[path] = () =>
              resolve({
                snapshot,
                path,
                total: 0,
                nextCursor: null,
                entries: []
              });
          })
      })
    );
    const slow = model.browse('a', 'big-folder');
    const fast = model.browse('a', 'small');
    answers.small();
    await fast;
    answers['big-folder']();
    await slow;
    expect(model.browsing?.path).toBe('small');
    // Closed while a folder loads: it stays closed.
    const late = model.browse('a', 'late');
    model.closeBrowser();
    answers.late();
    await late;
    expect(model.browsing).toBeNull();
  });

  it('moving to a snapshot without the browsed folder opens its closest parent there (the timeline)', async () => {
    const held: Record<string, string[]> = {
      old: ['', 'data'],
      new: ['', 'data', 'data/raw']
    };
    const model = new SnapshotsModel(
      source({
        tree: async (snapshot, path) => {
          if (!held[snapshot].includes(path)) {
            throw Object.assign(new Error(`No ${path}`), { status: 404 });
          }
          return { snapshot, path, total: 0, nextCursor: null, entries: [] };
        }
      })
    );
    await model.browse('new', 'data/raw');
    await model.browse('old', 'data/raw', true);
    expect(model.browsing).toMatchObject({ snapshot: 'old', path: 'data' });
    expect(model.error).toBeNull();
    // Without it, a missing folder is an error and the folder shown stays.
    await model.browse('old', 'data/raw/x');
    expect(model.error).toBe('No data/raw/x');
    expect(model.browsing).toMatchObject({ snapshot: 'old', path: 'data' });
  });

  it('follows a backup to its end and reloads the snapshots', async () => {
    const model = new SnapshotsModel(source());
    await model.refresh();
    expect(model.snapshots.map(s => s.id)).toEqual(['a']);
    const seen: string[] = [];
    model.changed.connect(() => seen.push(model.job?.state ?? 'none'));
    const done = await model.backupNow();
    expect(done?.state).toBe('succeeded');
    expect(seen).toContain('running');
    expect(model.snapshots.map(s => s.id)).toEqual(['b', 'a']);
  });

  it('turns a refused start into one line instead of throwing', async () => {
    const model = new SnapshotsModel(
      source({
        startBackup: async () => {
          throw new Error(
            'A backup is already running (job x): wait for it or cancel it.'
          );
        }
      })
    );
    expect(await model.backupNow()).toBeNull();
    expect(model.error).toBe(
      'A backup is already running (job x): wait for it or cancel it.'
    );
  });

  it('browses a folder page by page and goes back to the list', async () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({
      name: `f${i}`,
      path: `dir/f${i}`,
      type: 'file' as const,
      size: i
    }));
    const model = new SnapshotsModel(
      source({
        tree: async (snapshot, path, cursor) => {
          const start = Number(cursor ?? 0);
          return {
            snapshot,
            path,
            total: 5,
            nextCursor: start + 2 < 5 ? String(start + 2) : null,
            entries: entries.slice(start, start + 2)
          };
        }
      })
    );
    await model.browse('a', 'dir');
    expect(model.browsing?.entries.map(e => e.name)).toEqual(['f0', 'f1']);
    await model.more();
    await model.more();
    expect(model.browsing?.entries.map(e => e.name)).toEqual([
      'f0',
      'f1',
      'f2',
      'f3',
      'f4'
    ]);
    expect(model.browsing?.nextCursor).toBeNull();
    model.closeBrowser();
    expect(model.browsing).toBeNull();
  });

  it('loads one page at a time even when the list asks again while loading', async () => {
    let calls = 0;
    const model = new SnapshotsModel(
      source({
        tree: async (snapshot, path, cursor) => {
          calls++;
          await new Promise(resolve => setTimeout(resolve, 10));
          const start = Number(cursor ?? 0);
          return {
            snapshot,
            path,
            total: 4,
            nextCursor: start === 0 ? '2' : null,
            entries: [start, start + 1].map(i => ({
              name: `f${i}`,
              path: `f${i}`,
              type: 'file' as const,
              size: 1
            }))
          };
        }
      })
    );
    await model.browse('a');
    await Promise.all([model.more(), model.more(), model.more()]);
    expect(calls).toBe(2);
    expect(model.browsing?.entries.map(e => e.name)).toEqual([
      'f0',
      'f1',
      'f2',
      'f3'
    ]);
  });

  it('ticks entries for a multi-selection and forgets them in another folder', async () => {
    const model = new SnapshotsModel(source());
    await model.browse('a', 'dir');
    model.toggleSelected('dir/x');
    model.toggleSelected('dir/y');
    model.toggleSelected('dir/x');
    expect([...model.selected]).toEqual(['dir/y']);
    await model.browse('a', 'other');
    expect(model.selected.size).toBe(0);
  });

  it('shows the restore job while it runs and clears it when the agent goes away', async () => {
    const states: Array<string | null> = [];
    const model = new SnapshotsModel(
      source({
        followJob: async (id, onUpdate) => {
          onUpdate(job({ id, kind: 'restore' }));
          throw new Error(
            'The backup agent went away during the job: it will show again when the agent is back.'
          );
        }
      })
    );
    model.changed.connect(() => states.push(model.restoreJob?.state ?? null));
    await expect(
      model.restore({
        snapshot: 'a',
        paths: [],
        target: 'side',
        conflict: 'skip'
      })
    ).rejects.toThrow('went away');
    expect(states).toContain('running');
    expect(model.restoreJob).toBeNull();
  });

  it('cancels the running backup through the agent', async () => {
    const cancelled: string[] = [];
    let finish: (j: Job) => void = () => undefined;
    const model = new SnapshotsModel(
      source({
        startBackup: async () => job({ id: 'j9' }),
        cancelJob: async id => {
          cancelled.push(id);
          finish(job({ id, state: 'cancelled' }));
          return job({ id, state: 'cancelled' });
        },
        followJob: (id, onUpdate) =>
          new Promise(resolve => {
            onUpdate(job({ id }));
            finish = resolve;
          })
      })
    );
    const lines: string[] = [];
    model.changed.connect(() =>
      lines.push(
        protectionLine(
          model.status,
          model.job,
          model.snapshots[0],
          new Date('2026-01-01T00:05:00Z'),
          undefined,
          model.cancelling
        )
      )
    );
    const running = model.backupNow();
    await new Promise(resolve => setTimeout(resolve, 0));
    await model.cancelBackup();
    expect((await running)?.state).toBe('cancelled');
    expect(cancelled).toEqual(['j9']);
    // The panel says so at once, then once the agent stopped it; a second click does nothing.
    expect(lines).toContain('Cancelling the backup…');
    expect(lines[lines.length - 1]).toBe(
      'Backup cancelled: nothing new saved, last backup 5 min ago'
    );
    expect(model.cancelling).toBe(false);
  });
});

describe('rows of the virtualized lists', () => {
  it('flattens day groups into headings followed by their snapshots', () => {
    const now = new Date(2026, 0, 10, 12, 0);
    const rows = snapshotRows(
      groupByDay(
        [
          at(new Date(2026, 0, 9, 8).toISOString(), 'y'),
          at(new Date(2026, 0, 10, 8).toISOString(), 't1'),
          at(new Date(2026, 0, 10, 9).toISOString(), 't2')
        ],
        now
      )
    );
    expect(rows.map(r => (r.kind === 'day' ? r.label : r.snapshot.id))).toEqual(
      ['Today', 't2', 't1', 'Yesterday', 'y']
    );
  });

  it('filters folder entries by name, ignoring case', () => {
    const entries = ['Report.ipynb', 'data', 'report-old.csv'].map(name => ({
      name,
      path: name,
      type: 'file' as const,
      size: 0
    }));
    expect(filterEntries(entries, ' REPORT ').map(e => e.name)).toEqual([
      'Report.ipynb',
      'report-old.csv'
    ]);
    expect(filterEntries(entries, '')).toHaveLength(3);
  });
});
