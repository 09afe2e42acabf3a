import * as React from 'react';
import type { IBackupsContext } from '../context';
import { ICell, notebookAsText, parseNotebook } from '../notebookDiff';
import { previewKind } from '../preview';
import { NotebookPreview } from './NotebookCells';
import { download } from './mainArea';

type Loaded =
  | { state: 'loading' }
  | { state: 'text'; text: string }
  | { state: 'image'; url: string }
  | { state: 'notebook'; cells: ICell[] }
  | { state: 'error'; message: string };

/** A read-only look at one file of a snapshot: text, a notebook's cells, or an image. */
export function PreviewView(props: {
  ctx: IBackupsContext;
  snapshot: string;
  path: string;
}): JSX.Element {
  const { ctx, snapshot, path } = props;
  const trans = ctx.trans;
  const [loaded, setLoaded] = React.useState<Loaded>({ state: 'loading' });
  React.useEffect(() => {
    let url: string | undefined;
    ctx.client
      .file(snapshot, path, true)
      .then(async blob => {
        const kind = previewKind(path);
        if (kind === 'image') {
          url = URL.createObjectURL(blob);
          setLoaded({ state: 'image', url });
        } else {
          const text = await blob.text();
          const cells =
            kind === 'notebook' && ctx.rendermime
              ? parseNotebook(text)
              : undefined;
          if (cells) {
            setLoaded({ state: 'notebook', cells });
            return;
          }
          setLoaded({
            state: 'text',
            text: kind === 'notebook' ? notebookAsText(text) : text
          });
        }
      })
      .catch(err =>
        setLoaded({
          state: 'error',
          message: err instanceof Error ? err.message : String(err)
        })
      );
    return () => {
      if (url) {
        URL.revokeObjectURL(url);
      }
    };
  }, [snapshot, path]);
  return (
    <div className="jp-StudioBackup-preview">
      <div className="jp-StudioBackup-viewHeader">
        <span>
          {trans.__(
            '%1 in snapshot %2 (read-only)',
            path,
            snapshot.slice(0, 8)
          )}
        </span>
        <button
          className="jp-Button jp-mod-styled jp-StudioBackup-download"
          onClick={() => void download(ctx, snapshot, path)}
        >
          {trans.__('Download')}
        </button>
      </div>
      {loaded.state === 'loading' && <p>{trans.__('Loading…')}</p>}
      {loaded.state === 'error' && (
        <div className="jp-StudioBackup-banner jp-mod-error" role="alert">
          {loaded.message}
        </div>
      )}
      {loaded.state === 'text' && (
        <pre className="jp-StudioBackup-previewText">{loaded.text}</pre>
      )}
      {loaded.state === 'notebook' && ctx.rendermime && (
        <NotebookPreview cells={loaded.cells} rendermime={ctx.rendermime} />
      )}
      {loaded.state === 'image' && (
        <img
          className="jp-StudioBackup-previewImage"
          src={loaded.url}
          alt={path}
        />
      )}
    </div>
  );
}
