/**
 * Issue #16 item 9, the smaller points: the panel at a 250 px sidebar, "Previous versions…" while
 * the agent is down, the filter's count, the compare lists' order and actions, the protection line
 * and the interval field after a settings change, disabled buttons, and the day groups' names.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_PORT, asOf, cliBackup, startAgent } from './agent';
import { openPanel, PANEL } from './panel';

const FOLDER = 'details';
const RUNS = ['run_1.txt', 'run_2.txt', 'run_10.txt'];

type Agent = Awaited<ReturnType<typeof startAgent>>;

/**
 * Starts an agent for the tests of a describe block (with `args`), backs up the sample home once
 * (or as `prepare` says) and stops it after them; the agent of the running test.
 */
function agentForBlock(
  args: string[] = [],
  prepare: (agent: Agent) => void = agent => void cliBackup(agent)
): () => Agent {
  let agent: Agent | undefined;
  test.beforeAll(async () => {
    agent = await startAgent(AGENT_PORT, { args });
    prepare(agent);
  });
  test.afterAll(async () => {
    await agent?.stop();
  });
  return () => agent!;
}

function writeRuns(home: string): void {
  mkdirSync(join(home, FOLDER), { recursive: true });
  RUNS.forEach((name, i) =>
    writeFileSync(join(home, FOLDER, name), `run ${i + 1}\n`)
  );
}

/** Opens the newest snapshot in the panel's browser, at `path` ("" is its root). */
async function browseNewest(
  page: IJupyterLabPageFixture,
  path = ''
): Promise<void> {
  await page.locator(`${PANEL} .jp-StudioBackup-snapshot-time`).first().click();
  await expect(page.locator(`${PANEL} .jp-StudioBackup-browser`)).toBeVisible();
  if (path) {
    await page
      .locator(
        `${PANEL} .jp-StudioBackup-entry[data-path="${path}"] .jp-StudioBackup-entryName`
      )
      .click();
    await expect(page.locator(`${PANEL} .jp-StudioBackup-path`)).toHaveText(
      new RegExp(`:/${path}$`)
    );
  }
}

/** Sets the Backups panel's setting through JupyterLab's setting registry (null removes it). */
test.describe('Day groups, the filter count, the compare lists and the buttons', () => {
  const threeDaysAgo = new Date();
  threeDaysAgo.setDate(threeDaysAgo.getDate() - 3);
  threeDaysAgo.setHours(10, 15, 0, 0);
  const agent = agentForBlock([], started => {
    writeRuns(started.home);
    cliBackup(started, asOf(threeDaysAgo));
    cliBackup(started);
  });

  test.afterAll(() => {
    rmSync(join(agent().home, FOLDER), { recursive: true, force: true });
  });

  test('a day group is named in words, never as a raw ISO date', async ({
    page
  }) => {
    await openPanel(page);
    const labels = page.locator(`${PANEL} .jp-StudioBackup-dayLabel`);
    await expect(labels).toHaveCount(2);
    await expect(labels.first()).toHaveText('Today');
    const weekday = await page.evaluate(
      iso => new Date(iso).toLocaleDateString([], { weekday: 'long' }),
      threeDaysAgo.toISOString()
    );
    await expect(labels.nth(1)).toContainText(weekday, { ignoreCase: true });
    await expect(labels.nth(1)).toContainText(String(threeDaysAgo.getDate()));
    await expect(labels.nth(1)).not.toHaveText(/\d{4}-\d{2}-\d{2}/);
  });

  test('the filter says how many entries match, and the count follows it', async ({
    page
  }) => {
    await openPanel(page);
    await browseNewest(page, FOLDER);
    const count = page.locator(`${PANEL} .jp-StudioBackup-count`);
    const filter = page.locator(`${PANEL} .jp-StudioBackup-filter`);
    await expect(count).toHaveText('3 of 3 entries loaded');
    await filter.fill('run_1');
    await expect(count).toHaveText('2 of 3 entries match');
    await filter.fill('run_2');
    await expect(count).toHaveText('1 of 3 entries match');
    await filter.fill('nothing like it');
    await expect(count).toHaveText('0 of 3 entries match');
    await filter.fill('');
    await expect(count).toHaveText('3 of 3 entries loaded');
  });

  test('the compare lists sort as a person does, and each entry can be previewed, compared and restored', async ({
    page
  }) => {
    for (const name of RUNS) {
      rmSync(join(agent().home, FOLDER, name));
    }
    await openPanel(page);
    await page
      .locator(`${PANEL} .jp-StudioBackup-snapshot .jp-StudioBackup-compare`)
      .first()
      .click();
    const removed = page.locator(
      `.jp-StudioBackup-view .jp-StudioBackup-removed li`
    );
    await expect(removed.filter({ hasText: `${FOLDER}/run_` })).toHaveCount(3);
    const shown = (await removed.allTextContents()).filter(t =>
      t.includes(`${FOLDER}/run_`)
    );
    expect(shown.map(t => t.match(/run_\d+\.txt/)?.[0])).toEqual(RUNS);

    const entry = (name: string) =>
      page.locator(
        `.jp-StudioBackup-view .jp-StudioBackup-removed li[data-path="${FOLDER}/${name}"]`
      );
    for (const name of RUNS) {
      for (const action of [
        '.jp-StudioBackup-preview',
        '.jp-StudioBackup-compareFile',
        '.jp-StudioBackup-restore'
      ]) {
        await expect(entry(name).locator(action)).toBeVisible();
      }
    }
    await entry('run_10.txt').locator('.jp-StudioBackup-preview').click();
    await expect(page.locator('.jp-StudioBackup-previewText')).toHaveText(
      'run 3\n'
    );

    await page
      .getByRole('tab', { name: /^Compare/ })
      .first()
      .click();
    await entry('run_2.txt').locator('.jp-StudioBackup-restore').click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog.locator('input[value="original"]')).toBeChecked();
    await dialog.locator('.jp-mod-accept').click();
    await expect(dialog).toContainText('1 file will be restored into');
    await dialog.locator('.jp-mod-accept').click();
    await expect(page.locator('.jp-toast-message').first()).toContainText(
      `Restored ${FOLDER}/run_2.txt`
    );
    expect(readFileSync(join(agent().home, FOLDER, 'run_2.txt'), 'utf8')).toBe(
      'run 2\n'
    );
    writeRuns(agent().home);
  });

  test('a disabled button looks disabled, an enabled secondary button does not', async ({
    page
  }) => {
    await openPanel(page);
    await browseNewest(page, FOLDER);
    const button = page.locator(`${PANEL} .jp-StudioBackup-restoreSelected`);
    const look = () =>
      button.evaluate(el => {
        const style = getComputedStyle(el);
        return {
          opacity: Number(style.opacity),
          cursor: style.cursor,
          background: style.backgroundColor
        };
      });
    await expect(button).toBeDisabled();
    const disabled = await look();
    await page
      .locator(
        `${PANEL} .jp-StudioBackup-entry[data-path="${FOLDER}/run_1.txt"] .jp-StudioBackup-select`
      )
      .check();
    await expect(button).toBeEnabled();
    const enabled = await look();
    expect(disabled.cursor).toBe('not-allowed');
    expect(disabled.opacity).toBeLessThanOrEqual(0.6);
    expect(enabled.cursor).toBe('pointer');
    expect(enabled.opacity).toBe(1);
    // An enabled secondary button reads as one: the theme's surface, not the browser's grey.
    const surface = await page
      .locator(PANEL)
      .evaluate(el => getComputedStyle(el).backgroundColor);
    expect(enabled.background).toBe(surface);
  });
});

test.describe('"Previous versions…" while the agent is down', () => {
  const agent = agentForBlock();

  test('says the agent cannot be reached, not that no snapshot holds the file', async ({
    page
  }) => {
    await openPanel(page);
    await expect(
      page.locator(`${PANEL} .jp-StudioBackup-snapshot`)
    ).toHaveCount(1);
    await agent().stop();
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('studio-backup:previous-versions', {
        path: 'README.md',
        isDir: false
      })
    );
    const view = page.locator('.jp-StudioBackup-versions');
    await expect(view.locator('[role="alert"]')).toHaveText(
      `Backup agent not reachable on port ${AGENT_PORT}: is the lifecycle configuration attached?`
    );
    await expect(view).not.toContainText('No snapshot holds');
  });
});
