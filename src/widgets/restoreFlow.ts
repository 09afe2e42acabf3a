/**
 * Every restore the panel starts goes through here: where to (original place or the side folder),
 * the dry run, the skip / overwrite / keep-both choice when files would be overwritten, the run with
 * its progress in the panel, then the file browser refreshed and a notification to open the result.
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import type { RestorePlanResponse } from '@studio-backup/lcc/contract';
import type { IBackupsContext } from '../context';
import { reloadRestoredDocuments } from '../openDocuments';
import {
  conflicts,
  overwrittenPaths,
  restoredPath,
  writtenInPlace
} from '../restore';
import { describePaths, planSummary } from './planText';
import { errorMessage } from '../errors';

type Target = 'original' | 'side';
type Conflict = 'skip' | 'overwrite' | 'rename';

/** A dialog body with two radio buttons: the original place or restored-files/<snapshot>/. */
class TargetChooser extends Widget implements Dialog.IBodyWidget<Target> {
  constructor(original: string, side: string, checked: Target) {
    super();
    this.addClass('jp-StudioBackup-targetChooser');
    for (const [value, label] of [
      ['side', side],
      ['original', original]
    ]) {
      const row = document.createElement('label');
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'studio-backup-target';
      input.value = value;
      input.checked = value === checked;
      row.append(input, ` ${label}`);
      this.node.append(row);
    }
  }

  getValue(): Target {
    const checked = this.node.querySelector<HTMLInputElement>('input:checked');
    return (checked?.value as Target) ?? 'side';
  }
}

export interface IRestoreOptions {
  snapshot: string;
  shortId: string;
  paths: string[];
  /** Ask where to restore; without it, the restore goes to the original place. */
  askTarget?: boolean;
}

async function chooseConflict(
  ctx: IBackupsContext,
  plan: RestorePlanResponse,
  what: string
): Promise<Conflict | null> {
  const trans = ctx.trans;
  const overwritten = conflicts(plan);
  if (overwritten > 0 && ctx.confirmOverwrite()) {
    const result = await showDialog({
      title: trans.__('Restore %1: files already exist', what),
      body: conflictBody(ctx, plan),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.createButton({
          label: trans.__('Skip'),
          actions: ['skip'],
          className: 'jp-StudioBackup-skip'
        }),
        Dialog.createButton({
          label: trans.__('Keep both'),
          actions: ['rename'],
          className: 'jp-StudioBackup-keepBoth'
        }),
        Dialog.warnButton({
          label: trans.__('Overwrite'),
          actions: ['overwrite'],
          className: 'jp-StudioBackup-overwrite'
        })
      ],
      defaultButton: 1
    });
    // Skip, Keep both and Overwrite each carry their conflict mode; Cancel carries none.
    const action = result.button.actions[0];
    return action === 'skip' || action === 'rename' || action === 'overwrite'
      ? action
      : null;
  }
  const result = await showDialog({
    title: trans.__('Restore %1', what),
    body: trans.__('%1 into %2.', planSummary(trans, plan), plan.target),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Restore') })
    ]
  });
  return result.button.accept ? 'overwrite' : null;
}

const NAMED = 5;

/** The plan's summary, the files that would be overwritten (the first few by name), and the choices. */
function conflictBody(ctx: IBackupsContext, plan: RestorePlanResponse): Widget {
  const trans = ctx.trans;
  const paths = overwrittenPaths(plan);
  const body = new Widget();
  body.addClass('jp-StudioBackup-conflicts');
  const summary = document.createElement('p');
  summary.textContent = trans.__('%1:', planSummary(trans, plan));
  const list = document.createElement('ul');
  for (const path of paths.slice(0, NAMED)) {
    const item = document.createElement('li');
    item.textContent = path;
    list.append(item);
  }
  if (paths.length > NAMED) {
    const more = document.createElement('li');
    more.textContent = trans._n(
      'and %1 more file',
      'and %1 more files',
      paths.length - NAMED
    );
    list.append(more);
  }
  const choices = document.createElement('p');
  choices.textContent = trans.__(
    'Skip keeps your current files; Keep both restores next to them with the snapshot time in the name; Overwrite replaces them.'
  );
  body.node.append(summary, list, choices);
  return body;
}

/** Runs the whole restore conversation; never throws, failures end in a one-line notification. */
export async function restoreWithDialogs(
  ctx: IBackupsContext,
  options: IRestoreOptions
): Promise<void> {
  const trans = ctx.trans;
  const what = describePaths(trans, options.paths);
  try {
    let target: Target = 'original';
    if (options.askTarget) {
      // The original place is the default when the restore would write over nothing.
      const inPlace = await ctx.snapshots.planRestore({
        snapshot: options.snapshot,
        paths: options.paths,
        target: 'original',
        conflict: 'overwrite'
      });
      const where = await showDialog({
        title: trans.__('Restore %1', what),
        body: new TargetChooser(
          trans.__('Its original place in the home'),
          trans.__(
            'restored-files/%1/ (nothing is overwritten)',
            options.shortId
          ),
          conflicts(inPlace) > 0 ? 'side' : 'original'
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.okButton({ label: trans.__('Next') })
        ]
      });
      if (!where.button.accept || where.value === null) {
        return;
      }
      target = where.value;
    }
    const body = { snapshot: options.snapshot, paths: options.paths, target };
    const plan = await ctx.snapshots.planRestore({
      ...body,
      conflict: 'overwrite'
    });
    const conflict = await chooseConflict(ctx, plan, what);
    if (!conflict) {
      return;
    }
    const job = await ctx.snapshots.restore({ ...body, conflict });
    await ctx.fileBrowser?.model.refresh();
    const home = ctx.snapshots.status?.home ?? '';
    if (target === 'original' && job.state === 'succeeded') {
      await reloadRestoredDocuments(ctx, writtenInPlace(plan, home, conflict));
    }
    if (job.state !== 'succeeded') {
      Notification.error(
        trans.__('Restore of %1 failed: %2', what, job.error ?? job.state)
      );
      return;
    }
    const first = options.paths[0];
    const where = first
      ? restoredPath(plan, home, first)
      : restoredPath(plan, home, '').replace(/\/$/, '');
    const isFile =
      options.paths.length === 1 &&
      plan.items.some(i => i.path === first && i.type === 'file');
    const folder = isFile ? where.slice(0, where.lastIndexOf('/') + 1) : where;
    Notification.success(trans.__('Restored %1 into %2', what, plan.target), {
      autoClose: 8000,
      actions: [
        ...(isFile
          ? [
              {
                label: trans.__('Open'),
                callback: () =>
                  void ctx.commands.execute('docmanager:open', { path: where })
              }
            ]
          : []),
        {
          label: trans.__('Show in file browser'),
          callback: () =>
            void ctx.commands.execute('filebrowser:go-to-path', {
              path: isFile ? where : folder || '/'
            })
        }
      ]
    });
  } catch (err) {
    Notification.error(
      trans.__('Restore of %1 failed: %2', what, errorMessage(err))
    );
  }
}
