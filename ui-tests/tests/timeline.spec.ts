/**
 * Issue #16, "beyond": the snapshots of the last days as a strip to scrub. "How did this folder
 * look then" is one drag or a few keys: the marker moves over the snapshots' ticks, and on release
 * the nearest snapshot opens at the folder being browsed. A slider for assistive technology, and
 * axe-core finds nothing critical or serious in either theme.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { violations } from './axe';
import {
  AGENT_PORT,
  asOf,
  cliBackup,
  IRunningAgent,
  startAgent
} from './agent';
import { backUpNow, openPanel, PANEL } from './panel';

const FOLDER = 'experiments';
const SLIDER = `${PANEL} [role="slider"]`;

/** The entries the browser shows in the folder. */
function entries(page: IJupyterLabPageFixture) {
  return page.locator(
    `${PANEL} .jp-StudioBackup-browser .jp-StudioBackup-entry[data-path^="${FOLDER}/"]`
  );
}

/** The browser shows the folder as the nth snapshot saved it. */
async function expectRun(
  page: IJupyterLabPageFixture,
  n: number
): Promise<void> {
  // notes.txt and run-1.csv … run-n.csv
  await expect(entries(page)).toHaveCount(n + 1);
  await expect(
    page.locator(
      `${PANEL} .jp-StudioBackup-entry[data-path="${FOLDER}/run-${n}.csv"]`
    )
  ).toBeVisible();
  // The browser shows the snapshot the slider names.
  const id = await page.locator(SLIDER).getAttribute('data-snapshot');
  await expect(
    page.locator(`${PANEL} .jp-StudioBackup-browser`)
  ).toHaveAttribute('aria-label', `Snapshot ${id!.slice(0, 8)}`);
}

/** The centre of the nth tick (oldest first), in page coordinates. */
async function tick(
  page: IJupyterLabPageFixture,
  n: number
): Promise<{ x: number; y: number }> {
  const box = (await page
    .locator(`${SLIDER} .jp-StudioBackup-timelineTick`)
    .nth(n)
    .boundingBox())!;
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

test.describe.serial('Snapshot timeline', () => {
  let agent: IRunningAgent;

  test.beforeAll(async () => {
    agent = await startAgent(AGENT_PORT);
  });

  test.afterAll(async () => {
    rmSync(join(agent.home, FOLDER), { recursive: true, force: true });
    await agent?.stop();
  });

  test('dragging the marker or pressing keys opens the snapshot of that time, in the same folder', async ({
    page
  }) => {
    await openPanel(page);
    // Three snapshots: the folder holds run-1.csv, then run-1..2, then run-1..3.
    mkdirSync(join(agent.home, FOLDER), { recursive: true });
    for (const n of [1, 2, 3]) {
      writeFileSync(join(agent.home, FOLDER, `run-${n}.csv`), `run,${n}\n`);
      writeFileSync(join(agent.home, FOLDER, 'notes.txt'), `after run ${n}\n`);
      await backUpNow(page);
    }
    const slider = page.locator(SLIDER);
    await expect(slider).toHaveAttribute('aria-valuemin', '1');
    await expect(slider).toHaveAttribute('aria-valuemax', '3');
    await expect(slider).toHaveAttribute('aria-valuenow', '3');
    await expect(slider).toHaveAttribute('aria-valuetext', /snapshot 3 of 3$/);
    await expect(slider.locator('.jp-StudioBackup-timelineTick')).toHaveCount(
      3
    );

    // Browse the newest snapshot's folder, then go back in time from there.
    await page
      .locator(`${PANEL} .jp-StudioBackup-snapshot-time`)
      .first()
      .click();
    await page
      .locator(
        `${PANEL} .jp-StudioBackup-entry[data-path="${FOLDER}"] .jp-StudioBackup-entryName`
      )
      .click();
    await expectRun(page, 3);

    await slider.focus();
    await page.keyboard.press('Home');
    await expect(slider).toHaveAttribute('aria-valuenow', '1');
    await expect(slider).toHaveAttribute('aria-valuetext', /snapshot 1 of 3$/);
    await expectRun(page, 1);
    // Focus stays on the strip, to go on moving; it shows where it is.
    await expect(slider).toBeFocused();
    expect(
      await slider.evaluate(el => getComputedStyle(el).outlineStyle)
    ).not.toBe('none');
    await page.keyboard.press('ArrowRight');
    await expect(slider).toHaveAttribute('aria-valuenow', '2');
    await expectRun(page, 2);
    await page.keyboard.press('End');
    await expect(slider).toHaveAttribute('aria-valuenow', '3');
    await expectRun(page, 3);

    // A drag from the newest tick to the oldest: the marker follows and the time under it
    // changes at once; the snapshot opens on release.
    const newest = await tick(page, 2);
    const oldest = await tick(page, 0);
    await page.mouse.move(newest.x, newest.y);
    await page.mouse.down();
    await page.mouse.move(oldest.x + 1, oldest.y, { steps: 5 });
    await expect(slider).toHaveAttribute('aria-valuenow', '1');
    const label = page.locator(`${PANEL} .jp-StudioBackup-timelineTime`);
    const time = (await slider.getAttribute('aria-valuetext'))!.split(
      ', snapshot'
    )[0];
    await expect(label).toHaveText(time);
    // Not yet released: the folder of the newest snapshot still shows.
    await expect(entries(page)).toHaveCount(3 + 1);
    await page.mouse.up();
    await expectRun(page, 1);

    // A drag to the middle tick opens the middle snapshot.
    const middle = await tick(page, 1);
    await page.mouse.move(oldest.x, oldest.y);
    await page.mouse.down();
    await page.mouse.move(middle.x, middle.y, { steps: 5 });
    await page.mouse.up();
    await expect(slider).toHaveAttribute('aria-valuenow', '2');
    await expectRun(page, 2);

    // Back on the list, the strip opens a snapshot at its top folder.
    await page.locator(`${PANEL} .jp-StudioBackup-backToList`).click();
    await expect(slider).toHaveAttribute('aria-valuenow', '3');
    await slider.focus();
    await page.keyboard.press('ArrowLeft');
    await expect(
      page.locator(`${PANEL} .jp-StudioBackup-entry[data-path="${FOLDER}"]`)
    ).toBeVisible();
    await expect(slider).toHaveAttribute('aria-valuenow', '2');
  });

  for (const theme of ['light', 'dark']) {
    test(`0 critical, 0 serious on the panel with the timeline in the ${theme} theme`, async ({
      page
    }) => {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      }
      await openPanel(page);
      const slider = page.locator(SLIDER);
      await expect(slider).toBeVisible();
      expect(await violations(page, PANEL)).toEqual([]);
      await slider.focus();
      await page.keyboard.press('Home');
      await expect(
        page.locator(`${PANEL} .jp-StudioBackup-browser`)
      ).toBeVisible();
      expect(await violations(page, PANEL)).toEqual([]);
    });
  }
});

test.describe('Snapshot timeline, a day starting at its right end', () => {
  // The strip's day boundaries are the browser's midnights, and the snapshots' times are UTC.
  test.use({ timezoneId: 'UTC' });
  let agent: IRunningAgent;

  test.beforeAll(async () => {
    agent = await startAgent(AGENT_PORT);
    // The newest snapshot ten minutes after a midnight: that day's line is at the strip's end.
    const midnight = new Date();
    midnight.setUTCHours(0, 0, 0, 0);
    const yesterday = midnight.getTime() - 86_400_000;
    cliBackup(
      agent,
      asOf(new Date(yesterday - 3 * 86_400_000 + 12 * 3_600_000))
    );
    cliBackup(agent, asOf(new Date(yesterday + 10 * 60_000)));
  });

  test.afterAll(async () => {
    await agent?.stop();
  });

  test("every day's label is inside the strip, the last one too", async ({
    page
  }) => {
    await openPanel(page);
    const strip = page.locator(SLIDER);
    await expect(strip.locator('.jp-StudioBackup-timelineTick')).toHaveCount(2);
    const days = strip.locator('.jp-StudioBackup-timelineDay');
    await expect(days).toHaveCount(3);
    const box = (await strip.boundingBox())!;
    const labels = await days.evaluateAll(els =>
      els.map(el => {
        // The text's own box (the label's element also draws the day's line).
        const range = document.createRange();
        range.selectNodeContents(el);
        const r = range.getBoundingClientRect();
        return { text: el.textContent, left: r.left, right: r.right };
      })
    );
    for (const label of labels) {
      expect(label.left, `${label.text}`).toBeGreaterThanOrEqual(box.x);
      expect(label.right, `${label.text}`).toBeLessThanOrEqual(
        box.x + box.width
      );
    }
  });
});
