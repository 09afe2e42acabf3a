import * as React from 'react';
import type { IBackupsContext } from '../context';
import { loadFileComparison } from '../fileViews';
import { comparisonOrder, naturalSort } from '../preview';
import { DiffLines } from './DiffLines';
import { NotebookDiff } from './NotebookCells';
import { useLoaded } from './useLoaded';

const SHOWN = 500;

function PathList(props: {
  title: string;
  paths: string[];
  className: string;
  more: (n: number) => string;
}): JSX.Element {
  return (
    <section className={`jp-StudioBackup-diffGroup ${props.className}`}>
      <h3>
        {props.title} ({props.paths.length})
      </h3>
      <ul>
        {naturalSort(props.paths)
          .slice(0, SHOWN)
          .map(p => (
            <li key={p}>{p}</li>
          ))}
      </ul>
      {props.paths.length > SHOWN && (
        <p>{props.more(props.paths.length - SHOWN)}</p>
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
            title={trans.__('Added')}
            className="jp-StudioBackup-added"
            paths={result.added}
            more={n => trans.__('and %1 more', n)}
          />
          <PathList
            title={trans.__('Removed')}
            className="jp-StudioBackup-removed"
            paths={result.removed}
            more={n => trans.__('and %1 more', n)}
          />
          <PathList
            title={trans.__('Changed')}
            className="jp-StudioBackup-changed"
            paths={result.changed}
            more={n => trans.__('and %1 more', n)}
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
