/** Crashes, faults and concurrency: no half snapshot, nothing lost, corruption named. */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, Server } from 'node:http';
import { join } from 'node:path';
import { backup } from '../src/backup/backup';
import { FileBackend } from '../src/repository/file-backend';
import { openBackend } from '../src/repository/open';
import { packKey } from '../src/repository/format';
import { Repository } from '../src/repository/repository';
import { check } from '../src/maintenance/check';
import { prune } from '../src/maintenance/prune';
import { LockError } from '../src/repository/lock';
import { restore } from '../src/restore/restore';
import { openView } from '../src/browse/view';
import {
  cleanupTempDirs,
  describeTree,
  makeHome,
  randomish,
  tempDir,
  write,
  excludedByDefault
} from './helpers/fixtures';
import { IS3Server, startS3 } from './helpers/s3';

jest.setTimeout(180_000);
afterEach(cleanupTempDirs);

const BIN = join(__dirname, '..', 'bin', 'studio-backup.js');
const excluded = excludedByDefault;

/** A small deterministic generator, so the kill points are the same at every run. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe('kill -9 during a backup', () => {
  it('never leaves a half snapshot, and the next backup completes and verifies (20 kills)', async () => {
    const home = tempDir('home');
    makeHome(home);
    for (let i = 0; i < 40; i++) {
      write(
        home,
        `notebooks/n${i}.ipynb`,
        `{"cells": ["${'x'.repeat(2000 + i)}"]}`
      );
    }
    write(home, 'models/big.bin', randomish(24 * 1024 * 1024, 11));
    const repoDir = tempDir('repo');
    const cacheDir = tempDir('cache');
    const random = lcg(7);
    let completed = 0;
    for (let i = 0; i < 20; i++) {
      // Each round changes a file, so each backup has work to do.
      write(home, 'notebooks/n0.ipynb', `{"round": ${i}}`);
      write(home, `models/part-${i}.bin`, randomish(2 * 1024 * 1024, 100 + i));
      const child = spawn(
        process.execPath,
        [
          BIN,
          'backup',
          '--repo',
          repoDir,
          '--source',
          home,
          '--cache-dir',
          cacheDir
        ],
        { stdio: 'ignore' }
      );
      const delay = Math.floor(random() * 1500);
      const exited = new Promise<number | null>(resolve =>
        child.once('exit', code => resolve(code))
      );
      await new Promise(resolve => setTimeout(resolve, delay));
      child.kill('SIGKILL');
      if ((await exited) === 0) {
        completed++;
      }
      // Every snapshot that exists is whole: its manifest loads and every tree and blob it needs is there.
      const repo = await Repository.open(new FileBackend(repoDir), {
        create: true
      });
      const result = await check(repo);
      expect(result.problems).toEqual([]);
      // A kill after the manifest was written but before the process exited leaves a whole snapshot.
      expect(result.snapshots).toBeGreaterThanOrEqual(completed);
      expect(result.snapshots).toBeLessThanOrEqual(i + 1);
    }
    // Some kills land before the process could finish (how many depends on the machine's speed).
    expect(completed).toBeLessThan(20);
    const repo = await Repository.open(new FileBackend(repoDir));
    const final = await backup(repo, { source: home, cacheDir });
    expect(final.warnings).toEqual([]);
    expect(
      (
        await check(await Repository.open(new FileBackend(repoDir)), {
          readData: true
        })
      ).problems
    ).toEqual([]);
    await prune(await Repository.open(new FileBackend(repoDir)), {
      graceMs: 0
    });
    expect(
      (
        await check(await Repository.open(new FileBackend(repoDir)), {
          readData: true
        })
      ).problems
    ).toEqual([]);
    const target = tempDir('target');
    await restore(
      await openView(await Repository.open(new FileBackend(repoDir)), 'latest'),
      { paths: [], target, conflict: 'skip' }
    );
    expect(describeTree(target)).toEqual(describeTree(home, excluded));
  });
});

describe('a flipped byte', () => {
  it('is named by check --read-data with the snapshot and path it breaks', async () => {
    const home = tempDir('home');
    write(home, 'notes/important.txt', 'precious words\n'.repeat(100));
    const repoDir = tempDir('repo');
    const repo = await Repository.open(new FileBackend(repoDir), {
      create: true
    });
    const result = await backup(repo, {
      source: home,
      cacheDir: tempDir('cache')
    });
    expect(
      (await check(await Repository.open(new FileBackend(repoDir)))).problems
    ).toEqual([]);

    // The pack of the file's data (trees are in a pack of their own, listed in no fixed order).
    const reader = await Repository.open(new FileBackend(repoDir));
    await reader.loadIndex();
    const dataPack = [...reader.index.entries()].find(
      ([, loc]) => loc.type === 'data'
    )![1].pack;
    const pack = join(repoDir, ...packKey(dataPack).split('/'));
    const bytes = readFileSync(pack);
    bytes[5] ^= 0xff;
    writeFileSync(pack, bytes);

    const quick = await check(await Repository.open(new FileBackend(repoDir)));
    expect(quick.problems).toEqual([]);
    const full = await check(await Repository.open(new FileBackend(repoDir)), {
      readData: true
    });
    const messages = full.problems.map(p => p.message).join('\n');
    expect(messages).toMatch(/does not match its hash/);
    expect(messages).toMatch(
      new RegExp(
        `is (corrupted|cannot be decoded).*breaks ${result.snapshotId.slice(0, 8)}:notes/important.txt`
      )
    );
  });
});

describe('concurrent writers', () => {
  it('two backups and a prune at once lose nothing', async () => {
    const repoDir = tempDir('repo');
    await Repository.open(new FileBackend(repoDir), { create: true });
    const homes = [tempDir('home-a'), tempDir('home-b')];
    homes.forEach((home, i) => {
      makeHome(home);
      write(home, `own-${i}.bin`, randomish(5 * 1024 * 1024, 50 + i));
    });
    const open = () => Repository.open(new FileBackend(repoDir));
    const pruning = (async () => {
      await new Promise(resolve => setTimeout(resolve, 20));
      try {
        await prune(await open(), { graceMs: 0 });
        return 'pruned';
      } catch (err) {
        expect(err).toBeInstanceOf(LockError);
        return 'locked out';
      }
    })();
    const results = await Promise.all(
      homes.map(async home =>
        backup(await open(), { source: home, cacheDir: tempDir('cache') })
      )
    );
    await pruning;
    await prune(await open(), { graceMs: 0 });
    expect((await check(await open(), { readData: true })).problems).toEqual(
      []
    );
    for (const [i, home] of homes.entries()) {
      const target = tempDir('target');
      await restore(await openView(await open(), results[i].snapshotId), {
        paths: [],
        target,
        conflict: 'skip'
      });
      expect(describeTree(target)).toEqual(describeTree(home, excluded));
    }
  });
});

describe('a flaky S3 (5% of requests fail)', () => {
  let s3: IS3Server;
  let proxy: Server;
  let faults = 0;
  let requests = 0;

  beforeAll(async () => {
    s3 = await startS3();
    await s3.createBucket('flaky');
    const random = lcg(3);
    proxy = createServer((req, res) => {
      requests++;
      const roll = random();
      if (faults < 60 && roll < 0.05) {
        faults++;
        if (roll < 0.025) {
          res.writeHead(503, { 'Content-Type': 'application/xml' });
          res.end(
            '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>'
          );
        } else {
          req.socket.destroy();
        }
        return;
      }
      const upstream = request(
        {
          host: '127.0.0.1',
          port: s3.port,
          method: req.method,
          path: req.url,
          headers: req.headers
        },
        up => {
          res.writeHead(up.statusCode ?? 500, up.headers);
          up.pipe(res);
        }
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>(resolve =>
      proxy.listen(0, '127.0.0.1', () => resolve())
    );
  });

  afterAll(async () => {
    await new Promise(resolve => proxy?.close(resolve));
    await s3?.stop();
  });

  it('backs up, restores and verifies through injected 503s and connection resets', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_S3;
    process.env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    try {
      const home = tempDir('home');
      makeHome(home);
      for (let i = 0; i < 60; i++) {
        write(home, `data/part-${i}.csv`, `row,${i}\n`.repeat(200 + i));
      }
      write(home, 'models/weights.bin', randomish(20 * 1024 * 1024, 21));
      const url = 's3://flaky/studio/bob/space';
      await backup(await Repository.open(openBackend(url), { create: true }), {
        source: home,
        cacheDir: tempDir('cache')
      });
      const target = tempDir('target');
      await restore(
        await openView(await Repository.open(openBackend(url)), 'latest'),
        { paths: [], target, conflict: 'skip' }
      );
      expect(describeTree(target)).toEqual(describeTree(home, excluded));
      expect(
        (
          await check(await Repository.open(openBackend(url)), {
            readData: true
          })
        ).problems
      ).toEqual([]);
      expect(faults).toBeGreaterThan(0);
      expect(requests).toBeGreaterThan(faults);
    } finally {
      process.env.AWS_ENDPOINT_URL_S3 = saved;
    }
  });
});
