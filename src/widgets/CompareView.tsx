import * as React from 'react';
import type { DiffResponse } from '@studio-backup/lcc/contract';
import type { IBackupsContext } from '../context';
import { diffNotebooks, ICellChange, notebookAsText } from '../notebookDiff';
import { IDiffLine, lineDiff, previewKind } from '../preview';
import { DiffLines } from './DiffLines';
import { NotebookDiff } from './NotebookCells';

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
        {props.paths.slice(0, SHOWN).map(p => (
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
  const [result, setResult] = React.useState<DiffResponse | string | null>(
    null
  );
  React.useEffect(() => {
    setResult(null);
    ctx.client
      .diff(from, to || undefined)
      .then(setResult)
      .catch(err =>
        setResult(err instanceof Error ? err.message : String(err))
      );
  }, [from, to]);
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
      {result === null && <p>{trans.__('Comparing…')}</p>}
      {typeof result === 'string' && (
        <div className="jp-StudioBackup-banner jp-mod-error" role="alert">
          {result}
        </div>
      )}
      {result && typeof result === 'object' && (
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
  const [lines, setLines] = React.useState<IDiffLine[] | string | null>(null);
  const [cells, setCells] = React.useState<ICellChange[] | undefined>();
  React.useEffect(() => {
    const notebook = previewKind(path) === 'notebook';
    const asText = (text: string) => (notebook ? notebookAsText(text) : text);
    Promise.all([
      ctx.client.file(snapshot, path, true).then(blob => blob.text()),
      ctx.contents
        .get(path, { content: true, type: 'file', format: 'text' })
        .then(model => String(model.content))
        .catch(() => '')
    ])
      .then(([before, after]) => {
        // A notebook is compared cell by cell, with its outputs, when both versions parse.
        const byCell =
          notebook && ctx.rendermime ? diffNotebooks(before, after) : undefined;
        setCells(byCell);
        setLines(byCell ? [] : lineDiff(asText(before), asText(after)));
      })
      .catch(err => setLines(err instanceof Error ? err.message : String(err)));
  }, [snapshot, path]);
  return (
    <div className="jp-StudioBackup-compare">
      <div className="jp-StudioBackup-viewHeader">
        {trans.__(
          '%1: snapshot %2 (−) and now (+)',
          path,
          snapshot.slice(0, 8)
        )}
      </div>
      {lines === null && <p>{trans.__('Comparing…')}</p>}
      {typeof lines === 'string' && (
        <div className="jp-StudioBackup-banner jp-mod-error" role="alert">
          {lines}
        </div>
      )}
      {Array.isArray(lines) && <DiffLines lines={lines} />}
      {cells && ctx.rendermime && (
        <NotebookDiff
          changes={cells}
          rendermime={ctx.rendermime}
          trans={trans}
        />
      )}
    </div>
  );
}
