/**
 * kill -9 at chosen points of a restore and of a prune, through the CLI.
 *
 * Kill points are exact, never a matter of timing: the CLI runs with a small preloaded hook that
 * counts the file-system calls that make the state observable (a restored file renamed into the
 * target, a write into the 20 MB file's temp file, a pack or index file written into the repository
 * or deleted from it) and stops the process (SIGSTOP) just before the k-th one; the test sees it
 * stopped and sends SIGKILL. k is chosen from a counting run of the same command (the first, the
 * middle, the last of a kind) or drawn from a seeded generator. The hook changes nothing else.
 *
 * After a killed restore the target holds no file with wrong content (each is absent, the old
 * version or the snapshot's), few temp files, and the next restore completes and leaves none.
 * After a killed prune check --read-data passes, every remaining snapshot restores byte-identical,
 * a second prune completes and leaves nothing more to free.
 */
import { ChildProcess } from 'node:child_process';
import {
  cpSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../src/backup/backup';
import { FileBackend } from '../../src/repository/file-backend';
import { Repository } from '../../src/repository/repository';
import { check } from '../../src/maintenance/check';
import { forget } from '../../src/maintenance/forget';
import { prune } from '../../src/maintenance/prune';
import { restore } from '../../src/restore/restore';
import { openView } from '../../src/browse/view';
import {
  cleanupTempDirs,
  describeTree,
  randomish,
  tempDir,
  write
} from '../helpers/fixtures';
import { FaultyBackend, IFaultRule } from '../helpers/faulty-backend';
import { seededRandom } from '../helpers/fault-proxy';
import { IObjectInfo } from '../../src/repository/backend';
import { ICliRun, runCli, startCli, stderrViolations } from './cli';
import { fileRepo, smallPackRepo } from './intact';

jest.setTimeout(180_000);

const results = new Map<string, boolean>();
afterAll(() => {
  const held = [...results.values()].filter(Boolean).length;
  console.log(
    [
      `kill points: ${results.size} cases tried, ${held} held`,
      ...[...results].map(
        ([name, ok]) => `  ${ok ? 'held  ' : 'FAILED'}  ${name}`
      )
    ].join('\n')
  );
  cleanupTempDirs();
});

/** Counts chosen file-system calls of the CLI and stops it (SIGSTOP) before the k-th one. */
const HOOK = `
const fsp = require('fs/promises');
const fs = require('fs');
const { appendFileSync, statSync } = fs;
const spec = JSON.parse(process.env.SB_KILL_SPEC);
const pattern = new RegExp(spec.pattern);
// Loaded in every thread (a restore's writer threads too): the calls are counted in files that all
// threads append to, one byte a call in the counter, one line a call in the log.
const counter = spec.logFile + '.count';
const hit = (op, path) => {
  const p = Buffer.isBuffer(path) ? path.toString('utf8') : String(path);
  if (!spec.ops.includes(op) || !pattern.test(p)) return;
  appendFileSync(counter, 'x');
  if (spec.stopAt > 0 && statSync(counter).size >= spec.stopAt) process.kill(process.pid, 'SIGSTOP');
  appendFileSync(spec.logFile, op + ' ' + p + '\\n');
};
for (const [name, arg] of [['rename', 1], ['link', 1], ['rm', 0], ['unlink', 0]]) {
  const original = fsp[name];
  fsp[name] = function (...args) { hit(name, args[arg]); return original.apply(this, args); };
}
// The synchronous calls too (small files are restored with them): the same counts, the same stops.
for (const [name, arg] of [['renameSync', 1], ['linkSync', 1], ['rmSync', 0], ['unlinkSync', 0]]) {
  const original = fs[name];
  fs[name] = function (...args) { hit(name.slice(0, -4), args[arg]); return original.apply(this, args); };
}
const pathOfFd = new Map();
const openSync = fs.openSync;
fs.openSync = function (...args) {
  const fd = openSync.apply(this, args);
  pathOfFd.set(fd, String(args[0]));
  return fd;
};
const writeSync = fs.writeSync;
fs.writeSync = function (fd, ...a) {
  const path = pathOfFd.get(fd);
  if (path !== undefined && spec.ops.includes('write') && pattern.test(path)) hit('write', path);
  return writeSync.call(this, fd, ...a);
};
const open = fsp.open;
fsp.open = async function (...args) {
  const handle = await open.apply(this, args);
  const path = String(args[0]);
  if (spec.ops.includes('write') && pattern.test(path)) {
    const write = handle.write;
    handle.write = function (...a) { hit('write', path); return write.apply(this, a); };
  }
  return handle;
};
`;

interface IKillSpec {
  ops: Array<'rename' | 'link' | 'rm' | 'unlink' | 'write'>;
  /** Matched against the path (the destination of a rename). */
  pattern: string;
  /** Stop before this call (1-based; with threads, the first to count it); 0 never stops (a counting run). */
  stopAt: number;
  /** Where the calls are logged, one line each (a temporary file when not given). */
  logFile?: string;
}

let hookPath: string | undefined;
function hook(): string {
  if (!hookPath) {
    hookPath = join(tempDir('hook'), 'kill-hook.js');
    writeFileSync(hookPath, HOOK);
  }
  return hookPath;
}

function escape(path: string): string {
  return path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function stateOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Runs the CLI with the hook; kills it with SIGKILL once the hook has stopped it. */
async function runAndKill(
  args: string[],
  spec: IKillSpec,
  cacheDir: string
): Promise<{ killed: boolean; run: ICliRun }> {
  const logFile = spec.logFile ?? join(tempDir('calls'), 'calls.log');
  const { child, done } = startCli(args, cacheDir, {
    NODE_OPTIONS: `--require ${hook()}`,
    SB_KILL_SPEC: JSON.stringify({ ...spec, logFile })
  });
  let killed = false;
  const running = (c: ChildProcess) =>
    c.exitCode === null && c.signalCode === null;
  while (running(child) && !killed) {
    if (child.pid !== undefined && stateOf(child.pid) === 'T') {
      child.kill('SIGKILL');
      killed = true;
    } else {
      await new Promise(resolve => setTimeout(resolve, 5));
    }
  }
  const run = await done;
  return { killed: killed && run.signal === 'SIGKILL', run };
}

/** The calls a complete run makes (a counting run: the hook logs and never stops). */
async function countCalls(
  args: string[],
  spec: Omit<IKillSpec, 'stopAt'>,
  cacheDir: string
): Promise<string[]> {
  const logFile = join(tempDir('count'), 'calls.log');
  const { run } = await runAndKill(
    args,
    { ...spec, stopAt: 0, logFile },
    cacheDir
  );
  expect(run.code).toBe(0);
  return readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
}

const isTemp = (rel: string) => /\.studio-backup-[0-9a-f]{8}/.test(rel);

/** A seeded generator (mulberry32), so that "random" kill points are the same every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function restoreInProcess(
  repoDir: string,
  snapshot: string
): Promise<Record<string, string>> {
  const target = tempDir('check-restore');
  await restore(await openView(await fileRepo(repoDir), snapshot), {
    paths: [],
    target,
    conflict: 'skip'
  });
  return describeTree(target);
}

describe('kill -9 during a restore', () => {
  interface IRestoreSetup {
    repoDir: string;
    before: Record<string, string>;
    after: Record<string, string>;
    oldSnapshot: string;
    newSnapshot: string;
    files: number;
  }
  let setup: Promise<IRestoreSetup> | undefined;
  /** 300 small files in 10 folders, a 20 MB file and links, backed up twice (every file changed). */
  const getSetup = (): Promise<IRestoreSetup> =>
    (setup ??= (async () => {
      const home = tempDir('home');
      const repoDir = tempDir('repo');
      const cacheDir = tempDir('cache');
      const fill = (version: number) => {
        for (let d = 0; d < 10; d++) {
          for (let f = 0; f < 30; f++) {
            const i = d * 30 + f;
            write(
              home,
              `folder-${d}/file-${f}.txt`,
              randomish(500 + ((i * 397) % 6000), version * 1000 + i)
            );
          }
        }
        write(
          home,
          'models/big.bin',
          randomish(20 * 1024 * 1024, version * 1000 + 999)
        );
      };
      fill(1);
      symlinkSync('models/big.bin', join(home, 'latest'));
      const first = await backup(
        await Repository.open(new FileBackend(repoDir), { create: true }),
        { source: home, cacheDir }
      );
      const before = describeTree(home);
      fill(2);
      for (let f = 0; f < 5; f++) {
        rmSync(join(home, `folder-9/file-${f}.txt`));
        write(home, `folder-9/new-${f}.txt`, `new ${f}\n`);
      }
      symlinkSync('folder-0/file-0.txt', join(home, 'first'));
      const second = await backup(await fileRepo(repoDir), {
        source: home,
        cacheDir
      });
      const after = describeTree(home);
      return {
        repoDir,
        before,
        after,
        oldSnapshot: first.snapshotId,
        newSnapshot: second.snapshotId,
        files: Object.values(after).filter(d => d.startsWith('file')).length
      };
    })());

  const POINTS: Array<{
    point: string;
    spec: (s: IRestoreSetup, target: string) => IKillSpec;
  }> = [
    {
      point: 'as the first file is renamed into place',
      spec: (s, target) => ({
        ops: ['rename'],
        pattern: `^${escape(target)}/`,
        stopAt: 1
      })
    },
    {
      point: 'after 150 files are in place',
      spec: (s, target) => ({
        ops: ['rename'],
        pattern: `^${escape(target)}/`,
        stopAt: 151
      })
    },
    {
      point: 'before the last file is renamed into place (links not made yet)',
      spec: (s, target) => ({
        ops: ['rename'],
        pattern: `^${escape(target)}/`,
        stopAt: s.files
      })
    },
    {
      point: 'in the middle of the 20 MB file (its 8th write)',
      spec: (s, target) => ({
        ops: ['write'],
        pattern: `^${escape(target)}/models/\\.studio-backup-[0-9a-f]{8}\\.tmp$`,
        stopAt: 8
      })
    }
  ];
  const CASES = ['into an empty folder', 'over the old version'].flatMap(mode =>
    POINTS.map(p => ({ mode, ...p }))
  );

  it.concurrent.each(CASES)(
    '$mode, killed $point',
    async ({ mode, point, spec }) => {
      const s = await getSetup();
      const target = tempDir('target');
      const cacheDir = tempDir('cache');
      const overwrite = mode === 'over the old version';
      if (overwrite) {
        await restore(
          await openView(await fileRepo(s.repoDir), s.oldSnapshot),
          {
            paths: [],
            target,
            conflict: 'skip'
          }
        );
        expect(describeTree(target)).toEqual(s.before);
      }
      const inPlace = describeTree(target);
      const args = [
        'restore',
        s.newSnapshot,
        '--repo',
        s.repoDir,
        '--target',
        target,
        '--json',
        ...(overwrite ? ['--conflict', 'overwrite'] : [])
      ];
      const { killed, run } = await runAndKill(args, spec(s, target), cacheDir);
      const v: string[] = [];
      if (!killed) {
        v.push(
          `the kill point was not reached: the restore ended with ${run.code} ${run.err.trim()}`
        );
      }
      // Every file is absent, the old version, or the snapshot's.
      const now = describeTree(target);
      const temps = Object.keys(now).filter(isTemp);
      const wrong = Object.entries(now)
        .filter(([rel, d]) => !isTemp(rel) && !d.startsWith('dir'))
        .filter(([rel, d]) => d !== inPlace[rel] && d !== s.after[rel])
        .map(([rel, d]) => `${rel}: ${d}`);
      if (wrong.length > 0) {
        v.push(`after the kill, files with wrong content: ${wrong.join(', ')}`);
      }
      // Temp files are made lazily, for the files being written: a handful, never one per file.
      if (temps.length > 16) {
        v.push(`after the kill, ${temps.length} temp files in the target`);
      }

      const next = await runCli(args, cacheDir);
      v.push(...stderrViolations('the next restore', next.err));
      if (next.code !== 0) {
        v.push(`the next restore: exit ${next.code}: ${next.err.trim()}`);
      }
      const final = describeTree(target);
      const left = Object.keys(final).filter(isTemp);
      if (left.length > 0) {
        v.push(`the next restore leaves temp files: ${left.join(', ')}`);
      }
      const expected = overwrite ? { ...inPlace, ...s.after } : s.after;
      const differ = Object.keys({ ...expected, ...final })
        .filter(rel => !isTemp(rel) && final[rel] !== expected[rel])
        .map(rel => `${rel}: ${final[rel]} instead of ${expected[rel]}`);
      if (differ.length > 0) {
        v.push(
          `after the next restore, ${differ.length} paths differ: ${differ.slice(0, 5).join(', ')}`
        );
      }
      const checked = await check(await fileRepo(s.repoDir), {
        readData: true
      });
      v.push(...checked.problems.map(p => `check --read-data: ${p.message}`));
      results.set(`restore ${mode}, killed ${point}`, v.length === 0);
      expect(v).toEqual([]);
    }
  );
});

describe('kill -9 during a prune', () => {
  interface IPruneSetup {
    repoDir: string;
    /** Every snapshot that forget kept, and what it must restore to. */
    kept: Map<string, Record<string, string>>;
    /** The repository mutations of a complete prune, in order ("rename <path>", "rm <path>"). */
    calls: string[];
  }
  let setup: Promise<IPruneSetup> | undefined;
  /** Five snapshots with seeded churn in 192 KiB packs (4 files each), forget --keep-last 2: prune deletes and repacks. */
  const getSetup = (): Promise<IPruneSetup> =>
    (setup ??= (async () => {
      const home = tempDir('home');
      const repoDir = tempDir('repo');
      const cacheDir = tempDir('cache');
      await smallPackRepo(repoDir, 192 * 1024);
      const random = seeded(2024);
      const snapshots: Array<[string, Record<string, string>]> = [];
      for (let s = 0; s < 5; s++) {
        // A seeded block of 12 files (whole packs fall unused) and a few single files (packs in part).
        const block = Math.floor(random() * 36);
        for (let i = 0; i < 48; i++) {
          const inBlock = i >= block && i < block + 12;
          if (s === 0 || inBlock || random() < 0.1) {
            write(
              home,
              `data/part-${String(i).padStart(2, '0')}.bin`,
              randomish(48 * 1024, s * 100 + i)
            );
          }
        }
        write(home, 'notes.txt', `snapshot ${s}\n`);
        const result = await backup(await fileRepo(repoDir), {
          source: home,
          cacheDir,
          concurrency: 1
        });
        snapshots.push([result.snapshotId, describeTree(home)]);
      }
      await forget(await fileRepo(repoDir), { last: 2 });
      const plan = await prune(await fileRepo(repoDir), {
        graceMs: 0,
        dryRun: true
      });
      // The setup gives prune real work of both kinds.
      expect(
        plan.packs.filter(p => p.action === 'delete').length
      ).toBeGreaterThan(2);
      expect(
        plan.packs.filter(p => p.action === 'repack').length
      ).toBeGreaterThan(0);
      const copy = tempDir('count-repo');
      cpSync(repoDir, copy, { recursive: true });
      const calls = (
        await countCalls(
          ['prune', '--repo', copy, '--grace', '0', '--json'],
          {
            ops: ['rename', 'link', 'rm'],
            pattern: `^${escape(copy)}/(data|index)/[^/]*(/[0-9a-f]{64})?$`
          },
          tempDir('cache')
        )
      ).map(call => call.replace(copy, '<repo>'));
      return { repoDir, kept: new Map(snapshots.slice(-2)), calls };
    })());

  const nth = (
    calls: string[],
    re: RegExp,
    which: 'first' | 'middle' | 'last'
  ) => {
    const matching = calls
      .map((call, i) => ({ call, k: i + 1 }))
      .filter(({ call }) => re.test(call));
    if (matching.length === 0) {
      throw new Error(
        `no call matches ${re} in a complete prune: ${calls.join(', ')}`
      );
    }
    return which === 'first'
      ? matching[0].k
      : which === 'last'
        ? matching[matching.length - 1].k
        : matching[Math.floor(matching.length / 2)].k;
  };
  const random = seeded(12);
  const draws = [random(), random(), random()];
  const POINTS: Array<{ point: string; k: (calls: string[]) => number }> = [
    { point: 'before the first pack of the repack is written', k: () => 1 },
    {
      point: 'before the first new index file is written',
      k: calls => nth(calls, /^(rename|link) <repo>\/index\//, 'first')
    },
    {
      point: 'before the merged index is written',
      k: calls => nth(calls, /^(rename|link) <repo>\/index\//, 'last')
    },
    {
      point: 'before the first old index file is deleted',
      k: calls => nth(calls, /^rm <repo>\/index\//, 'first')
    },
    {
      point: 'before the first pack is deleted',
      k: calls => nth(calls, /^rm <repo>\/data\//, 'first')
    },
    {
      point: 'with half of the packs deleted',
      k: calls => nth(calls, /^rm <repo>\/data\//, 'middle')
    },
    {
      point: 'before the last pack is deleted',
      k: calls => nth(calls, /^rm <repo>\/data\//, 'last')
    },
    ...draws.map((draw, i) => ({
      point: `at seeded point ${i + 1} (seed 12: ${draw.toFixed(3)} of the way)`,
      k: (calls: string[]) => 1 + Math.floor(draw * calls.length)
    }))
  ];

  // A prune that stops after its repack leaves each repacked blob in two packs, the old and the new.
  // Which copy the next prune keeps must not hang on the order a backend lists index files in (S3
  // sorts by key, and index keys are content hashes): in every order the prune run again leaves
  // nothing more to free, and the snapshots whole.
  type Order = (items: IObjectInfo[]) => IObjectInfo[];
  const shuffled =
    (seed: number): Order =>
    items => {
      const random = seededRandom(seed);
      return items
        .map(item => ({ item, at: random() }))
        .sort((a, b) => a.at - b.at)
        .map(({ item }) => item);
    };
  const ORDERS: Array<[string, Order | undefined]> = [
    ['as the backend lists them', undefined],
    ['in reverse order', items => items.reverse()],
    ...[1, 2, 3, 4].map((seed): [string, Order] => [
      `shuffled (seed ${seed})`,
      shuffled(seed)
    ])
  ];
  const STOPS: Array<[string, IFaultRule['op'], number]> = [
    ['the merged index refused', 'write', 2],
    ['the second old index deletion refused', 'delete', 2]
  ];
  it.each(
    STOPS.flatMap(([stop, op, nth]) =>
      ORDERS.map(([order, listOrder]) => ({ stop, op, nth, order, listOrder }))
    )
  )(
    'the same without a kill: a prune stopped after its repack ($stop), run again with the index files listed $order',
    async ({ stop, op, nth, order, listOrder }) => {
      const s = await getSetup();
      const name = `prune stopped after its repack (${stop}), run again, index files ${order}`;
      results.set(name, false);
      const repoDir = tempDir('case');
      cpSync(s.repoDir, repoDir, { recursive: true });
      const faulty = new FaultyBackend(new FileBackend(repoDir));
      let seen = 0;
      faulty.onCall = (called, key) => {
        if (called === op && key.startsWith('index/') && ++seen === nth) {
          faulty.rules.push({ op, key: /^index\//, times: 1 });
        }
      };
      await expect(
        prune(await Repository.open(faulty), { graceMs: 0 })
      ).rejects.toThrow(/injected/);
      const listed = new FaultyBackend(new FileBackend(repoDir));
      listed.listOrder = listOrder;
      await prune(await Repository.open(listed), { graceMs: 0 });
      const checked = await check(await fileRepo(repoDir), { readData: true });
      expect(checked.problems).toEqual([]);
      for (const [id, expected] of s.kept) {
        expect(await restoreInProcess(repoDir, id)).toEqual(expected);
      }
      const left = await prune(await Repository.open(listed), {
        graceMs: 0,
        dryRun: true
      });
      expect(left.packs.map(p => `${p.action} ${p.id.slice(0, 8)}`)).toEqual(
        []
      );
      results.set(name, true);
    }
  );

  it.concurrent.each(POINTS)('killed $point', async ({ point, k }) => {
    const s = await getSetup();
    const repoDir = tempDir('case');
    cpSync(s.repoDir, repoDir, { recursive: true });
    const cacheDir = tempDir('cache');
    const stopAt = k(s.calls);
    const { killed, run } = await runAndKill(
      ['prune', '--repo', repoDir, '--grace', '0', '--json'],
      {
        ops: ['rename', 'link', 'rm'],
        pattern: `^${escape(repoDir)}/(data|index)/[^/]*(/[0-9a-f]{64})?$`,
        stopAt
      },
      cacheDir
    );
    const v: string[] = [];
    if (!killed) {
      v.push(
        `the kill point (call ${stopAt}: ${s.calls[stopAt - 1]}) was not reached: prune ended with ${run.code} ${run.err.trim()}`
      );
    }
    const intact = async (when: string) => {
      const checked = await check(await fileRepo(repoDir), { readData: true });
      v.push(
        ...checked.problems.map(p => `${when}: check --read-data: ${p.message}`)
      );
      for (const [id, expected] of s.kept) {
        const got = await restoreInProcess(repoDir, id).catch(
          (err: Error) => ({ error: err.message }) as Record<string, string>
        );
        const differ = Object.keys({ ...expected, ...got }).filter(
          rel => got[rel] !== expected[rel]
        );
        if (differ.length > 0) {
          v.push(
            `${when}: snapshot ${id.slice(0, 8)} restores differently: ${differ
              .slice(0, 5)
              .map(rel => `${rel}: ${got[rel]}`)
              .join(', ')}`
          );
        }
      }
    };
    await intact(`after the kill (${s.calls[stopAt - 1]})`);
    const second = await runCli(
      ['prune', '--repo', repoDir, '--grace', '0', '--json'],
      cacheDir
    );
    v.push(...stderrViolations('the second prune', second.err));
    if (second.code !== 0) {
      v.push(`the second prune: exit ${second.code}: ${second.err.trim()}`);
    }
    await intact('after the second prune');
    const left = await prune(await fileRepo(repoDir), {
      graceMs: 0,
      dryRun: true
    }).catch((err: Error) => {
      v.push(`after the second prune, prune --dry-run fails: ${err.message}`);
      return { packs: [] };
    });
    if (left.packs.length > 0) {
      v.push(
        `after the second prune, prune would still ${left.packs.map(p => `${p.action} ${p.id.slice(0, 8)}`).join(', ')}`
      );
    }
    const leftovers = readdirSync(repoDir, { recursive: true })
      .map(String)
      .filter(name => name.includes('.tmp-'));
    if (leftovers.length > 0) {
      v.push(`temporary files left in the repository: ${leftovers.join(', ')}`);
    }
    results.set(`prune killed ${point}`, v.length === 0);
    expect(v).toEqual([]);
  });
});
