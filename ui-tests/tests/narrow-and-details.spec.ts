/**
 * Issue #16 item 9, the smaller points: the panel at a 250 px sidebar, "Previous versions…" while
 * the agent is down, the filter's count, the compare lists' order and actions, the protection line
 * and the interval field after a settings change, disabled buttons, and the day groups' names.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import {
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import { AGENT_PORT, asOf, cliBackup, startAgent } from './agent';
import { openPanel, PANEL } from './panel';

const FOLDER = 'details';
const RUNS = ['run_1.txt', 'run_2.txt', 'run_10.txt'];
const PLUGIN = 'sagemaker-studio-backup:plugin';

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
async function setSetting(
  page: IJupyterLabPageFixture,
  key: string,
  value: unknown
): Promise<void> {
  await page.evaluate(
    async ([plugin, key, value]) => {
      const registry = await window.galata.getPlugin(
        '@jupyterlab/apputils-extension:settings'
      );
      if (!registry) {
        throw new Error('No setting registry');
      }
      await (value === null
        ? registry.remove(plugin, key)
        : registry.set(plugin, key, value));
    },
    [PLUGIN, key, value] as [string, string, any]
  );
}

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
    // The file browser's FilterBox: a jp-search, whose input is in its shadow root.
    const filter = page.locator(`${PANEL} .jp-StudioBackup-filter input`);
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

test.describe('A settings change, without a reload', () => {
  // A schedule of 12 hours, as the lifecycle configuration sets by default.
  agentForBlock(['--interval', '720']);

  test('the protection line and the interval field follow the interval setting', async ({
    page
  }) => {
    await openPanel(page);
    const protection = page.locator(`${PANEL} .jp-StudioBackup-protection`);
    // 720 minutes and up to 10% of jitter.
    await expect(protection).toHaveText(
      /^Protected — last backup .*, next in (7[2-8]\d|79[0-2]) min$/
    );

    const openSettings = () =>
      page.evaluate(() =>
        window.jupyterapp.commands.execute('settingeditor:open', {
          query: 'Backups'
        })
      );
    await openSettings();
    const field = page.locator('input[id$="plugin_intervalMinutes"]');
    const group = page.locator('.jp-FormGroup-content', { has: field }).last();
    await expect(field).toBeVisible();
    // With no interval of the user's, the field shows the one in effect as its default.
    await expect(field).toHaveValue('');
    await expect(group).toContainText('Default: 720');

    await setSetting(page, 'intervalMinutes', 30);
    await expect(protection).toHaveText(
      /^Protected — last backup .*, next in (29|3[0-3]) min$/
    );
    await expect(field).toHaveValue('30');
    // The agent keeps the user's last interval: it stays in effect once the setting is removed.
    await setSetting(page, 'intervalMinutes', null);
    await expect(field).toHaveValue('');
    // An open form keeps the schema it was drawn with; opened again, it shows the new default.
    await page.activity.closeAll();
    await openSettings();
    await expect(group).toContainText('Default: 30');
  });
});

test.describe('The panel at a 250 px wide sidebar', () => {
  const agent = agentForBlock();

  /** Drags the left sidebar's edge until the panel is `width` px wide. */
  async function sidebarWidth(
    page: IJupyterLabPageFixture,
    width: number
  ): Promise<void> {
    const box = (await page.locator(PANEL).boundingBox())!;
    const handle = { x: box.x + box.width + 2, y: box.y + box.height / 2 };
    await page.mouse.move(handle.x, handle.y);
    await page.mouse.down();
    await page.mouse.move(handle.x + width - box.width, handle.y, {
      steps: 5
    });
    await page.mouse.up();
    await expect
      .poll(async () =>
        Math.round((await page.locator(PANEL).boundingBox())!.width)
      )
      .toBe(width);
  }

  /** What overflows its box, and which button's label takes more than one line or leaves it. */
  function layoutProblems(
    page: IJupyterLabPageFixture,
    selectors: string[]
  ): Promise<string[]> {
    return page.evaluate(selectors => {
      const problems: string[] = [];
      for (const selector of selectors) {
        const elements = Array.from(document.querySelectorAll(selector));
        if (elements.length === 0) {
          problems.push(`${selector}: not shown`);
        }
        for (const el of elements) {
          if (el.scrollWidth > el.clientWidth) {
            problems.push(
              `${selector} overflows: ${el.scrollWidth} > ${el.clientWidth} px`
            );
          }
          if (el.tagName !== 'BUTTON') {
            continue;
          }
          const range = document.createRange();
          range.selectNodeContents(el);
          const lines = Array.from(range.getClientRects()).filter(
            r => r.width > 0
          );
          const tops = new Set(lines.map(r => Math.round(r.top)));
          if (tops.size > 1) {
            problems.push(`${selector} takes ${tops.size} lines`);
          }
          const box = el.getBoundingClientRect();
          if (
            lines.some(r => r.left < box.left - 1 || r.right > box.right + 1)
          ) {
            problems.push(`${selector}: the label spills out of the button`);
          }
        }
      }
      return problems;
    }, selectors);
  }

  test('nothing overflows or wraps: the browser tools, the request buttons, a failed backup', async ({
    page
  }) => {
    await openPanel(page);
    await sidebarWidth(page, 250);
    await browseNewest(page);
    expect(
      await layoutProblems(page, [
        `${PANEL} .jp-StudioBackup-content`,
        `${PANEL} .jp-StudioBackup-browserTools`,
        `${PANEL} .jp-StudioBackup-restoreSelected`,
        `${PANEL} .jp-StudioBackup-backToList`
      ])
    ).toEqual([]);
    await page.locator(`${PANEL} .jp-StudioBackup-backToList`).click();

    await page.locator(`${PANEL} .jp-StudioBackup-requests summary`).click();
    expect(
      await layoutProblems(page, [
        `${PANEL} .jp-StudioBackup-content`,
        `${PANEL} .jp-StudioBackup-requests .jp-StudioBackup-actions`,
        `${PANEL} .jp-StudioBackup-requestFull`,
        `${PANEL} .jp-StudioBackup-requestRecovery`
      ])
    ).toEqual([]);

    // The repository's snapshots folder becomes a file: the next backup fails, with a long path.
    const repo = agent().repository.slice('file://'.length);
    renameSync(join(repo, 'snapshots'), join(repo, 'snapshots-aside'));
    writeFileSync(join(repo, 'snapshots'), 'not a folder\n');
    try {
      await page.locator(`${PANEL} .jp-StudioBackup-backupNow`).click();
      const protection = page.locator(`${PANEL} .jp-StudioBackup-protection`);
      await expect(protection).toHaveText(/^Last backup failed: /, {
        timeout: 30_000
      });
      expect(
        await layoutProblems(page, [
          `${PANEL} .jp-StudioBackup-content`,
          `${PANEL} .jp-StudioBackup-protection`
        ])
      ).toEqual([]);
    } finally {
      rmSync(join(repo, 'snapshots'));
      renameSync(join(repo, 'snapshots-aside'), join(repo, 'snapshots'));
    }
  });
});
