/**
 * Steps the UI tests share: open the Backups panel, back up now and see the new snapshot; a
 * one-cell notebook to write into the home.
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';

export const PANEL = '#studio-backup-panel';

export async function openPanel(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('studio-backup:open-panel')
  );
  await expect(page.locator(PANEL)).toBeVisible();
}

export async function backUpNow(page: IJupyterLabPageFixture): Promise<void> {
  const rows = page.locator(`${PANEL} .jp-StudioBackup-snapshot`);
  const before = await rows.count();
  await page.locator(`${PANEL} .jp-StudioBackup-backupNow`).click();
  await expect(rows).toHaveCount(before + 1, { timeout: 30_000 });
}

/** A notebook of one code cell holding `source`, as JupyterLab saves it. */
export function notebookWith(source: string): string {
  return JSON.stringify({
    cells: [
      {
        cell_type: 'code',
        execution_count: null,
        id: 'c1',
        metadata: {},
        outputs: [],
        source
      }
    ],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5
  });
}
