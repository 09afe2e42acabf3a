/**
 * After a restore into the original place, the tabs of restored files show the restored version:
 * a stale tab's next save would offer to overwrite the restore. Unsaved edits are not dropped
 * silently: the user is asked, with Reload as the default.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { IBackupsContext } from './context';

export async function reloadRestoredDocuments(
  ctx: IBackupsContext,
  paths: Set<string>
): Promise<void> {
  const manager = ctx.fileBrowser?.model.manager;
  if (!manager || paths.size === 0) {
    return;
  }
  const trans = ctx.trans;
  const contexts = new Set(
    Array.from(ctx.shell.widgets('main'))
      .map(widget => manager.contextForWidget(widget))
      .filter(context => context !== undefined && paths.has(context.path))
  );
  for (const context of contexts) {
    if (!context) {
      continue;
    }
    if (context.model.dirty) {
      const answer = await showDialog({
        title: trans.__('%1 has unsaved changes', context.path),
        body: trans.__(
          'Its file was just restored. Reload shows the restored version and discards the unsaved changes; Keep my changes leaves the tab as it is, and saving it would write over the restored file.'
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Keep my changes') }),
          Dialog.okButton({ label: trans.__('Reload') })
        ]
      });
      if (!answer.button.accept) {
        continue;
      }
    }
    await context.revert();
  }
}
