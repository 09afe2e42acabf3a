import { Button, InputGroup } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { IBackupsContext } from '../context';
import { SearchModel } from '../search';
import { FileActions } from './FileActions';
import { formatSize, formatTime } from './format';
import { restoreWithDialogs } from './restoreFlow';

/** Files found by name in every snapshot, each with its versions: preview, compare, restore. */
export function SearchView(props: {
  ctx: IBackupsContext;
  initial?: string;
}): JSX.Element {
  const { ctx } = props;
  const trans = ctx.trans;
  const model = React.useMemo(() => new SearchModel(ctx.client), [ctx]);
  const [pattern, setPattern] = React.useState(props.initial ?? '');
  const [, redraw] = React.useReducer((n: number) => n + 1, 0);
  React.useEffect(() => {
    model.changed.connect(redraw);
    if (props.initial) {
      void model.search(props.initial);
    }
    return () => {
      model.changed.disconnect(redraw);
    };
  }, [model]);
  const result = model.result;
  const versionCount = result
    ? result.paths.reduce((n, p) => n + p.versions.length, 0)
    : 0;
  return (
    <div
      className="jp-StudioBackup-search"
      aria-label={trans.__('Find in every snapshot')}
    >
      <form
        className="jp-StudioBackup-searchForm"
        role="search"
        onSubmit={event => {
          event.preventDefault();
          if (pattern.trim()) {
            void model.search(pattern.trim());
          }
        }}
      >
        <InputGroup
          className="jp-StudioBackup-searchInput"
          type="search"
          value={pattern}
          placeholder={trans.__('A name or a pattern, e.g. *.ipynb')}
          aria-label={trans.__('Name or pattern to find')}
          rightIcon="ui-components:search"
          onChange={event => setPattern(event.currentTarget.value)}
        />
        <Button type="submit" className="jp-mod-styled jp-mod-accept">
          {trans.__('Find')}
        </Button>
      </form>
      {model.busy && <p role="status">{trans.__('Searching…')}</p>}
      {model.error && (
        <div className="jp-StudioBackup-banner jp-mod-error" role="alert">
          {model.error}
        </div>
      )}
      {result && !model.busy && (
        <p role="status">
          {result.paths.length === 0
            ? trans._n(
                'No file matches %2 in %1 snapshot.',
                'No file matches %2 in %1 snapshots.',
                result.snapshots,
                model.pattern
              )
            : trans._n(
                '%2, %3, in %1 snapshot.',
                '%2, %3, in %1 snapshots.',
                result.snapshots,
                trans._n('%1 path', '%1 paths', result.paths.length),
                trans._n('%1 version', '%1 versions', versionCount)
              )}
          {result.truncated &&
            ' ' +
              trans.__(
                'Only the first %1 are listed: narrow the pattern.',
                result.paths.length
              )}
        </p>
      )}
      {result?.paths.map(found => (
        <section key={found.path} className="jp-StudioBackup-found">
          <h3 className="jp-StudioBackup-foundPath">{found.path}</h3>
          <ul className="jp-StudioBackup-foundVersions">
            {found.versions.map(v => (
              <li key={v.snapshot} className="jp-StudioBackup-foundVersion">
                <span className="jp-StudioBackup-versionTime">
                  {formatTime(v.time)}
                </span>
                <span className="jp-StudioBackup-versionSize">
                  {v.type === 'file' ? formatSize(v.size) : trans.__('folder')}
                </span>
                {v.type === 'file' && (
                  <FileActions
                    ctx={ctx}
                    snapshot={v.snapshot}
                    path={found.path}
                  />
                )}
                <Button
                  minimal
                  className="jp-StudioBackup-restoreFound"
                  onClick={() =>
                    void restoreWithDialogs(ctx, {
                      snapshot: v.snapshot,
                      shortId: v.shortId,
                      paths: [found.path],
                      askTarget: true
                    })
                  }
                >
                  {trans.__('Restore…')}
                </Button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
