/**
 * Issue #16 item 9: while the repository cannot be read, the panel says so in words (no raw errno),
 * and does not claim there are no snapshots.
 */
import { expect, test } from '@jupyterlab/galata';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_PORT, IRunningAgent, startAgent } from './agent';
import { openPanel, PANEL } from './panel';

test.describe('a repository that cannot be read', () => {
  let agent: IRunningAgent;

  test.beforeAll(async () => {
    // The repository's path runs through a file: every read fails with ENOTDIR.
    const file = join(
      mkdtempSync(join(tmpdir(), 'studio-backup-ui-file-')),
      'notes.txt'
    );
    writeFileSync(file, 'a file, not a folder\n');
    agent = await startAgent(AGENT_PORT, {
      repoDir: join(file, 'repo'),
      seed: false
    });
  });

  test.afterAll(async () => {
    await agent?.stop();
  });

  test('the panel names the problem and does not say "No snapshots yet."', async ({
    page
  }) => {
    await openPanel(page);
    const message = page.locator(`${PANEL} .jp-StudioBackup-listError`);
    await expect(message).toContainText(
      /^The snapshots cannot be listed: .*check the repository location\.$/,
      { timeout: 30_000 }
    );
    await expect(page.locator(PANEL)).not.toContainText('ENOTDIR');
    await expect(page.locator(PANEL)).not.toContainText('No snapshots yet.');
  });
});
