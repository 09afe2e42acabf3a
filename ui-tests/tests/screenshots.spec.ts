/**
 * The README's screenshots, light and dark, from a data scientist's home with a few days of
 * snapshots: the panel with the timeline and the day groups, a notebook compared with an older
 * snapshot (outputs and plots), and "Previous versions…" of a notebook.
 *
 * With STUDIO_BACKUP_SCREENSHOTS=1 (`make screenshots`) the images go to docs/screenshots/;
 * otherwise to a temporary folder, so that a test run never changes the checkout, and the test
 * checks they were taken.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AGENT_PORT,
  asOf,
  cliBackup,
  IRunningAgent,
  startAgent
} from './agent';
import { openPanel, PANEL } from './panel';
import { EXPLORE, HOME_ENTRIES, touchHome, writeHomeAsOf } from './sampleHome';

const FOR_README = process.env.STUDIO_BACKUP_SCREENSHOTS === '1';
const README_IMAGES = join(__dirname, '..', '..', 'docs', 'screenshots');
// Chosen in beforeAll (this file is loaded by more than one process).
let OUT = README_IMAGES;
const VIEWPORT = { width: 1440, height: 900 };

/** When the snapshots were taken: days before today, local time, and the home's state then. */
const HISTORY: { daysAgo: number; at: [number, number]; step: number }[] = [
  { daysAgo: 4, at: [9, 40], step: 0 },
  { daysAgo: 3, at: [10, 15], step: 1 },
  { daysAgo: 3, at: [16, 5], step: 1 },
  { daysAgo: 2, at: [11, 20], step: 2 },
  { daysAgo: 1, at: [9, 55], step: 2 },
  { daysAgo: 1, at: [17, 30], step: 3 }
];

function localTime(daysAgo: number, [h, m]: [number, number]): Date {
  const d = new Date();
  d.setDate(d.getDate() - daysAgo);
  d.setHours(h, m, 0, 0);
  return d;
}

/** Backs up the home with the CLI as if it were `time`; the snapshot's id. */
function backupAt(agent: IRunningAgent, time: Date, cache: string): string {
  // The files were last changed shortly before the backup, as they would have been.
  touchHome(agent.home, new Date(time.getTime() - 10 * 60_000));
  return cliBackup(agent, asOf(time, { cacheDir: cache }));
}

/** Takes a screenshot of the whole page into OUT and checks it is a full-size, non-trivial PNG. */
async function shoot(page: IJupyterLabPageFixture, name: string) {
  // No hover effect, tooltip or focus ring in the picture.
  await page.mouse.move(VIEWPORT.width - 5, VIEWPORT.height - 5);
  await page.evaluate(() => (document.activeElement as HTMLElement)?.blur());
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path, animations: 'disabled' });
  const png = readFileSync(path);
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([
    VIEWPORT.width,
    VIEWPORT.height
  ]);
  expect(png.length).toBeGreaterThan(40_000);
}

/** The left sidebar a little wider than JupyterLab's default, as a user would drag it. */
async function widenSidebar(page: IJupyterLabPageFixture): Promise<void> {
  const box = (await page.locator(PANEL).boundingBox())!;
  const handle = { x: box.x + box.width + 2, y: box.y + box.height / 2 };
  await page.mouse.move(handle.x, handle.y);
  await page.mouse.down();
  await page.mouse.move(handle.x + 110, handle.y, { steps: 5 });
  await page.mouse.up();
}

// Opened on the home itself: no per-test folder of Galata's in the pictures (the test opens the page).
test.use({ tmpPath: '', autoGoto: false, viewport: VIEWPORT });

test.describe('README screenshots', () => {
  let agent: IRunningAgent;
  let oldest: string;

  test.beforeAll(async () => {
    OUT = FOR_README
      ? README_IMAGES
      : mkdtempSync(join(tmpdir(), 'studio-backup-screenshots-'));
    mkdirSync(OUT, { recursive: true });
    // A repository folder whose name says what it is (the status line shows it).
    const repoDir = join(
      mkdtempSync(join(tmpdir(), 'studio-backup-')),
      'repository'
    );
    mkdirSync(repoDir);
    agent = await startAgent(AGENT_PORT, { seed: false, repoDir });
    const scratch = mkdtempSync(join(tmpdir(), 'studio-backup-shots-'));
    const cache = join(scratch, 'cache');
    mkdirSync(cache);
    const ids = HISTORY.map(({ daysAgo, at, step }, revision) => {
      writeHomeAsOf(agent.home, step, revision);
      return backupAt(agent, localTime(daysAgo, at), cache);
    });
    oldest = ids[0];
    // This morning, and 25 minutes ago.
    writeHomeAsOf(agent.home, 3, HISTORY.length);
    const now = new Date();
    const morning = localTime(0, [8, 50]);
    backupAt(
      agent,
      morning < new Date(now.getTime() - 3_600_000) ? morning : now,
      cache
    );
    writeHomeAsOf(agent.home, 3, HISTORY.length + 1);
    backupAt(agent, new Date(now.getTime() - 25 * 60_000), cache);
    rmSync(scratch, { recursive: true, force: true });
  });

  test.afterAll(async () => {
    for (const entry of HOME_ENTRIES) {
      rmSync(join(agent.home, entry), { recursive: true, force: true });
    }
    await agent?.stop();
    if (!FOR_README) {
      rmSync(OUT, { recursive: true, force: true });
    }
  });

  for (const theme of ['light', 'dark']) {
    test(`the panel, a notebook diff and "Previous versions…" in the ${theme} theme`, async ({
      page
    }) => {
      await page.goto('?reset');
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      }
      // The home as a user sees it: their projects, no test folder.
      await page.sidebar.openTab('filebrowser');
      const names = page.locator('.jp-DirListing-item .jp-DirListing-itemText');
      await expect(names.first()).toBeVisible();
      const listed = await names.allTextContents();
      expect(listed.filter(name => /^tests?-/.test(name))).toEqual([]);
      if (FOR_README) {
        expect([...listed].sort()).toEqual([...HOME_ENTRIES].sort());
      }

      // A notebook open in the main area, the Backups panel beside it.
      await page.evaluate(async path => {
        await window.jupyterapp.commands.execute('docmanager:open', { path });
      }, EXPLORE);
      await expect(
        page.locator('.jp-NotebookPanel .jp-OutputArea-output img')
      ).toBeVisible();
      await expect(page.locator('#jp-main-statusbar')).toContainText('| Idle', {
        timeout: 60_000
      });
      await openPanel(page);
      await widenSidebar(page);
      await expect(
        page.locator(`${PANEL} .jp-StudioBackup-snapshot`)
      ).toHaveCount(HISTORY.length + 2);
      await expect(page.locator(`${PANEL} [role="slider"]`)).toBeVisible();
      await expect(
        page.locator(`${PANEL} .jp-StudioBackup-timelineTick`)
      ).toHaveCount(HISTORY.length + 2);
      await shoot(page, `backups-panel-${theme}`);

      // The notebook compared with the oldest snapshot: cells, outputs and the changed plot.
      await page.evaluate(
        async ([snapshot, path]) => {
          await window.jupyterapp.commands.execute(
            'studio-backup:compare-file',
            { snapshot, path }
          );
        },
        [oldest, EXPLORE] as const
      );
      const diff = page.locator('.jp-StudioBackup-notebookDiff');
      await expect(
        diff.locator('.jp-StudioBackup-outputsCompared img')
      ).toHaveCount(2);
      // From the table to the plots, before and now.
      await diff
        .getByRole('region', { name: /^Cell 3:/ })
        .evaluate(el => el.scrollIntoView({ block: 'start' }));
      await shoot(page, `notebook-diff-${theme}`);

      // Right-click the notebook in the file browser: Previous versions…
      await page.sidebar.openTab('filebrowser');
      await page.filebrowser.openDirectory('churn-analysis');
      await page
        .locator('.jp-DirListing-itemName', { hasText: '01-explore.ipynb' })
        .click({ button: 'right' });
      await page.getByRole('menuitem', { name: 'Previous versions…' }).click();
      await expect(
        page.locator('.jp-StudioBackup-versions .jp-StudioBackup-version')
      ).toHaveCount(4);
      await shoot(page, `previous-versions-${theme}`);
      await page.filebrowser.openHomeDirectory();
    });
  }
});
