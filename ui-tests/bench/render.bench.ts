/**
 * How fast the panel renders 1,000 snapshots and a 10,000-entry folder, in Debian's Chromium against
 * real JupyterLab and a real agent. Render time is measured in the page: from the end of the agent's
 * response (Resource Timing) to the first frame painted after the rows are in the DOM.
 * Run with `make bench-ui`; writes its section of docs/benchmarks.md.
 */
import { expect, test } from '@jupyterlab/galata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_PORT, startAgent } from '../tests/agent';

// A plain-JS helper shared with bench/run.js.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { writeSection } = require('../../bench/report-section');

const PANEL = '#studio-backup-panel';
const ROUNDS = 5;

/**
 * Installed in the page before it loads: window.__arm(urlPart, selector, text?) starts a timer that
 * resolves window.__renderTime with the ms from the end of the matching response to the first frame
 * painted once `selector` is in the DOM (and contains `text`).
 */
function installRenderTimer(): void {
  const w = window as any;
  w.__arm = (urlPart: string, selector: string, text?: string) => {
    const started = performance.now();
    w.__renderTime = new Promise<number>(resolve => {
      const check = () => {
        const node = document.querySelector(selector);
        if (node && (!text || node.textContent?.includes(text))) {
          requestAnimationFrame(() => {
            const painted = performance.now();
            const ends = (
              performance.getEntriesByType(
                'resource'
              ) as PerformanceResourceTiming[]
            )
              .filter(e => e.name.includes(urlPart) && e.responseEnd >= started)
              .map(e => e.responseEnd);
            // No URL: timed from the arming, which the caller does right before its click.
            resolve(
              !urlPart
                ? painted - started
                : ends.length
                  ? painted - Math.max(...ends)
                  : NaN
            );
          });
          return;
        }
        requestAnimationFrame(check);
      };
      check();
    });
  };
  w.__arm('/snapshots?', '#studio-backup-panel .jp-StudioBackup-snapshot');
}

async function arm(
  page: import('@playwright/test').Page,
  urlPart: string,
  selector: string,
  text?: string
) {
  await page.evaluate(
    ({ urlPart, selector, text }) =>
      (window as any).__arm(urlPart, selector, text),
    { urlPart, selector, text }
  );
}

const renderTime = (page: import('@playwright/test').Page) =>
  page.evaluate(() => (window as any).__renderTime as Promise<number>);

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

test('renders 1,000 snapshots and a 10,000-entry folder', async ({ page }) => {
  test.setTimeout(300_000);
  const repoDir = mkdtempSync(join(tmpdir(), 'studio-backup-bench-repo-'));
  execFileSync(process.execPath, [
    join(__dirname, '..', '..', 'bench', 'panel-fixture.js'),
    process.env.STUDIO_BACKUP_UI_HOME!,
    repoDir
  ]);
  const agent = await startAgent(AGENT_PORT, { repoDir, seed: false });
  try {
    await page.addInitScript(installRenderTimer);
    const rows = page.locator(`${PANEL} .jp-StudioBackup-snapshot`);
    const listTimes: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // A fresh page: the panel asks the agent for the 1,000 snapshots and renders them.
      await page.reload();
      await page.evaluate(() =>
        (window as any).jupyterapp.commands.execute('studio-backup:open-panel')
      );
      await expect(rows.first()).toBeVisible({ timeout: 60_000 });
      listTimes.push(await renderTime(page));
    }
    const snapshotCount = await rows.count();

    // The list alone: from a snapshot's folder back to the 1,000 snapshots, clicked in the page.
    const backToList: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      await rows.first().locator('.jp-StudioBackup-snapshot-time').click();
      await expect(
        page.locator(`${PANEL} .jp-StudioBackup-backToList`)
      ).toBeVisible();
      await page.evaluate(() => {
        (window as any).__arm(
          '',
          '#studio-backup-panel .jp-StudioBackup-snapshot'
        );
        document
          .querySelector<HTMLButtonElement>('.jp-StudioBackup-backToList')!
          .click();
      });
      backToList.push(await renderTime(page));
    }

    const firstPage: number[] = [];
    const fullFolder: number[] = [];
    let inDom = 0;
    for (let i = 0; i < ROUNDS; i++) {
      await arm(
        page,
        '/tree',
        `${PANEL} .jp-StudioBackup-entry[data-path="big-folder"]`
      );
      await rows.first().locator('.jp-StudioBackup-snapshot-time').click();
      await renderTime(page);
      await arm(
        page,
        'big-folder',
        `${PANEL} .jp-StudioBackup-entry[data-path^="big-folder/"]`
      );
      await page
        .locator(
          `${PANEL} .jp-StudioBackup-entry[data-path="big-folder"] .jp-StudioBackup-entryName`
        )
        .click();
      firstPage.push(await renderTime(page));
      // Scrolling to the end loads the remaining pages; time the render after the last one.
      await arm(
        page,
        'big-folder',
        `${PANEL} .jp-StudioBackup-count`,
        '10000 of 10000'
      );
      const list = page.locator(`${PANEL} .jp-StudioBackup-entries > div`);
      for (let step = 0; step < 20; step++) {
        await list.evaluate(node => (node.scrollTop = node.scrollHeight));
        if (
          (
            await page.locator(`${PANEL} .jp-StudioBackup-count`).textContent()
          )?.includes('10000 of 10000')
        ) {
          break;
        }
        await page.waitForTimeout(100);
      }
      fullFolder.push(await renderTime(page));
      await expect(
        page.locator(
          `${PANEL} .jp-StudioBackup-entry[data-path="big-folder/file-09999.txt"]`
        )
      ).toBeVisible();
      inDom = await page.locator(`${PANEL} .jp-StudioBackup-entry`).count();
      await page.locator(`${PANEL} .jp-StudioBackup-backToList`).click();
    }
    const ms = (v: number) => `${v.toFixed(0)} ms`;
    writeSection(
      'panel-render',
      `## Panel rendering

\`make bench-ui\` (ui-tests/bench/render.bench.ts): real JupyterLab 4.6.4 in Debian's Chromium (headless),
the real agent over a file:// repository with 1,000 snapshots and a folder of 10,000 files, on this
machine (${cpus().length} cores). Time from the end of the agent's response (Resource Timing) to the
first frame painted with the rows in the DOM; median of ${ROUNDS} rounds. Target: < 300 ms each.

| what | median | rounds |
| --- | --- | --- |
| 1,000 snapshots, back to the list from a snapshot (click to paint) | ${ms(median(backToList))} | ${backToList.map(ms).join(', ')} |
| 1,000 snapshots, first open after a page reload (JupyterLab still starting) | ${ms(median(listTimes))} | ${listTimes.map(ms).join(', ')} |
| 10,000-entry folder, first page (2,000 entries) | ${ms(median(firstPage))} | ${firstPage.map(ms).join(', ')} |
| 10,000-entry folder, after the last page (all 10,000 in the list) | ${ms(median(fullFolder))} | ${fullFolder.map(ms).join(', ')} |

The lists are virtualized (react-window): with 1,000 snapshots the DOM held ${snapshotCount} snapshot rows,
not 1,000, and with the 10,000-entry folder ${inDom} entry rows. The first open after a reload is
measured from the agent's answer while JupyterLab's own start-up still holds the main thread.`
    );
    console.log({
      backToList,
      listTimes,
      firstPage,
      fullFolder,
      snapshotCount
    });
  } finally {
    await agent.stop();
  }
});
