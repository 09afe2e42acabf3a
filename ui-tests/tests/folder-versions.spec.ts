/**
 * Issue #16 item 8: "Previous versions…" for the folder the file browser shows, so that a file at
 * the top of the home (which no folder item holds) can be brought back: from the listing's empty
 * area and from the file browser's toolbar.
 */
import { expect, test } from '@jupyterlab/galata';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_PORT, IRunningAgent, startAgent } from './agent';
import { backUpNow, openPanel } from './panel';

test.describe('Previous versions of the current folder', () => {
  let agent: IRunningAgent;

  test.beforeAll(async () => {
    agent = await startAgent(AGENT_PORT);
  });

  test.afterAll(async () => {
    await agent?.stop();
  });

  test('a deleted top-level file comes back from the empty area of the home folder', async ({
    page
  }) => {
    const readme = join(agent.home, 'README.md');
    const original = readFileSync(readme, 'utf8');
    await openPanel(page);
    await backUpNow(page);
    unlinkSync(readme);

    await page.sidebar.openTab('filebrowser');
    await page.filebrowser.openHomeDirectory();
    await page.filebrowser.refresh();
    // The toolbar offers it too, with a tooltip that says what it does.
    await expect(
      page
        .locator('.jp-FileBrowser-toolbar')
        .getByTitle(/Previous versions of this folder/)
    ).toBeVisible();
    // Right-click below the last item: the listing's empty area.
    const listing = page.locator('.jp-DirListing-content');
    const box = (await listing.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height - 10, {
      button: 'right'
    });
    await page
      .getByRole('menuitem', { name: 'Previous versions of this folder…' })
      .click();
    const deleted = page.locator(
      '.jp-StudioBackup-versions .jp-StudioBackup-deletedItem[data-path="README.md"]'
    );
    await expect(deleted).toBeVisible();
    await deleted.locator('.jp-StudioBackup-restore').click();
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await expect(page.locator('.jp-toast-message').first()).toContainText(
      'Restored README.md'
    );
    expect(existsSync(readme) && readFileSync(readme, 'utf8')).toBe(original);
  });
});
