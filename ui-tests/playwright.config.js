/**
 * Playwright configuration: Galata's defaults, Debian's Chromium (no browser downloads here),
 * and a real JupyterLab server with the built extension started for the run.
 */
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// One home for the Jupyter server's root and the agent; workers inherit the variable.
process.env.STUDIO_BACKUP_UI_HOME ??= mkdtempSync(
  join(tmpdir(), 'studio-backup-ui-home-')
);

const resultsFile = process.env.STUDIO_BACKUP_PLAYWRIGHT_JSON;

module.exports = {
  ...baseConfig,
  workers: 1,
  retries: 0,
  reporter: [
    ['list'],
    ...(resultsFile ? [['json', { outputFile: resultsFile }]] : [])
  ],
  use: {
    ...baseConfig.use,
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
    command: 'jupyter lab --config jupyter_server_test_config.py',
    url: 'http://localhost:8888/lab',
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI
  }
};
