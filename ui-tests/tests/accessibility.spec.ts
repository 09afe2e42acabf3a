/**
 * Issue #16 item 7: the panel is usable from the keyboard and passes axe-core (0 critical, 0
 * serious) on the panel, its snapshot browser, a dialog and the main-area views, in the light and
 * the dark theme.
 */
import { expect, test } from '@jupyterlab/galata';
import { violations } from './axe';
import { AGENT_PORT, IRunningAgent, startAgent } from './agent';
import { backUpNow, openPanel, PANEL } from './panel';

test.describe('Keyboard and axe-core', () => {
  let agent: IRunningAgent;

  test.beforeAll(async () => {
    agent = await startAgent(AGENT_PORT);
  });

  test.afterAll(async () => {
    await agent?.stop();
  });

  test('opening the panel puts the focus in it, and a snapshot opened with Enter keeps it there', async ({
    page
  }) => {
    await openPanel(page);
    await expect
      .poll(() =>
        page.evaluate(sel => !!document.activeElement?.closest(sel), PANEL)
      )
      .toBe(true);
    await backUpNow(page);
    const rows = page.locator(`${PANEL} .jp-StudioBackup-snapshot`);
    await rows.first().locator('.jp-StudioBackup-snapshot-time').focus();
    await page.keyboard.press('Enter');
    await expect(
      page.locator(`${PANEL} .jp-StudioBackup-browser`)
    ).toBeVisible();
    await expect(
      page.locator(`${PANEL} .jp-StudioBackup-backToList`)
    ).toBeFocused();
  });

  for (const theme of ['light', 'dark']) {
    test(`0 critical, 0 serious in the ${theme} theme: panel, browser, versions view, restore dialog`, async ({
      page
    }) => {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      }
      await openPanel(page);
      const rows = page.locator(`${PANEL} .jp-StudioBackup-snapshot`);
      await expect(rows.first()).toBeVisible({ timeout: 30_000 });
      expect(await violations(page, PANEL)).toEqual([]);

      await rows.first().locator('.jp-StudioBackup-snapshot-time').click();
      await expect(
        page.locator(`${PANEL} .jp-StudioBackup-entry`).first()
      ).toBeVisible();
      expect(await violations(page, PANEL)).toEqual([]);

      await page.evaluate(() =>
        window.jupyterapp.commands.execute('studio-backup:previous-versions', {
          path: 'README.md',
          isDir: false
        })
      );
      const versions = page.locator('.jp-StudioBackup-versions');
      await expect(
        versions.locator('.jp-StudioBackup-version').first()
      ).toBeVisible();
      expect(await violations(page, '.jp-StudioBackup-versions')).toEqual([]);

      await versions.locator('.jp-StudioBackup-restoreVersion').first().click();
      await expect(page.locator('.jp-Dialog')).toBeVisible();
      expect(await violations(page, '.jp-Dialog')).toEqual([]);
      await page.locator('.jp-Dialog .jp-mod-reject').click();
    });
  }
});
