/**
 * Issue #13, the panel's part: the retention policy in force, "kept until" on each snapshot and
 * the storage the backups take. The UI tests' agent runs without the backend, so the policy is
 * the built-in default and the panel says why no maintenance runs.
 */
import { expect, test } from '@jupyterlab/galata';
import { AGENT_PORT, IRunningAgent, startAgent } from './agent';
import { backUpNow, openPanel, PANEL } from './panel';

test.describe('Retention and storage in the panel', () => {
  let agent: IRunningAgent;

  test.beforeAll(async () => {
    agent = await startAgent(AGENT_PORT);
  });

  test.afterAll(async () => {
    await agent?.stop();
  });

  test('shows the policy in force, kept-until on a snapshot, and the storage', async ({
    page
  }) => {
    await openPanel(page);
    await backUpNow(page);
    const rows = page.locator(`${PANEL} .jp-StudioBackup-snapshot`);

    const section = page.locator(`${PANEL} .jp-StudioBackup-retention`);
    await expect(
      section.locator('.jp-StudioBackup-retention-policy')
    ).toHaveText(
      'Keeps 24 hourly, 14 daily, 8 weekly, 12 monthly (the default policy).'
    );
    await expect(
      section.locator('.jp-StudioBackup-retention-run')
    ).toContainText('backend is not deployed');
    await expect(
      section.locator('.jp-StudioBackup-retention-storage')
    ).toContainText(/^Stored: .+ for .+ of snapshots/);
    // A file repository: no S3 price to estimate.
    await expect(
      section.locator('.jp-StudioBackup-retention-storage')
    ).not.toContainText('$');
    await expect(
      rows.first().locator('.jp-StudioBackup-snapshot-time')
    ).toHaveAttribute(
      'title',
      /Kept until about .+ if a backup runs every \d+ minutes\./
    );
  });
});
