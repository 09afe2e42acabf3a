/**
 * A prune that stops at any one of its writes or deletes (a crash: nothing after it happens), for
 * every such point and with uploads finishing in a seeded random order, then run again: the
 * repository passes check --read-data and the prune run again leaves nothing more to free. The CLI
 * kill -9 cases (kill-points.test.ts) pick a few points of one order; this walks them all
 * in-process, where a run takes a fraction of a second.
 */
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../src/backup/backup';
import { check } from '../../src/maintenance/check';
import { forget } from '../../src/maintenance/forget';
import { prune } from '../../src/maintenance/prune';
import { FileBackend } from '../../src/repository/file-backend';
import { Repository } from '../../src/repository/repository';
import { seededRandom } from '../helpers/fault-proxy';
import { FaultyBackend } from '../helpers/faulty-backend';
import {
  cleanupTempDirs,
  randomish,
  tempDir,
  write
} from '../helpers/fixtures';
import { fileRepo, smallPackRepo } from './intact';

jest.setTimeout(180_000);
afterAll(cleanupTempDirs);

/** Five snapshots with seeded churn in 192 KiB packs, forget --keep-last 2: prune deletes and repacks. */
async function churnedRepo(seed: number): Promise<string> {
  const home = tempDir('home');
  const repoDir = tempDir('repo');
  const cacheDir = tempDir('cache');
  await smallPackRepo(repoDir, 192 * 1024);
  const random = seededRandom(seed);
  for (let s = 0; s < 5; s++) {
    const block = Math.floor(random() * 36);
    for (let i = 0; i < 48; i++) {
      if (s === 0 || (i >= block && i < block + 12) || random() < 0.1) {
        write(
          home,
          `data/part-${String(i).padStart(2, '0')}.bin`,
          randomish(48 * 1024, seed * 1000 + s * 100 + i)
        );
      }
    }
    write(home, 'notes.txt', `snapshot ${s}\n`);
    await backup(await fileRepo(repoDir), {
      source: home,
      cacheDir,
      concurrency: 1
    });
  }
  await forget(await fileRepo(repoDir), { last: 2 });
  return repoDir;
}

it.each([2024, 7])(
  'a prune stopped at any write or delete, then run again, leaves the repository whole and nothing to free (seed %i)',
  async seed => {
    const source = await churnedRepo(seed);
    const problems: string[] = [];
    let stops = 0;
    for (let k = 1; ; k++) {
      const repoDir = tempDir('case');
      cpSync(source, repoDir, { recursive: true });
      const crashing = new FaultyBackend(new FileBackend(repoDir));
      const pause = seededRandom(seed + k);
      crashing.pause = () => Math.floor(pause() * 10);
      let mutations = 0;
      crashing.onCall = op => {
        if ((op === 'write' || op === 'delete') && ++mutations >= k) {
          crashing.rules.push({ op, key: /./, times: 1 });
        }
      };
      const stopped = await prune(await Repository.open(crashing), {
        graceMs: 0
      }).then(
        () => false,
        () => true
      );
      if (!stopped) {
        break;
      }
      stops++;
      // A crashed process leaves its lock; here the process lives on, so the lock would not be stale.
      rmSync(join(repoDir, 'locks'), { recursive: true, force: true });
      await prune(await fileRepo(repoDir), { graceMs: 0 });
      const checked = await check(await fileRepo(repoDir), { readData: true });
      const left = await prune(await fileRepo(repoDir), {
        graceMs: 0,
        dryRun: true
      });
      problems.push(
        ...checked.problems.map(p => `stopped at ${k}: ${p.message}`),
        ...left.packs.map(
          p =>
            `stopped at ${k}: a third prune would ${p.action} ${p.id.slice(0, 8)}`
        )
      );
    }
    expect(stops).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  }
);
