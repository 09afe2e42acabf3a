import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_PORT, IRunningAgent, startAgent } from './agent';
import { openPanel } from './panel';

const PANEL = '#studio-backup-panel';

test.describe.serial('Backups panel', () => {
  let agent: IRunningAgent;

  test.beforeAll(async () => {
    agent = await startAgent(AGENT_PORT);
  });

  test.afterAll(async () => {
    await agent?.stop();
  });

  async function openFromPalette(page: import('@playwright/test').Page) {
    await page.keyboard.press('Control+Shift+C');
    const input = page
      .locator('#modal-command-palette input, .lm-CommandPalette-input')
      .first();
    await input.fill('Backups: Open panel');
    await page
      .locator('.lm-CommandPalette-item', { hasText: 'Backups: Open panel' })
      .first()
      .click();
    await expect(page.locator(PANEL)).toBeVisible();
  }

  test('opens from the palette and shows the running agent', async ({
    page
  }) => {
    await openFromPalette(page);
    const status = page.locator(`${PANEL} .jp-StudioBackup-status`);
    await expect(status).toHaveText(
      // The repository as a folder, not a raw file:// URL (#16 item 9).
      `Agent running — version 0.1.0, repository ${agent.repository.slice('file://'.length)}`
    );
    await expect(page.locator(`${PANEL} [role="alert"]`)).toHaveCount(0);

    const shot = await page.locator(PANEL).screenshot();
    await test
      .info()
      .attach('backups-panel', { body: shot, contentType: 'image/png' });
  });

  test('backs up now through the job event stream, and the new snapshot appears', async ({
    page
  }) => {
    await openFromPalette(page);
    const rows = page.locator(`${PANEL} .jp-StudioBackup-snapshot`);
    const protection = page.locator(`${PANEL} .jp-StudioBackup-protection`);
    await expect(protection).toBeVisible();
    const before = await rows.count();
    const button = page.locator(`${PANEL} .jp-StudioBackup-backupNow`);
    await button.click();
    await expect(rows).toHaveCount(before + 1, { timeout: 30_000 });
    await expect(protection).toHaveText(/^Protected — last backup just now/);
    await expect(
      page.locator(`${PANEL} .jp-StudioBackup-dayLabel`).first()
    ).toHaveText('Today');
    await expect(button).toHaveText('Back up now');
    await expect(button).toBeEnabled();
  });

  test('browses a snapshot and restores a folder into restored-files/', async ({
    page
  }) => {
    await openFromPalette(page);
    await page
      .locator(`${PANEL} .jp-StudioBackup-snapshot-time`)
      .first()
      .click();
    const notebooks = page.locator(
      `${PANEL} .jp-StudioBackup-entry[data-path="notebooks"]`
    );
    await expect(notebooks).toBeVisible();
    await expect(
      page.locator(`${PANEL} .jp-StudioBackup-entry[data-path="README.md"]`)
    ).toBeVisible();
    await notebooks.locator('.jp-StudioBackup-restore').click();
    const dialog = page.locator('.jp-Dialog');
    // Where to: nothing differs, so the original place is the default; the side folder is chosen.
    await expect(dialog).toContainText('restored-files/');
    await dialog.locator('input[value="side"]').check();
    await dialog.locator('.jp-mod-accept').click();
    await expect(dialog).toContainText('1 file will be restored into');
    await dialog.locator('.jp-mod-accept').click();
    await expect(page.locator('.jp-toast-message').first()).toContainText(
      'Restored notebooks into'
    );
    const side = join(agent.home, 'restored-files');
    const [snapshotDir] = readdirSync(side);
    expect(
      readFileSync(
        join(side, snapshotDir, 'notebooks', 'analysis.ipynb'),
        'utf8'
      )
    ).toBe(
      readFileSync(join(agent.home, 'notebooks', 'analysis.ipynb'), 'utf8')
    );
    // A file's name opens its read-only preview in a tab.
    await page
      .locator(
        `${PANEL} .jp-StudioBackup-entry[data-path="README.md"] .jp-StudioBackup-entryName`
      )
      .click();
    await expect(page.locator('.jp-StudioBackup-previewText')).toHaveText(
      '# My project\n'
    );
  });

  async function previousVersionsOf(
    page: IJupyterLabPageFixture,
    name: string
  ) {
    await page.filebrowser.openHomeDirectory();
    await page.filebrowser.refresh();
    await page
      .locator('.jp-DirListing-itemName', { hasText: name })
      .first()
      .click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Previous versions…' }).click();
    const view = page.locator('.jp-StudioBackup-versions');
    await expect(view).toBeVisible();
    return view;
  }

  test('brings back a deleted notebook from "Previous versions…" with the same content', async ({
    page
  }) => {
    const notebook = join(agent.home, 'notebooks', 'analysis.ipynb');
    const original = readFileSync(notebook, 'utf8');
    unlinkSync(notebook);
    const view = await previousVersionsOf(page, 'notebooks');
    const deleted = view.locator(
      '.jp-StudioBackup-deletedItem[data-path="notebooks/analysis.ipynb"]'
    );
    await expect(deleted).toBeVisible();
    await deleted.locator('.jp-StudioBackup-restore').click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('1 file will be restored into');
    await dialog.locator('.jp-mod-accept').click();
    await expect(page.locator('.jp-toast-message').first()).toContainText(
      'Restored notebooks/analysis.ipynb'
    );
    expect(readFileSync(notebook, 'utf8')).toBe(original);
    // The file browser was refreshed: the notebook is listed again.
    await page.filebrowser.openDirectory('notebooks');
    await expect(
      page.locator('.jp-DirListing-itemName', { hasText: 'analysis.ipynb' })
    ).toBeVisible();
  });

  test('asks before overwriting, and "Skip" keeps the current file', async ({
    page
  }) => {
    const readme = join(agent.home, 'README.md');
    writeFileSync(readme, '# My project, edited after the backup\n');
    const view = await previousVersionsOf(page, 'README.md');
    const version = view.locator('.jp-StudioBackup-version').first();
    await expect(version).toBeVisible();
    await version.locator('.jp-StudioBackup-restoreVersion').click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('files already exist');
    await expect(dialog).toContainText('1 file will be overwritten');
    await dialog.locator('.jp-StudioBackup-skip').click();
    await expect(page.locator('.jp-toast-message').first()).toContainText(
      'Restored README.md'
    );
    expect(readFileSync(readme, 'utf8')).toBe(
      '# My project, edited after the backup\n'
    );
  });

  test('shows the not-reachable banner once the agent is stopped', async ({
    page
  }) => {
    await openFromPalette(page);
    await expect(
      page.locator(`${PANEL} .jp-StudioBackup-status`)
    ).toContainText('Agent running');
    await agent.stop();
    // A view opened now gets the server extension's reason code for "no agent on this port": it
    // shows the panel's own sentence for it (through the translator), not the extension's English.
    await page
      .locator(`${PANEL} .jp-StudioBackup-snapshot .jp-StudioBackup-compare`)
      .first()
      .click();
    await expect(
      page.locator('.jp-StudioBackup-compare [role="alert"]')
    ).toHaveText(
      `Backup agent not reachable on port ${AGENT_PORT}: is the lifecycle configuration attached?`
    );
    await page.locator(`${PANEL} .jp-StudioBackup-refresh`).click();
    await expect(page.locator(`${PANEL} [role="alert"]`)).toHaveText(
      `Backup agent not reachable on port ${AGENT_PORT}: is the lifecycle configuration attached?`
    );
    await expect(page.locator(`${PANEL} .jp-StudioBackup-status`)).toHaveCount(
      0
    );
  });
});

test.describe('Opening the panel asks the agent again', () => {
  let agent: IRunningAgent | undefined;

  test.beforeAll(async () => {
    agent = await startAgent(AGENT_PORT);
  });

  test.afterAll(async () => {
    await agent?.stop();
  });

  test('an agent stopped while the panel was closed shows as not reachable when it opens, not at the next health check', async ({
    page
  }) => {
    await openPanel(page);
    await expect(
      page.locator(`${PANEL} .jp-StudioBackup-status`)
    ).toContainText('Agent running');
    // Another side panel in front; the agent stops meanwhile.
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('filebrowser:activate')
    );
    await expect(page.locator(PANEL)).toBeHidden();
    await agent?.stop();
    await openPanel(page);
    // The health poll comes every 15 s (its last one was at load, a moment ago): only a check
    // made when the panel opens can show the banner within 8 s.
    await expect(page.locator(`${PANEL} [role="alert"]`)).toHaveText(
      `Backup agent not reachable on port ${AGENT_PORT}: is the lifecycle configuration attached?`,
      { timeout: 8_000 }
    );
  });
});
