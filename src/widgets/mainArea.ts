import { MainAreaWidget, ReactWidget } from '@jupyterlab/apputils';
import type { LabIcon } from '@jupyterlab/ui-components';
import type { IBackupsContext } from '../context';

/** Opens a view in a main-area tab, or brings back the tab already showing it. */
export function openInMainArea(
  ctx: IBackupsContext,
  id: string,
  label: string,
  icon: LabIcon,
  render: () => JSX.Element
): MainAreaWidget {
  for (const widget of ctx.shell.widgets('main')) {
    if (widget.id === id && widget instanceof MainAreaWidget) {
      ctx.shell.activateById(id);
      return widget;
    }
  }
  const content = ReactWidget.create(render());
  content.addClass('jp-StudioBackup-view');
  const widget = new MainAreaWidget({ content });
  widget.id = id;
  widget.title.label = label;
  widget.title.icon = icon;
  widget.title.closable = true;
  ctx.shell.add(widget, 'main');
  ctx.shell.activateById(id);
  return widget;
}

/** Saves a snapshot's file through the browser's download. */
export async function download(
  ctx: IBackupsContext,
  snapshot: string,
  path: string
): Promise<void> {
  const blob = await ctx.client.file(snapshot, path);
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = path.slice(path.lastIndexOf('/') + 1);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
