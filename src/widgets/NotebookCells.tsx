/**
 * Notebooks shown as notebooks: an old version with its outputs, and two versions compared cell by
 * cell. Outputs and Markdown go through JupyterLab's own rendermime and output area, untrusted
 * (HTML sanitised, no scripts run), read-only (no kernel).
 */
import type * as nbformat from '@jupyterlab/nbformat';
import { OutputArea, OutputAreaModel } from '@jupyterlab/outputarea';
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import * as React from 'react';
import type { ICell, ICellChange } from '../notebookDiff';
import { DiffLines } from './DiffLines';

/** A Lumino widget made for a React element's node, disposed with it. */
function useLuminoWidget(make: () => Widget, deps: unknown[]) {
  const ref = React.useRef<HTMLDivElement>(null);
  React.useEffect(() => {
    const widget = make();
    Widget.attach(widget, ref.current!);
    return () => widget.dispose();
  }, deps);
  return ref;
}

/**
 * A cell's outputs. Rendermime's image outputs carry no alt text (a notebook output has none to
 * give), so each image is named after its cell: screen readers announce it, axe-core passes.
 */
function Outputs(props: {
  outputs: nbformat.IOutput[];
  rendermime: IRenderMimeRegistry;
  imageAlt: string;
}): JSX.Element {
  const ref = useLuminoWidget(() => {
    const model = new OutputAreaModel({
      values: props.outputs,
      trusted: false
    });
    const area = new OutputArea({ model, rendermime: props.rendermime });
    const name = () =>
      area.node
        .querySelectorAll('img:not([alt])')
        .forEach(img => img.setAttribute('alt', props.imageAlt));
    // Renderers may add their images after the area is attached.
    const observer = new MutationObserver(name);
    observer.observe(area.node, { childList: true, subtree: true });
    name();
    area.disposed.connect(() => {
      observer.disconnect();
      model.dispose();
    });
    return area;
  }, [props.outputs, props.imageAlt]);
  return <div ref={ref} className="jp-StudioBackup-cellOutputs" />;
}

function Markdown(props: {
  source: string;
  rendermime: IRenderMimeRegistry;
}): JSX.Element {
  const ref = useLuminoWidget(() => {
    const renderer = props.rendermime.createRenderer('text/markdown');
    void renderer.renderModel(
      new MimeModel({ data: { 'text/markdown': props.source } })
    );
    return renderer;
  }, [props.source]);
  return <div ref={ref} className="jp-StudioBackup-cellMarkdown" />;
}

function Cell(props: {
  cell: ICell;
  rendermime: IRenderMimeRegistry;
  imageAlt: string;
}): JSX.Element {
  const { cell, rendermime, imageAlt } = props;
  if (cell.type === 'markdown') {
    return <Markdown source={cell.source} rendermime={rendermime} />;
  }
  return (
    <>
      <pre className="jp-StudioBackup-cellSource">{cell.source}</pre>
      {cell.outputs.length > 0 && (
        <Outputs
          outputs={cell.outputs}
          rendermime={rendermime}
          imageAlt={imageAlt}
        />
      )}
    </>
  );
}

/** An old version of a notebook, each cell with its outputs. */
export function NotebookPreview(props: {
  cells: ICell[];
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <div className="jp-StudioBackup-notebook">
      {props.cells.map((cell, i) => (
        <section key={i} className="jp-StudioBackup-cell">
          <Cell
            cell={cell}
            rendermime={props.rendermime}
            imageAlt={props.trans.__('Output of cell %1', i + 1)}
          />
        </section>
      ))}
    </div>
  );
}

/** Two versions cell by cell: what was added, removed, edited or moved, with the outputs. */
export function NotebookDiff(props: {
  changes: ICellChange[];
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}): JSX.Element {
  const { changes, rendermime, trans } = props;
  const edited = changes.filter(c => c.kind !== 'same').length;
  const label = (c: ICellChange, n: number): string => {
    if (c.kind === 'same' && c.moved) {
      return trans.__('Cell %1: moved', n);
    }
    if (c.kind === 'added' || c.kind === 'removed' || c.kind === 'same') {
      return {
        added: trans.__('Cell %1: added', n),
        removed: trans.__('Cell %1: removed', n),
        same: trans.__('Cell %1: unchanged', n)
      }[c.kind];
    }
    const edited = c.source.some(line => line.kind !== 'same');
    const what =
      edited && c.outputsChanged
        ? trans.__('edited, outputs changed')
        : edited
          ? trans.__('edited')
          : c.outputsChanged
            ? trans.__('outputs changed')
            : trans.__('cell type changed');
    return c.moved
      ? trans.__('Cell %1: moved, %2', n, what)
      : trans.__('Cell %1: %2', n, what);
  };
  return (
    <div className="jp-StudioBackup-notebook jp-StudioBackup-notebookDiff">
      <p>
        {edited === 0
          ? trans.__('No cell differs.')
          : trans._n('%1 cell differs.', '%1 cells differ.', edited)}
      </p>
      {changes.map((c, i) => (
        <section
          key={i}
          className={`jp-StudioBackup-cell jp-StudioBackup-cell-${c.kind}`}
          aria-label={label(c, i + 1)}
        >
          <h3 className="jp-StudioBackup-cellHeader">{label(c, i + 1)}</h3>
          {c.kind === 'same' ? (
            <Cell
              cell={c.after!}
              rendermime={rendermime}
              imageAlt={trans.__('Output of cell %1', i + 1)}
            />
          ) : (
            <DiffLines lines={c.source} />
          )}
          {c.outputsChanged ? (
            <div className="jp-StudioBackup-outputsCompared">
              <div>
                <h4>{trans.__('Outputs in the snapshot')}</h4>
                <Outputs
                  outputs={c.before!.outputs}
                  rendermime={rendermime}
                  imageAlt={trans.__(
                    'Output of cell %1 in the snapshot',
                    i + 1
                  )}
                />
              </div>
              <div>
                <h4>{trans.__('Outputs now')}</h4>
                <Outputs
                  outputs={c.after!.outputs}
                  rendermime={rendermime}
                  imageAlt={trans.__('Output of cell %1 now', i + 1)}
                />
              </div>
            </div>
          ) : (
            c.kind !== 'same' &&
            (c.after ?? c.before)!.outputs.length > 0 && (
              <Outputs
                outputs={(c.after ?? c.before)!.outputs}
                rendermime={rendermime}
                imageAlt={trans.__('Output of cell %1', i + 1)}
              />
            )
          )}
        </section>
      ))}
    </div>
  );
}
