/**
 * The journeys of issue #16 in one page load each: a data scientist backs up, then undoes a bad
 * edit of an open notebook, restores a snapshot, compares a file in both themes.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AGENT_PORT, IRunningAgent, startAgent } from './agent';
import { backUpNow, notebookWith, openPanel, PANEL } from './panel';

/** True when the element's centre is inside every clipping ancestor and is what a click hits. */
async function reachable(
  page: IJupyterLabPageFixture,
  selector: string
): Promise<boolean> {
  return page.locator(selector).evaluate(el => {
    const box = el.getBoundingClientRect();
    const x = box.left + box.width / 2;
    const y = box.top + box.height / 2;
    const hit = document.elementFromPoint(x, y);
    return box.width > 0 && box.height > 0 && !!hit && el.contains(hit);
  });
}

// Each test backs up what it needs, so one failure does not hide the others.
test.describe('Issue #16 journeys', () => {
  let agent: IRunningAgent;
  // A folder of their own: opening a notebook leaves .ipynb_checkpoints/ beside it, which the
  // other spec's counts of notebooks/ must not see.
  const notebook = () => join(agent.home, 'journeys', 'analysis.ipynb');

  test.beforeAll(async () => {
    agent = await startAgent(AGENT_PORT);
    mkdirSync(dirname(notebook()), { recursive: true });
    writeFileSync(notebook(), notebookWith("print('good')"));
  });

  test.afterAll(async () => {
    rmSync(dirname(notebook()), { recursive: true, force: true });
    await agent?.stop();
  });

  test('each snapshot row shows its Compare and Restore… actions, and they can be clicked', async ({
    page
  }) => {
    await openPanel(page);
    await backUpNow(page);
    const row = `${PANEL} .jp-StudioBackup-snapshot`;
    for (const action of [
      '.jp-StudioBackup-compare',
      '.jp-StudioBackup-restoreAll'
    ]) {
      await expect(page.locator(`${row} ${action}`).first()).toBeVisible();
      expect(await reachable(page, `${row} >> nth=0 >> ${action}`)).toBe(true);
    }
    await page.locator(`${row} .jp-StudioBackup-compare`).first().click();
    await expect(
      page.locator('.jp-StudioBackup-view .jp-StudioBackup-compare')
    ).toBeVisible();
  });

  test('an in-place restore reloads the open notebook, and Ctrl+S then saves the restored version', async ({
    page
  }) => {
    await openPanel(page);
    await backUpNow(page);
    writeFileSync(notebook(), notebookWith("print('broken')"));
    await page.sidebar.openTab('filebrowser');
    await page.filebrowser.openHomeDirectory();
    await page.filebrowser.refresh();
    await page.filebrowser.open('journeys/analysis.ipynb');
    // The notebook names no kernel: JupyterLab asks for one; Escape keeps it without.
    await expect(page.locator('.jp-Dialog')).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);
    const cell = page.locator('.jp-NotebookPanel .jp-Cell .cm-content').first();
    await expect(cell).toHaveText("print('broken')");
    // An unsaved edit too: the restore asks before dropping it, Reload being the default.
    await page.notebook.enterCellEditingMode(0);
    await page.keyboard.press('End');
    await page.keyboard.type('  # unsaved');

    await page.filebrowser.openHomeDirectory();
    await page.filebrowser.openDirectory('journeys');
    await page
      .locator('.jp-DirListing-itemName', { hasText: 'analysis.ipynb' })
      .click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Previous versions…' }).click();
    const version = page.locator('.jp-StudioBackup-version').first();
    await version.locator('.jp-StudioBackup-restoreVersion').click();
    const dialog = page.locator('.jp-Dialog');
    // The conflict dialog names the file it would overwrite.
    await expect(dialog).toContainText('1 file will be overwritten');
    await expect(dialog).toContainText('journeys/analysis.ipynb');
    await dialog.locator('.jp-StudioBackup-overwrite').click();
    await expect(dialog).toContainText(
      'journeys/analysis.ipynb has unsaved changes'
    );
    await page.keyboard.press('Enter');
    await expect(page.locator('.jp-toast-message').first()).toContainText(
      'Restored journeys/analysis.ipynb'
    );

    await page
      .getByRole('tab', { name: 'analysis.ipynb', exact: true })
      .click();
    await expect(cell).toHaveText("print('good')");
    // An edit after the restore saves without a "File Changed" dialog (its Overwrite would be
    // harmless now, but a stale tab's would undo the restore).
    await page.notebook.enterCellEditingMode(0);
    await page.keyboard.press('End');
    await page.keyboard.type('  # checked');
    await page.keyboard.press('Control+s');
    // JupyterLab writes the file in place: a read in the middle of the write sees a cut-off JSON,
    // which is "not saved yet", not a failure (poll stops at the first exception).
    const savedSource = () => {
      try {
        return [JSON.parse(readFileSync(notebook(), 'utf8')).cells[0].source]
          .flat()
          .join('');
      } catch {
        return '(being written)';
      }
    };
    await expect.poll(savedSource).toBe("print('good')  # checked");
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);
  });

  test('the restore-target radios show which is chosen, and the original place is the default when nothing would be overwritten', async ({
    page
  }) => {
    await openPanel(page);
    await backUpNow(page);
    const newest = page.locator(`${PANEL} .jp-StudioBackup-snapshot`).first();
    const dialog = page.locator('.jp-Dialog');
    const radio = (value: string) =>
      dialog.locator(`input[type="radio"][value="${value}"]`);

    await newest.locator('.jp-StudioBackup-restoreAll').click();
    await expect(radio('original')).toBeChecked();
    // Checked and unchecked radios look different (JupyterLab's reset hides native radios).
    expect(
      Buffer.compare(
        await radio('original').screenshot(),
        await radio('side').screenshot()
      )
    ).not.toBe(0);
    await dialog.locator('.jp-mod-reject').click();

    writeFileSync(join(agent.home, 'README.md'), '# Edited after\n');
    await newest.locator('.jp-StudioBackup-restoreAll').click();
    await expect(radio('side')).toBeChecked();
    await dialog.locator('.jp-mod-reject').click();
  });

  test('the file diff is readable (contrast at least 4.5:1) in the light and the dark theme', async ({
    page
  }) => {
    await openPanel(page);
    await backUpNow(page);
    writeFileSync(join(agent.home, 'README.md'), '# Edited twice\n');
    await page.sidebar.openTab('filebrowser');
    await page.filebrowser.openHomeDirectory();
    await page.filebrowser.refresh();
    await page
      .locator('.jp-DirListing-itemName', { hasText: 'README.md' })
      .click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Previous versions…' }).click();
    await page
      .locator('.jp-StudioBackup-version')
      .first()
      .locator('.jp-StudioBackup-compareFile')
      .click();
    const lines = page.locator(
      '.jp-StudioBackup-diff-added, .jp-StudioBackup-diff-removed'
    );
    await expect(lines).toHaveCount(2);
    for (const theme of ['light', 'dark']) {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      }
      const ratios = await lines.evaluateAll(els =>
        els.map(el => {
          // "rgb(r, g, b)", or "color(srgb r g b)" in 0..1 for color-mix().
          const rgba = (c: string) => {
            const [r, g, b, a] = (c.match(/[\d.]+/g) ?? [])
              .map(Number)
              .concat([1]);
            const k = c.startsWith('color(') ? 255 : 1;
            return [r * k, g * k, b * k, a];
          };
          // The background as painted: each ancestor's colour under the ones above it.
          let bg = [0, 0, 0, 0];
          for (let n: Element | null = el; n; n = n.parentElement) {
            const [r, g, b, a] = rgba(getComputedStyle(n).backgroundColor);
            const under = [r, g, b, a];
            const top = bg;
            const alpha = top[3] + under[3] * (1 - top[3]);
            bg =
              alpha === 0
                ? [0, 0, 0, 0]
                : [0, 1, 2]
                    .map(
                      i =>
                        (top[i] * top[3] + under[i] * under[3] * (1 - top[3])) /
                        alpha
                    )
                    .concat([alpha]);
            if (alpha >= 1) {
              break;
            }
          }
          const luminance = ([r, g, b]: number[]) => {
            const lin = (v: number) => {
              const s = v / 255;
              return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
            };
            return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
          };
          const fg = luminance(rgba(getComputedStyle(el).color));
          const back = luminance(bg);
          return (Math.max(fg, back) + 0.05) / (Math.min(fg, back) + 0.05);
        })
      );
      for (const ratio of ratios) {
        expect(ratio, `${theme} theme`).toBeGreaterThanOrEqual(4.5);
      }
    }
    await page.theme.setLightTheme();
  });
});
