import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { IBackupsContext } from '../context';
import { loadPreview } from '../fileViews';
import { NotebookPreview } from './NotebookCells';
import { download } from './mainArea';
import { useLoaded } from './useLoaded';

/** A read-only look at one file of a snapshot: text, a notebook's cells, or an image. */
export function PreviewView(props: {
  ctx: IBackupsContext;
  snapshot: string;
  path: string;
}): JSX.Element {
  const { ctx, snapshot, path } = props;
  const trans = ctx.trans;
  const [loaded] = useLoaded(
    () => loadPreview(ctx.client, snapshot, path, !!ctx.rendermime),
    [snapshot, path]
  );
  const preview = loaded.state === 'ready' ? loaded.value : undefined;
  const url = React.useMemo(
    () =>
      preview?.kind === 'image' ? URL.createObjectURL(preview.blob) : undefined,
    [preview]
  );
  React.useEffect(
    () => () => {
      if (url) {
        URL.revokeObjectURL(url);
      }
    },
    [url]
  );
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
        <Button
          className="jp-mod-styled jp-StudioBackup-download"
          onClick={() => void download(ctx, snapshot, path)}
        >
          {trans.__('Download')}
        </Button>
      </div>
      {loaded.state === 'loading' && <p>{trans.__('Loading…')}</p>}
      {loaded.state === 'error' && (
        <div className="jp-StudioBackup-banner jp-mod-error" role="alert">
          {loaded.message}
        </div>
      )}
      {preview?.kind === 'text' && (
        <pre className="jp-StudioBackup-previewText">{preview.text}</pre>
      )}
      {preview?.kind === 'notebook' && ctx.rendermime && (
        <NotebookPreview
          cells={preview.cells}
          rendermime={ctx.rendermime}
          trans={trans}
        />
      )}
      {url && (
        <img className="jp-StudioBackup-previewImage" src={url} alt={path} />
      )}
    </div>
  );
}
