/**
 * Issue #16, "beyond": notebooks shown as notebooks (a snapshot's version previewed with its
 * rendered Markdown and outputs, and compared with the current file cell by cell, changed images
 * side by side), and a file found by name in every snapshot. The snapshots are taken with the CLI
 * into the agent's repository.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_PORT, cliBackup, IRunningAgent, startAgent } from './agent';
import { violations } from './axe';

const PATH = 'nbviews/report.ipynb';
const NOTES = 'nbviews/churn.csv';
// 1×1 PNGs, red and blue.
const RED =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const BLUE =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPj/HwADBwIAMCbHYQAAAABJRU5ErkJggg==';

function report(image: string, x: number, extra = false): string {
  const cells: unknown[] = [
    {
      cell_type: 'markdown',
      id: 'title',
      metadata: {},
      source: ['# Quarterly report\n', 'Churn by region.']
    },
    {
      cell_type: 'code',
      id: 'plot',
      execution_count: 1,
      metadata: {},
      source: 'plot(churn)',
      outputs: [
        {
          output_type: 'display_data',
          data: { 'image/png': image },
          metadata: {}
        }
      ]
    },
    {
      cell_type: 'code',
      id: 'param',
      execution_count: 2,
      metadata: {},
      source: `x = ${x}`,
      outputs: [
        { output_type: 'stream', name: 'stdout', text: [`x is ${x}\n`] }
      ]
    }
  ];
  if (extra) {
    cells.push({
      cell_type: 'code',
      id: 'save',
      execution_count: null,
      metadata: {},
      source: 'save(report)',
      outputs: []
    });
  }
  return JSON.stringify({
    cells,
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5
  });
}

async function openView(
  page: IJupyterLabPageFixture,
  command: string,
  snapshot: string,
  path = PATH
): Promise<void> {
  await page.evaluate(
    ([id, args]) => window.jupyterapp.commands.execute(id, args),
    [command, { snapshot, path }] as const
  );
}

test.describe('Notebooks shown as notebooks', () => {
  let agent: IRunningAgent;
  let snapshot: string;

  test.beforeAll(async () => {
    agent = await startAgent(AGENT_PORT);
    mkdirSync(join(agent.home, 'nbviews'), { recursive: true });
    writeFileSync(join(agent.home, PATH), report(RED, 1));
    writeFileSync(join(agent.home, NOTES), 'region,churn\nnorth,0.12\n');
    snapshot = cliBackup(agent);
    // Now: the plot is blue, x is 2, and a cell was added.
    writeFileSync(join(agent.home, PATH), report(BLUE, 2, true));
    writeFileSync(
      join(agent.home, NOTES),
      'region,churn\nnorth,0.15\nsouth,0.2\n'
    );
  });

  test.afterAll(async () => {
    rmSync(join(agent.home, 'nbviews'), { recursive: true, force: true });
    await agent?.stop();
  });

  test("a snapshot's notebook is previewed with its Markdown rendered and its outputs", async ({
    page
  }) => {
    await openView(page, 'studio-backup:preview', snapshot);
    const view = page.locator(
      '.jp-StudioBackup-preview .jp-StudioBackup-notebook'
    );
    await expect(
      view.locator('h1', { hasText: 'Quarterly report' })
    ).toBeVisible();
    await expect(
      view.locator('.jp-StudioBackup-cellOutputs img')
    ).toHaveAttribute('src', `data:image/png;base64,${RED}`);
    await expect(
      view.locator('.jp-StudioBackup-cellOutputs', { hasText: 'x is 1' })
    ).toBeVisible();
  });

  test('compared with the current file cell by cell, a changed image shown before and now', async ({
    page
  }) => {
    await openView(page, 'studio-backup:compare-file', snapshot);
    const diff = page.locator('.jp-StudioBackup-notebookDiff');
    await expect(diff.getByText('3 cells differ.')).toBeVisible();
    await expect(
      diff.locator('.jp-StudioBackup-cell-same .jp-StudioBackup-cellHeader')
    ).toHaveText(['Cell 1: unchanged']);
    const plot = diff.getByRole('region', { name: 'Cell 2: outputs changed' });
    const images = plot.locator('.jp-StudioBackup-outputsCompared img');
    await expect(images).toHaveCount(2);
    await expect(images.nth(0)).toHaveAttribute(
      'src',
      `data:image/png;base64,${RED}`
    );
    await expect(images.nth(1)).toHaveAttribute(
      'src',
      `data:image/png;base64,${BLUE}`
    );
    const param = diff.getByRole('region', {
      name: 'Cell 3: edited, outputs changed'
    });
    await expect(param.locator('.jp-StudioBackup-diff-removed')).toHaveText(
      '- x = 1'
    );
    await expect(param.locator('.jp-StudioBackup-diff-added')).toHaveText(
      '+ x = 2'
    );
    await expect(
      diff.getByRole('region', { name: 'Cell 4: added' })
    ).toContainText('save(report)');
  });

  test('a file is found by name in every snapshot from the panel, and opens from there', async ({
    page
  }) => {
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('studio-backup:open-panel')
    );
    await page.locator('#studio-backup-panel .jp-StudioBackup-find').click();
    const view = page.getByLabel('Find in every snapshot');
    await view.getByLabel('Name or pattern to find').fill('REPORT*');
    await view.getByRole('button', { name: 'Find' }).click();
    const found = view.locator('.jp-StudioBackup-found', { hasText: PATH });
    await expect(found.locator('.jp-StudioBackup-foundVersion')).toHaveCount(1);
    await expect(view.getByRole('status')).toContainText(
      '1 path, 1 version, in 1 snapshot'
    );
    await found.getByRole('button', { name: 'Preview' }).click();
    await expect(
      page.locator('.jp-StudioBackup-preview h1', {
        hasText: 'Quarterly report'
      })
    ).toBeVisible();
  });

  // Issue #16, "How it is shown": axe-core on every main-area view and every dialog, both themes.
  for (const theme of ['light', 'dark']) {
    test(`0 critical, 0 serious in the ${theme} theme: previews, diffs, snapshot compare, search, request dialogs`, async ({
      page
    }) => {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      }
      const views: Array<[string, () => Promise<void>, string]> = [
        [
          'notebook preview',
          () => openView(page, 'studio-backup:preview', snapshot),
          '.jp-StudioBackup-preview .jp-StudioBackup-notebook'
        ],
        [
          'text preview',
          () => openView(page, 'studio-backup:preview', snapshot, NOTES),
          '.jp-StudioBackup-previewText'
        ],
        [
          'notebook diff',
          () => openView(page, 'studio-backup:compare-file', snapshot),
          '.jp-StudioBackup-notebookDiff'
        ],
        [
          'text diff',
          () => openView(page, 'studio-backup:compare-file', snapshot, NOTES),
          '.jp-StudioBackup-diff-added'
        ],
        [
          'snapshot compare',
          () => openView(page, 'studio-backup:compare', snapshot),
          '.jp-StudioBackup-compareDirection'
        ],
        [
          'search',
          () =>
            page.evaluate(() =>
              window.jupyterapp.commands.execute('studio-backup:search')
            ),
          '.jp-StudioBackup-searchInput'
        ]
      ];
      const found: string[] = [];
      for (const [name, open, shown] of views) {
        await open();
        const visible = page.locator(`${shown}:visible`).first();
        await expect(visible).toBeVisible({ timeout: 30_000 });
        const area = page
          .locator('.jp-MainAreaWidget:visible')
          .filter({ has: visible });
        const id = await area.first().getAttribute('id');
        found.push(
          ...(await violations(page, `[id="${id}"]`)).map(v => `${name}: ${v}`)
        );
      }
      await page.evaluate(() =>
        window.jupyterapp.commands.execute('studio-backup:open-panel')
      );
      const requests = page.locator(
        '#studio-backup-panel .jp-StudioBackup-requests'
      );
      await requests.evaluate(el => ((el as HTMLDetailsElement).open = true));
      for (const button of [
        '.jp-StudioBackup-requestFull',
        '.jp-StudioBackup-requestRecovery'
      ]) {
        await requests.locator(button).click();
        await expect(page.locator('.jp-Dialog')).toBeVisible();
        found.push(
          ...(await violations(page, '.jp-Dialog')).map(
            v => `${button} dialog: ${v}`
          )
        );
        await page.locator('.jp-Dialog .jp-mod-reject').click();
        await expect(page.locator('.jp-Dialog')).toHaveCount(0);
      }
      expect(found).toEqual([]);
    });
  }
});
