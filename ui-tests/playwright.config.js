/**
 * Playwright configuration: Galata's defaults, Debian's Chromium (no browser downloads here),
 * and a real JupyterLab server with the built extension started for the run, on free ports (a
 * JupyterLab or agent of the user's own on 8888 or 8765 is not in the way).
 */
const { execFileSync } = require('node:child_process');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { galata } = require('@jupyterlab/galata');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// One home for the Jupyter server's root and the agent, and the two ports, chosen once: the
// workers load this file again and inherit the variables.
process.env.STUDIO_BACKUP_UI_HOME ??= mkdtempSync(
  join(tmpdir(), 'studio-backup-ui-home-')
);
if (
  !process.env.STUDIO_BACKUP_UI_JUPYTER_PORT ||
  !process.env.STUDIO_BACKUP_UI_AGENT_PORT
) {
  const [jupyter, agent] = execFileSync(
    process.execPath,
    [join(__dirname, '..', 'scripts', 'free-port.js'), '2'],
    { encoding: 'utf8' }
  ).split('\n');
  process.env.STUDIO_BACKUP_UI_JUPYTER_PORT = jupyter;
  process.env.STUDIO_BACKUP_UI_AGENT_PORT = agent;
}
const jupyterPort = process.env.STUDIO_BACKUP_UI_JUPYTER_PORT;
const baseURL = `http://localhost:${jupyterPort}`;

const resultsFile = process.env.STUDIO_BACKUP_PLAYWRIGHT_JSON;

module.exports = {
  ...baseConfig,
  workers: 1,
  retries: 0,
  // A real JupyterLab, agent and Chromium on a busy 2-core machine: waits, not assertions of speed.
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: [
    ['list'],
    ...(resultsFile ? [['json', { outputFile: resultsFile }]] : [])
  ],
  use: {
    ...baseConfig.use,
    baseURL,
    // The panel asks the agent of the tests (tests/agent.ts), not one on the default port.
    mockSettings: {
      ...galata.DEFAULT_SETTINGS,
      'sagemaker-studio-backup:plugin': {
        agentPort: Number(process.env.STUDIO_BACKUP_UI_AGENT_PORT)
      }
    },
    // Videos need Playwright's own ffmpeg download, which is not available here.
    video: 'off',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    }
  },
  webServer: {
    command: `jupyter lab --config jupyter_server_test_config.py --port ${jupyterPort}`,
    url: `${baseURL}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI
  }
};
