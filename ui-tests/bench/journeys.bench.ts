/**
 * The eleven journeys of issue #16, walked as a data scientist would, against real JupyterLab and a
 * real agent: each one from a freshly loaded JupyterLab to the result on screen. The user's actions
 * (clicks, key presses, a text typed into a field) are counted by the `User` wrapper, and the wall
 * time runs from the first action to the visible result.
 *
 * `make bench-journeys` writes the "Journeys through the panel (issue #16)" section of
 * docs/benchmarks.md, with the numbers of the panel as it was when #16 was filed read from
 * journeys-before.json. That file is written by this same script, copied into a checkout of
 * 0b56d64^ and run there with STUDIO_BACKUP_JOURNEYS_BEFORE=<path of the JSON to write> (see the
 * section for the commands). Where the old panel needs other steps, they are scripted below under
 * `BEFORE`; a journey it cannot do at all is recorded as not possible, with the reason.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Browser, Locator, Page } from '@playwright/test';
import { ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync
} from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  AGENT_PORT,
  cliBackup,
  IRunningAgent,
  startAgent
} from '../tests/agent';
import { notebookWith, PANEL } from '../tests/panel';

// A plain-JS helper shared with bench/run.js and render.bench.ts.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { writeSection } = require('../../bench/report-section');

/** Set when this script runs in a checkout of the old panel: where to write its numbers. */
const BEFORE_OUT = process.env.STUDIO_BACKUP_JOURNEYS_BEFORE;
const BEFORE = !!BEFORE_OUT;
const BEFORE_FILE = join(__dirname, 'journeys-before.json');

const ROW = `${PANEL} .jp-StudioBackup-snapshot`;
const SIDEBAR_TAB = `.jp-SideBar .lm-TabBar-tab[data-id="studio-backup-panel"]`;

interface IJourneyResult {
  /** null: not possible. */
  actions: number | null;
  ms: number | null;
  /** What was measured beside the count (Tab presses, where the focus ended, why not possible). */
  note?: string;
}

interface IRun {
  commit: string;
  date: string;
  cores: number;
  load: number[];
  journeys: Record<string, IJourneyResult>;
}

/** The journeys in the issue's order, with what changed for each between the two runs. */
const JOURNEYS: { name: string; changed: string }[] = [
  {
    name: 'first look',
    changed:
      'the same click; the panel opens on the protection line, the timeline and day groups named in words'
  },
  {
    name: 'back up now',
    changed:
      'the same clicks; a Cancel says "Cancelling…", then "Backup cancelled" (before: no feedback)'
  },
  {
    name: 'recover a deleted notebook',
    changed:
      'the same clicks; a deleted top-level file can now be brought back too (from the empty area of the home)'
  },
  {
    name: 'undo a bad edit',
    changed:
      'the restore reloads the open notebook; before, its tab kept the bad version until File → Reload Notebook from Disk → Reload, and its next Ctrl+S undid the restore'
  },
  {
    name: 'browse',
    changed:
      'the same clicks; a notebook is previewed with its Markdown rendered and its outputs (before: its cells as plain text)'
  },
  {
    name: 'compare, in the dark theme',
    changed:
      "the row's Compare can be clicked (before: clipped by the row, reached by a click on the panel's title, Tab presses and Enter); the file diff in the theme's colours (contrast at least 4.5:1, was 1.3:1 in the dark theme)"
  },
  {
    name: 'requests',
    changed: 'the same clicks; the buttons fit a 250 px sidebar'
  },
  {
    name: 'settings',
    changed:
      'the protection line follows the new interval at once; before, it still showed the next backup of the old interval, even after the refresh button'
  },
  {
    name: 'agent down',
    changed:
      'the same click; the time is the wait for the panel\'s next health check (every 15 s, both before and after): opening the panel does not ask the agent again (left as it is); "No snapshots yet." is gone'
  },
  {
    name: 'keyboard only',
    changed:
      '"Backups: Open panel" puts the focus in the panel (before: in the main area), and Enter on a snapshot keeps it there (before: on the page body)'
  },
  {
    name: "Studio's /jupyterlab/default/ base URL",
    changed: 'nothing: it worked before'
  }
];

/** Counts the user's actions and times them from the first one to the visible result. */
class User {
  actions = 0;
  private started: number | null = null;

  constructor(private readonly page: Page) {}

  private act(): void {
    this.actions++;
    this.started ??= performance.now();
  }

  async click(target: Locator, options?: { button?: 'right' }): Promise<void> {
    this.act();
    await target.click(options);
  }

  async press(key: string): Promise<void> {
    this.act();
    await this.page.keyboard.press(key);
  }

  /** Text typed into one field: one action. */
  async type(text: string): Promise<void> {
    this.act();
    await this.page.keyboard.type(text);
  }

  /** Presses Tab until `target` has the focus; the number of presses. */
  async tabTo(target: Locator, max = 80): Promise<number> {
    for (let n = 1; n <= max; n++) {
      await this.press('Tab');
      if (await target.evaluate(el => el === document.activeElement)) {
        return n;
      }
    }
    throw new Error(`not reached with ${max} Tab presses`);
  }

  /** Right-click on `name` in the file browser, then "Previous versions…". */
  async previousVersions(name: string): Promise<void> {
    await this.click(
      this.page.locator('.jp-DirListing-itemName', { hasText: name }),
      { button: 'right' }
    );
    await this.click(
      this.page.getByRole('menuitem', { name: 'Previous versions…' })
    );
  }

  /** "Previous versions…" of `name`, then `action` on its newest version. */
  async onNewestVersion(name: string, action: string): Promise<void> {
    await this.previousVersions(name);
    await this.click(
      this.page.locator('.jp-StudioBackup-version').first().locator(action)
    );
  }

  /** Clicks through the restore's dialogs (`choice` when offered, else the default button). */
  async confirmDialogs(done: Locator, choice?: string): Promise<void> {
    const dialog = this.page.locator('.jp-Dialog');
    for (;;) {
      await expect(dialog.or(done).first()).toBeVisible({ timeout: 60_000 });
      if (!(await dialog.isVisible())) {
        return;
      }
      const preferred = choice ? dialog.locator(choice) : null;
      const button =
        preferred && (await preferred.count())
          ? preferred
          : dialog.locator('.jp-mod-accept');
      await this.click(button.first());
      await expect(dialog).toHaveCount(0);
    }
  }

  /** Waits for the result and returns the journey's numbers. */
  async sees(result: Locator, note?: string): Promise<IJourneyResult> {
    await expect(result.first()).toBeVisible({ timeout: 60_000 });
    return {
      actions: this.actions,
      ms: performance.now() - (this.started ?? performance.now()),
      ...(note ? { note } : {})
    };
  }
}

async function freePort(): Promise<number> {
  return new Promise(resolve => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A second JupyterLab under Studio's base URL, its panel pointed at the tests' agent. */
async function studioLab(): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const settings = mkdtempSync(join(tmpdir(), 'studio-backup-journeys-'));
  mkdirSync(join(settings, 'sagemaker-studio-backup'));
  writeFileSync(
    join(settings, 'sagemaker-studio-backup', 'plugin.jupyterlab-settings'),
    JSON.stringify({ agentPort: AGENT_PORT })
  );
  const child = spawn(
    'jupyter',
    [
      'lab',
      '--config',
      'jupyter_server_test_config.py',
      '--port',
      String(port),
      '--ServerApp.base_url=/jupyterlab/default/',
      `--LabApp.user_settings_dir=${settings}`
    ],
    { cwd: join(__dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] }
  );
  const url = `http://localhost:${port}/jupyterlab/default/lab`;
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('/jupyterlab/default/lab')) {
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', code =>
      reject(new Error(`jupyter lab exited with ${code}: ${output}`))
    );
  });
  return { url, process: child };
}

const results: Record<string, IJourneyResult> = {};
const loads: number[] = [];

test.describe.serial('Issue #16 journeys', () => {
  // The issue's journeys were walked at this size.
  test.use({ viewport: { width: 1440, height: 900 }, actionTimeout: 30_000 });
  let agent: IRunningAgent;
  const journeysNotebook = () => join(agent.home, 'project', 'analysis.ipynb');

  test.beforeAll(async () => {
    loads.push(loadavg()[0]);
    // A home with one snapshot already, taken by the CLI.
    const home = process.env.STUDIO_BACKUP_UI_HOME!;
    mkdirSync(join(home, 'notebooks'), { recursive: true });
    writeFileSync(
      join(home, 'notebooks', 'analysis.ipynb'),
      notebookWith("print('loaded')")
    );
    writeFileSync(join(home, 'README.md'), '# My project\n');
    mkdirSync(join(home, 'project'), { recursive: true });
    writeFileSync(
      join(home, 'project', 'analysis.ipynb'),
      notebookWith("print('good')")
    );
    // As the lifecycle configuration starts it: backing up every 12 hours.
    agent = await startAgent(AGENT_PORT, {
      seed: false,
      args: ['--interval', '720']
    });
    cliBackup(agent);
  });

  test.afterAll(async () => {
    rmSync(dirname(journeysNotebook()), { recursive: true, force: true });
    await agent?.stop();
    loads.push(loadavg()[0]);
    const run: IRun = {
      commit: process.env.STUDIO_BACKUP_JOURNEYS_COMMIT ?? '',
      date: new Date().toISOString().slice(0, 10),
      cores: cpus().length,
      load: loads,
      journeys: results
    };
    if (BEFORE) {
      writeFileSync(BEFORE_OUT!, JSON.stringify(run, null, 2) + '\n');
    } else {
      report(run);
    }
    console.log(JSON.stringify(run, null, 2));
  });

  /** Runs one journey; in the old panel a failure is its finding, "not possible". */
  async function walk(
    name: string,
    journey: () => Promise<IJourneyResult>
  ): Promise<void> {
    try {
      results[name] = await journey();
    } catch (error) {
      if (!BEFORE) {
        throw error;
      }
      const why = String((error as Error).message).split('\n')[0];
      results[name] = { actions: null, ms: null, note: why };
    }
  }

  test('first look', async ({ page }) => {
    await walk('first look', async () => {
      const user = new User(page);
      await user.click(page.locator(SIDEBAR_TAB));
      return user.sees(page.locator(`${PANEL} .jp-StudioBackup-protection`));
    });
  });

  test('back up now', async ({ page }) => {
    await walk('back up now', async () => {
      const user = new User(page);
      await user.click(page.locator(SIDEBAR_TAB));
      await expect(
        page.locator(`${PANEL} .jp-StudioBackup-protection`)
      ).toBeVisible();
      const before = await page.locator(ROW).count();
      await user.click(page.locator(`${PANEL} .jp-StudioBackup-backupNow`));
      return user.sees(page.locator(ROW).nth(before));
    });
  });

  test('recover a deleted notebook', async ({ page }) => {
    unlinkSync(join(agent.home, 'notebooks', 'analysis.ipynb'));
    // Galata starts each test in a folder of its own: the file browser shows the home.
    await page.filebrowser.openHomeDirectory();
    await walk('recover a deleted notebook', async () => {
      const user = new User(page);
      await user.previousVersions('notebooks');
      await user.click(
        page.locator(
          '.jp-StudioBackup-deletedItem[data-path="notebooks/analysis.ipynb"] .jp-StudioBackup-restore'
        )
      );
      const toast = page.locator('.jp-toast-message', {
        hasText: 'Restored notebooks/analysis.ipynb'
      });
      await user.confirmDialogs(toast);
      return user.sees(toast);
    });
  });

  test('undo a bad edit', async ({ page }) => {
    // The notebook was saved with a bad cell and is open in a tab, its folder in the file browser.
    writeFileSync(journeysNotebook(), notebookWith("print('broken')"));
    await page.filebrowser.openHomeDirectory();
    await page.filebrowser.open('project/analysis.ipynb');
    // The notebook names no kernel: JupyterLab asks for one; Escape keeps it without.
    await expect(page.locator('.jp-Dialog')).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);
    const cell = page.locator('.jp-NotebookPanel .jp-Cell .cm-content').first();
    await expect(cell).toHaveText("print('broken')");
    await page.filebrowser.openHomeDirectory();
    await page.filebrowser.openDirectory('project');

    await walk('undo a bad edit', async () => {
      const user = new User(page);
      await user.onNewestVersion(
        'analysis.ipynb',
        '.jp-StudioBackup-restoreVersion'
      );
      const toast = page.locator('.jp-toast-message', {
        hasText: 'Restored project/analysis.ipynb'
      });
      await user.confirmDialogs(toast, '.jp-StudioBackup-overwrite');
      await expect(toast).toBeVisible();
      await user.click(
        page.getByRole('tab', { name: 'analysis.ipynb', exact: true })
      );
      if (BEFORE) {
        // The tab still shows the bad cell: the user reloads it from the File menu.
        await expect(cell).toHaveText("print('broken')");
        await user.click(
          page.locator('.lm-MenuBar-itemLabel', { hasText: /^File$/ })
        );
        await user.click(
          page.locator('.lm-Menu-itemLabel', {
            hasText: 'Reload Notebook from Disk'
          })
        );
        await user.confirmDialogs(cell.filter({ hasText: "print('good')" }));
      }
      return user.sees(cell.filter({ hasText: "print('good')" }));
    });
  });

  test('browse', async ({ page }) => {
    await walk('browse', async () => {
      const user = new User(page);
      await user.click(page.locator(SIDEBAR_TAB));
      await user.click(
        page.locator(ROW).first().locator('.jp-StudioBackup-snapshot-time')
      );
      await user.click(
        page.locator(
          `${PANEL} .jp-StudioBackup-entry[data-path="project"] .jp-StudioBackup-entryName`
        )
      );
      await user.click(
        page.locator(
          `${PANEL} .jp-StudioBackup-entry[data-path="project/analysis.ipynb"] .jp-StudioBackup-entryName`
        )
      );
      // The preview tab shows the notebook's cell.
      return user.sees(
        page.locator('.jp-StudioBackup-preview', { hasText: "print('good')" })
      );
    });
  });

  test('compare, in the dark theme', async ({ page }) => {
    await page.theme.setDarkTheme();
    writeFileSync(join(agent.home, 'README.md'), '# My project, edited\n');
    await page.filebrowser.openHomeDirectory();
    await walk('compare, in the dark theme', async () => {
      const user = new User(page);
      await user.click(page.locator(SIDEBAR_TAB));
      const compare = page
        .locator(ROW)
        .first()
        .locator('.jp-StudioBackup-compare');
      let note: string | undefined;
      if (BEFORE) {
        // The row's Compare falls into a clipped grid row: no click reaches it. From a click on
        // the panel's title, Tab goes to it.
        await expect(page.locator(ROW).first()).toBeVisible();
        await user.click(page.locator(`${PANEL} h2`).first());
        note = `Compare reached with ${await user.tabTo(compare)} Tab presses`;
        await user.press('Enter');
      } else {
        await user.click(compare);
      }
      await expect(
        page.locator('.jp-StudioBackup-changed', { hasText: 'README.md' })
      ).toBeVisible();
      // Then the changed file line by line, from the file browser.
      await user.click(
        page.locator('.jp-SideBar .lm-TabBar-tab[data-id="filebrowser"]')
      );
      await user.onNewestVersion('README.md', '.jp-StudioBackup-compareFile');
      return user.sees(
        page.locator(
          '.jp-StudioBackup-diff-added, .jp-StudioBackup-diff-removed'
        ),
        note
      );
    });
    await page.theme.setLightTheme();
  });

  test('requests', async ({ page }) => {
    await walk('requests', async () => {
      const user = new User(page);
      await user.click(page.locator(SIDEBAR_TAB));
      await user.click(
        page.locator(`${PANEL} .jp-StudioBackup-requests summary`)
      );
      await user.click(page.locator(`${PANEL} .jp-StudioBackup-requestFull`));
      const request = page.locator(`${PANEL} .jp-StudioBackup-request`);
      await user.confirmDialogs(request);
      return user.sees(request);
    });
  });

  test('settings', async ({ page }) => {
    await walk('settings', async () => {
      const user = new User(page);
      const protection = page.locator(`${PANEL} .jp-StudioBackup-protection`);
      await user.click(page.locator(SIDEBAR_TAB));
      await expect(protection).toBeVisible();
      await user.click(
        page.locator('.lm-MenuBar-itemLabel', { hasText: /^Settings$/ })
      );
      await user.click(
        page.locator('.lm-Menu-itemLabel', { hasText: 'Settings Editor' })
      );
      await user.click(
        page.locator('.jp-PluginList-entry', { hasText: 'Backups' })
      );
      await user.click(page.locator('input[id$="plugin_intervalMinutes"]'));
      await user.type('30');
      const updated = protection.filter({ hasText: /next in (29|3[0-3]) min/ });
      if (BEFORE) {
        // The line does not follow the setting: the user asks the agent again.
        await user.click(page.locator(`${PANEL} .jp-StudioBackup-refresh`));
        await expect(updated)
          .toBeVisible({ timeout: 20_000 })
          .catch(async () => {
            throw new Error(
              `the panel still said "${await protection.textContent()}" after the refresh button`
            );
          });
      }
      return user.sees(updated);
    });
  });

  test('agent down', async ({ page }) => {
    await agent.stop();
    try {
      await walk('agent down', async () => {
        const user = new User(page);
        await user.click(page.locator(SIDEBAR_TAB));
        return user.sees(
          page.locator(`${PANEL} [role="alert"]`, {
            hasText: String(AGENT_PORT)
          })
        );
      });
    } finally {
      agent = await startAgent(AGENT_PORT, {
        repoDir: agent.repository.slice('file://'.length),
        seed: false,
        args: ['--interval', '720']
      });
    }
  });

  test('keyboard only', async ({ page }) => {
    await walk('keyboard only', async () => {
      const user = new User(page);
      await user.press('Control+Shift+C');
      await user.type('Backups: Open panel');
      await user.press('Enter');
      await expect(page.locator(ROW).first()).toBeVisible();
      const tabs = await user.tabTo(
        page.locator(ROW).first().locator('.jp-StudioBackup-snapshot-time')
      );
      await user.press('Enter');
      const result = await user.sees(
        page.locator(`${PANEL} .jp-StudioBackup-browser`)
      );
      const focused = await page.evaluate(
        sel => !!document.activeElement?.closest(sel),
        PANEL
      );
      result.note = `${tabs} Tab ${tabs === 1 ? 'press' : 'presses'} to the newest snapshot; then the focus is ${focused ? 'in the panel' : 'outside the panel'}`;
      return result;
    });
  });

  test("Studio's /jupyterlab/default/ base URL", async ({ browser }) => {
    const lab = await studioLab();
    const page = await (browser as Browser).newPage();
    try {
      await page.goto(lab.url);
      await expect(page.locator(SIDEBAR_TAB)).toBeVisible({ timeout: 60_000 });
      await walk("Studio's /jupyterlab/default/ base URL", async () => {
        const user = new User(page);
        await user.click(page.locator(SIDEBAR_TAB));
        await expect(page.locator(ROW).first()).toBeVisible();
        const before = await page.locator(ROW).count();
        await user.click(page.locator(`${PANEL} .jp-StudioBackup-backupNow`));
        await expect(page.locator(ROW).nth(before)).toBeVisible({
          timeout: 60_000
        });
        await user.click(
          page.locator(ROW).first().locator('.jp-StudioBackup-snapshot-time')
        );
        return user.sees(
          page.locator(`${PANEL} .jp-StudioBackup-entry[data-path="README.md"]`)
        );
      });
    } finally {
      await page.close();
      await new Promise<void>(resolve => {
        lab.process.once('exit', () => resolve());
        lab.process.kill('SIGTERM');
      });
    }
  });
});

const cell = (r: IJourneyResult | undefined, what: 'actions' | 'ms') =>
  !r
    ? '–'
    : r.actions === null
      ? 'not possible'
      : what === 'actions'
        ? String(r.actions)
        : `${(r.ms! / 1000).toFixed(2)} s`;

/** Writes the section of docs/benchmarks.md, the old panel's numbers beside the new. */
function report(after: IRun): void {
  const before: IRun | null = existsSync(BEFORE_FILE)
    ? JSON.parse(readFileSync(BEFORE_FILE, 'utf8'))
    : null;
  const rows = JOURNEYS.map(({ name, changed }) => {
    const b = before?.journeys[name];
    const a = after.journeys[name];
    const measured = [
      b?.note ? `before: ${b.note}` : '',
      a?.note ? `after: ${a.note}` : ''
    ]
      .filter(Boolean)
      .join('; ');
    return `| ${name} | ${cell(b, 'actions')} | ${cell(b, 'ms')} | ${cell(a, 'actions')} | ${cell(a, 'ms')} | ${changed}${measured ? `. Measured: ${measured}` : ''} |`;
  });
  const load = (r: IRun) => r.load.map(l => l.toFixed(1)).join(' → ');
  writeSection(
    'journeys',
    `## Journeys through the panel (issue #16)

\`make bench-journeys\` (ui-tests/bench/journeys.bench.ts): the eleven journeys of issue #16, each from a
freshly loaded JupyterLab (1440×900, Debian's Chromium, headless) to its result on screen, with a
real agent over a file:// repository. **Actions** are the user's clicks, key presses and texts typed
into a field (one each), counted by the script's \`User\` wrapper; **time** is the wall time from the
first action to the visible result, taken in the test process (Playwright's round trips included).
The issue names twelve things for its eleven journeys: "compare" and "dark theme" are one journey
here (a snapshot compared with the home, then the changed file line by line, in the dark theme,
where the diff was unreadable). Preparing a journey (a deleted file, an open notebook, the dark
theme, a stopped agent) is not counted.

**Before** is the panel when #16 was filed (${before?.commit || '0b56d64^'}), measured on ${before?.date ?? '–'}
(${before?.cores ?? '–'} cores, load average ${before ? load(before) : '–'} from the first journey to the last);
**after** is this checkout${after.commit ? ` (${after.commit})` : ''}, measured on ${after.date} (${after.cores} cores,
load average ${load(after)}). The machine was shared: the times are of one run each and move with the
load; the action counts do not.

| journey | actions before | time before | actions after | time after | what changed |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Reproduce: \`make bench-journeys\` writes this section from a run of this checkout and
\`ui-tests/bench/journeys-before.json\`. To measure the old panel again, in a clone of its own with
the same script and test harness (\`ui-tests/tests/agent.ts\`, \`panel.ts\`) copied in:

\`\`\`bash
here=$PWD; git clone -q . /tmp/before && cd /tmp/before && git checkout -q 0b56d64^ && bash scripts/setup.sh --browser
cp $here/ui-tests/bench/journeys.bench.ts ui-tests/bench/ && cp $here/ui-tests/tests/{agent,panel}.ts ui-tests/tests/
cd ui-tests && STUDIO_BACKUP_JOURNEYS_BEFORE=$here/ui-tests/bench/journeys-before.json \\
  STUDIO_BACKUP_JOURNEYS_COMMIT=$(git rev-parse --short HEAD) PATH=$PWD/../.venv/bin:$PATH CI=1 \\
  npx playwright test -c playwright.bench.config.js bench/journeys.bench.ts
\`\`\``
  );
}
