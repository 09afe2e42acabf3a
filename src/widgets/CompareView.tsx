import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { IBackupsContext } from '../context';
import { loadFileComparison } from '../fileViews';
import { comparisonOrder, naturalSort } from '../preview';
import { DiffLines } from './DiffLines';
import { FileActions } from './FileActions';
import { NotebookDiff } from './NotebookCells';
import { restoreWithDialogs } from './restoreFlow';
import { useLoaded } from './useLoaded';

const SHOWN = 500;

/** Every folder above the paths (a removed or added folder is listed with what it held). */
function foldersOf(paths: string[]): Set<string> {
  const folders = new Set<string>();
  for (const p of paths) {
    for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) {
      folders.add(p.slice(0, i));
    }
  }
  return folders;
}

/**
 * One list of the comparison, sorted as a person sorts; each entry with the actions of the
 * snapshot browser (preview, compare with the current file, restore), read from `holder`, the
 * snapshot that has the entry (none for what only the current home has).
 */
function PathList(props: {
  ctx: IBackupsContext;
  title: string;
  paths: string[];
  className: string;
  holder?: string;
}): JSX.Element {
  const { ctx, paths, holder } = props;
  const trans = ctx.trans;
  const folders = React.useMemo(() => foldersOf(paths), [paths]);
  const sorted = React.useMemo(() => naturalSort(paths), [paths]);
  const shortId = holder?.slice(0, 8) ?? '';
  return (
    <section className={`jp-StudioBackup-diffGroup ${props.className}`}>
      <h3>
        {props.title} ({paths.length})
      </h3>
      <ul>
        {sorted.slice(0, SHOWN).map(p => (
          <li key={p} className="jp-StudioBackup-diffEntry" data-path={p}>
            <span className="jp-StudioBackup-diffPath">{p}</span>
            {holder && (
              <span className="jp-StudioBackup-diffActions">
                {!folders.has(p) && (
                  <FileActions ctx={ctx} snapshot={holder} path={p} />
                )}
                <Button
                  minimal
                  className="jp-StudioBackup-restore"
                  title={trans.__('Restore %1 from snapshot %2', p, shortId)}
                  aria-label={trans.__('Restore %1', p)}
                  onClick={() =>
                    void restoreWithDialogs(ctx, {
                      snapshot: holder,
                      shortId,
                      paths: [p],
                      askTarget: true
                    })
                  }
                >
                  {trans.__('Restore')}
                </Button>
              </span>
            )}
          </li>
        ))}
      </ul>
      {paths.length > SHOWN && (
        <p>{trans.__('and %1 more', paths.length - SHOWN)}</p>
      )}
    </section>
  );
}

/** What changed from a snapshot to the current home, or to another snapshot. */
export function SnapshotCompareView(props: {
  ctx: IBackupsContext;
  from: string;
}): JSX.Element {
  const { ctx, from } = props;
  const trans = ctx.trans;
  const [to, setTo] = React.useState('');
  const snapshot = (id: string) =>
    ctx.snapshots.snapshots.find(s => s.id === id);
  const order = comparisonOrder(
    snapshot(from) ?? { id: from, time: '' },
    to ? (snapshot(to) ?? { id: to, time: '' }) : undefined
  );
  const [loaded] = useLoaded(
    () => ctx.client.diff(order.older, order.newer),
    [order.older, order.newer]
  );
  const result = loaded.state === 'ready' ? loaded.value : undefined;
  const others = ctx.snapshots.snapshots.filter(s => s.id !== from);
  return (
    <div className="jp-StudioBackup-compare">
      <div className="jp-StudioBackup-viewHeader">
        <label>
          {trans.__('Snapshot %1 compared with', from.slice(0, 8))}{' '}
          <select
            className="jp-StudioBackup-compareTo"
            value={to}
            onChange={event => setTo(event.target.value)}
          >
            <option value="">{trans.__('the current home')}</option>
            {others.map(s => (
              <option key={s.id} value={s.id}>
                {trans.__(
                  'snapshot %1 (%2)',
                  s.shortId,
                  new Date(s.time).toLocaleString()
                )}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="jp-StudioBackup-compareDirection">
        {order.newer
          ? trans.__(
              'What changed from snapshot %1 to the newer %2.',
              order.older.slice(0, 8),
              order.newer.slice(0, 8)
            )
          : trans.__(
              'What changed from snapshot %1 to the current home.',
              order.older.slice(0, 8)
            )}
      </p>
      {loaded.state === 'loading' && <p>{trans.__('Comparing…')}</p>}
      {loaded.state === 'error' && (
        <div className="jp-StudioBackup-banner jp-mod-error" role="alert">
          {loaded.message}
        </div>
      )}
      {result && (
        <>
          <PathList
            ctx={ctx}
            title={trans.__('Added')}
            className="jp-StudioBackup-added"
            paths={result.added}
            holder={order.newer}
          />
          <PathList
            ctx={ctx}
            title={trans.__('Removed')}
            className="jp-StudioBackup-removed"
            paths={result.removed}
            holder={order.older}
          />
          <PathList
            ctx={ctx}
            title={trans.__('Changed')}
            className="jp-StudioBackup-changed"
            paths={result.changed}
            holder={from}
          />
        </>
      )}
    </div>
  );
}

/** A snapshot's version of a file against the current one, line by line (notebooks as cell text). */
export function FileCompareView(props: {
  ctx: IBackupsContext;
  snapshot: string;
  path: string;
}): JSX.Element {
  const { ctx, snapshot, path } = props;
  const trans = ctx.trans;
  const [loaded] = useLoaded(
    () =>
      loadFileComparison(
        ctx.client,
        p =>
          ctx.contents
            .get(p, { content: true, type: 'file', format: 'text' })
            .then(model => String(model.content)),
        snapshot,
        path,
        !!ctx.rendermime
      ),
    [snapshot, path]
  );
  const compared = loaded.state === 'ready' ? loaded.value : undefined;
  return (
    <div className="jp-StudioBackup-compare">
      <div className="jp-StudioBackup-viewHeader">
        {trans.__(
          '%1: snapshot %2 (−) and now (+)',
          path,
          snapshot.slice(0, 8)
        )}
      </div>
      {loaded.state === 'loading' && <p>{trans.__('Comparing…')}</p>}
      {loaded.state === 'error' && (
        <div className="jp-StudioBackup-banner jp-mod-error" role="alert">
          {loaded.message}
        </div>
      )}
      {compared?.kind === 'lines' && <DiffLines lines={compared.lines} />}
      {compared?.kind === 'cells' && ctx.rendermime && (
        <NotebookDiff
          changes={compared.cells}
          rendermime={ctx.rendermime}
          trans={trans}
        />
      )}
    </div>
  );
}
