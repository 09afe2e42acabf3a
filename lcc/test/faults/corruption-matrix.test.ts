/**
 * Every kind of repository object × every kind of damage, tried through the CLI as a user meets it:
 * check, check --read-data, snapshots and a restore of every snapshot, then the documented repair
 * where there is one, and in-process check --read-data and restores at the end.
 *
 * The engine's promise, asserted for every case:
 *  (a) no stack trace: every stderr line is one sentence starting "studio-backup:", "error:" or "warning:";
 *  (b) the damage is detected by check or check --read-data (a truncated pack by plain check),
 *      unless it provably harms nothing (every snapshot then restores byte for byte);
 *  (c) every snapshot and file the damage does not touch still restores byte-identical;
 *  (d) a damaged file never lands in the target with wrong content: it is absent and named (exit 3).
 *
 * What a damage touches is worked out from the intact repository before the damage: the blobs the
 * damaged bytes held (the blob a flipped byte falls in, the blobs past a truncation, every blob of
 * a deleted pack, the blobs only a damaged index lists), then every file using one of them and every
 * path under a folder whose tree is one of them. Cases that do not hold are left failing on purpose:
 * each violation is listed in the failure, and the table at the end gives cases tried / held.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { backup } from '../../src/backup/backup';
import { check } from '../../src/maintenance/check';
import { packKey } from '../../src/repository/format';
import { restore } from '../../src/restore/restore';
import { openView } from '../../src/browse/view';
import {
  cleanupTempDirs,
  describeTree,
  randomish,
  tempDir,
  write
} from '../helpers/fixtures';
import {
  ICliRun,
  jsonLines,
  runCli,
  runCliBatch,
  stderrViolations
} from './cli';
import { fileRepo, smallPackRepo } from './intact';

jest.setTimeout(180_000);

const OBJECTS = [
  'config',
  'index file',
  'snapshot manifest',
  'pack holding trees',
  'pack holding only file data',
  'lock file'
] as const;
type ObjectKind = (typeof OBJECTS)[number];

const DAMAGES = [
  'one flipped byte in the middle',
  'truncated to half',
  'truncated to 1 byte',
  'emptied',
  'deleted'
] as const;
type Damage = (typeof DAMAGES)[number];

interface IEntryModel {
  type: 'file' | 'dir' | 'symlink';
  blobs: string[];
  subtree?: string;
}

interface ISnapModel {
  id: string;
  root: string;
  /** describeTree of the home when it was backed up: what a restore must give back. */
  expected: Record<string, string>;
  entries: Map<string, IEntryModel>;
}

interface IPristine {
  repoDir: string;
  snaps: ISnapModel[];
  /** The key of each object the matrix damages. */
  keys: Record<ObjectKind, string>;
  /** Every index file and the blobs it lists. */
  indexFiles: Map<string, Set<string>>;
  /** Every pack and the byte ranges of its blobs. */
  packs: Map<
    string,
    Array<{ id: string; offset: number; length: number; type: string }>
  >;
}

function files(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true })
      .map(String)
      .filter(name => statSync(join(dir, name)).isFile());
  } catch {
    return [];
  }
}

/** A dead process of this host: what a kill -9 leaves in a lock. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid;
}

/** Three snapshots of a small home in a file:// repository with 1 MiB packs, and what each holds. */
async function buildPristine(): Promise<IPristine> {
  const home = tempDir('home');
  const repoDir = tempDir('pristine');
  const cacheDir = tempDir('cache');
  await smallPackRepo(repoDir);
  // One chain of folders, so that a backup with concurrency 1 lays out its packs the same each run.
  write(home, 'big.bin', randomish(3 * 1024 * 1024 + 4321, 101));
  write(home, 'notes.txt', 'notes v1\n');
  write(home, 'empty.txt', '');
  symlinkSync('notes.txt', join(home, 'link'));
  write(home, 'docs/readme.md', '# readme\n'.repeat(40));
  write(
    home,
    'docs/data.csv',
    Array.from({ length: 2000 }, (_, i) => `${i},value-${i * 7}`).join('\n')
  );
  write(home, 'docs/deep/leaf.txt', 'leaf\n');
  write(home, 'docs/deep/nested/x.txt', 'x in nested\n');
  const steps: Array<() => void> = [
    () => undefined,
    () => {
      write(
        home,
        'docs/data.csv',
        Array.from({ length: 2500 }, (_, i) => `${i},value-${i * 7}`).join('\n')
      );
      write(home, 'docs/deep/new.txt', 'new in snapshot 2\n');
    },
    () => {
      write(home, 'notes.txt', 'notes v3, longer than before\n');
      write(
        home,
        'big.bin',
        Buffer.concat([
          readFileSync(join(home, 'big.bin')),
          randomish(200 * 1024, 103)
        ])
      );
    }
  ];
  const snaps: ISnapModel[] = [];
  for (const step of steps) {
    step();
    const result = await backup(await fileRepo(repoDir), {
      source: home,
      cacheDir,
      concurrency: 1
    });
    snaps.push({
      id: result.snapshotId,
      root: result.manifest.tree,
      expected: describeTree(home),
      entries: new Map()
    });
  }

  const repo = await fileRepo(repoDir);
  await repo.loadIndex();
  for (const snap of snaps) {
    const visit = async (treeId: string, rel: string) => {
      for (const entry of (await repo.loadTree(treeId)).entries) {
        const child = rel ? `${rel}/${entry.name}` : entry.name;
        snap.entries.set(child, {
          type: entry.type,
          blobs: entry.content ?? [],
          subtree: entry.subtree
        });
        if (entry.subtree) {
          await visit(entry.subtree, child);
        }
      }
    };
    await visit(snap.root, '');
    // The model and the home agree on what there is.
    expect([...snap.entries.keys()].sort()).toEqual(
      Object.keys(snap.expected).sort()
    );
  }
  const indexFiles = new Map<string, Set<string>>();
  for (const key of files(join(repoDir, 'index'))) {
    const file = await repo.readIndexFile(`index/${key}`);
    indexFiles.set(
      `index/${key}`,
      new Set(file.packs.flatMap(p => p.blobs.map(b => b[0])))
    );
  }
  const packs: IPristine['packs'] = new Map();
  for (const [id, loc] of repo.index.entries()) {
    packs.set(loc.pack, [
      ...(packs.get(loc.pack) ?? []),
      { id, offset: loc.offset, length: loc.length, type: loc.type }
    ]);
  }
  const packOf = (blob: string) => repo.index.get(blob)!.pack;
  const treePack = packOf(snaps[1].root);
  const bigFirstChunk = snaps[0].entries.get('big.bin')!.blobs[0];
  const dataPack = packOf(bigFirstChunk);
  expect(packs.get(dataPack)!.every(b => b.type === 'data')).toBe(true);
  expect(dataPack).not.toBe(treePack);
  const indexKey = [...indexFiles.entries()].find(([, blobs]) =>
    blobs.has(snaps[0].root)
  )![0];
  // A shared lock left by a backup that was killed (kill -9): its process is gone.
  const lockKey = 'locks/shared-00c0ffee00c0ffee';
  write(
    repoDir,
    lockKey,
    JSON.stringify({
      host: hostname(),
      pid: deadPid(),
      time: new Date().toISOString(),
      purpose: 'backup of /home/sagemaker-user'
    })
  );
  return {
    repoDir,
    snaps,
    indexFiles,
    packs,
    keys: {
      config: 'config',
      'index file': indexKey,
      'snapshot manifest': `snapshots/${snaps[1].id}`,
      'pack holding trees': packKey(treePack),
      'pack holding only file data': packKey(dataPack),
      'lock file': lockKey
    }
  };
}

let pristine: Promise<IPristine> | undefined;
/** Built once, by the first case that needs it (cases run side by side). */
function getPristine(): Promise<IPristine> {
  pristine ??= buildPristine();
  return pristine;
}

function damage(path: string, kind: Damage): void {
  const size = statSync(path).size;
  switch (kind) {
    case 'one flipped byte in the middle': {
      const bytes = readFileSync(path);
      bytes[Math.floor(size / 2)] ^= 0xff;
      writeFileSync(path, bytes);
      break;
    }
    case 'truncated to half':
      truncateSync(path, Math.floor(size / 2));
      break;
    case 'truncated to 1 byte':
      truncateSync(path, 1);
      break;
    case 'emptied':
      truncateSync(path, 0);
      break;
    case 'deleted':
      rmSync(path);
      break;
  }
}

/** The blobs a damage makes unreadable, worked out from the intact repository. */
function lostBlobs(
  p: IPristine,
  object: ObjectKind,
  kind: Damage,
  sizeBefore: number
): Set<string> {
  const lost = new Set<string>();
  if (object === 'index file') {
    const key = p.keys[object];
    for (const blob of p.indexFiles.get(key)!) {
      const elsewhere = [...p.indexFiles].some(
        ([other, blobs]) => other !== key && blobs.has(blob)
      );
      if (!elsewhere) {
        lost.add(blob);
      }
    }
  }
  if (object.startsWith('pack')) {
    const pack = p.keys[object].split('/').pop()!;
    for (const blob of p.packs.get(pack)!) {
      const end = blob.offset + blob.length;
      const middle = Math.floor(sizeBefore / 2);
      const hit =
        kind === 'one flipped byte in the middle'
          ? blob.offset <= middle && middle < end
          : kind === 'truncated to half'
            ? end > middle
            : true;
      if (hit) {
        lost.add(blob.id);
      }
    }
  }
  return lost;
}

type Touch = 'file' | 'dir-lost' | 'below-lost';

/** The paths of a snapshot that a set of lost blobs damages. */
function touchedPaths(snap: ISnapModel, lost: Set<string>): Map<string, Touch> {
  const touched = new Map<string, Touch>();
  for (const [rel, entry] of snap.entries) {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const ancestor = snap.entries.get(parts.slice(0, i).join('/'))!;
      if (ancestor.subtree && lost.has(ancestor.subtree)) {
        touched.set(rel, 'below-lost');
      }
    }
    if (touched.has(rel)) {
      continue;
    }
    if (entry.subtree && lost.has(entry.subtree)) {
      touched.set(rel, 'dir-lost');
    } else if (entry.blobs.some(b => lost.has(b))) {
      touched.set(rel, 'file');
    }
  }
  return touched;
}

interface IRestoreOutcome {
  code: number | null;
  /** The one-line error of a restore that stopped. */
  error: string;
  damaged: string[];
  warnings: string[];
}

/** (c) and (d) for one restore of one snapshot. */
function judgeRestore(
  label: string,
  snap: ISnapModel,
  lost: Set<string>,
  whole: boolean,
  outcome: IRestoreOutcome,
  target: string
): string[] {
  const v: string[] = [];
  const actual = describeTree(target);
  if (whole) {
    if (outcome.code === 0) {
      v.push(`${label}: exit 0 although nothing of the snapshot is readable`);
    }
    const written = Object.entries(actual).filter(
      ([, d]) => !d.startsWith('dir')
    );
    if (written.length > 0) {
      v.push(
        `${label}: wrote ${written.map(([rel]) => rel).join(', ')} although nothing of the snapshot is readable`
      );
    }
    return v;
  }
  const touched = touchedPaths(snap, lost);
  const named = (rel: string) => {
    const parts = rel.split('/');
    const names = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    return (
      outcome.damaged.includes(rel) ||
      outcome.warnings.some(w => names.some(n => w.includes(n)))
    );
  };
  const wantCode = [...touched.keys()].length > 0 ? 3 : 0;
  if (outcome.code !== wantCode) {
    v.push(
      `${label}: exit ${outcome.code}, expected ${wantCode}${outcome.error ? ` (${outcome.error})` : ''}`
    );
  }
  const missing: string[] = [];
  const differ: string[] = [];
  const unnamed: string[] = [];
  const wrong: string[] = [];
  for (const [rel, want] of Object.entries(snap.expected)) {
    const got = actual[rel];
    const touch = touched.get(rel);
    if (!touch) {
      if (got === undefined) {
        missing.push(rel);
      } else if (got !== want) {
        differ.push(`${rel} (${got} instead of ${want})`);
      }
    } else if (touch === 'dir-lost') {
      if (got !== undefined && !got.startsWith('dir')) {
        wrong.push(`${rel} (${got})`);
      }
      if (got === undefined && !named(rel)) {
        unnamed.push(rel);
      }
    } else if (got === undefined) {
      if (!named(rel)) {
        unnamed.push(rel);
      }
    } else if (got !== want) {
      wrong.push(`${rel} (${got} instead of ${want})`);
    }
  }
  const extra = Object.keys(actual).filter(rel => !(rel in snap.expected));
  if (missing.length > 0) {
    v.push(
      `${label}: not restored although the damage does not touch them: ${missing.join(', ')}`
    );
  }
  if (differ.length > 0) {
    v.push(
      `${label}: restored differently although untouched: ${differ.join(', ')}`
    );
  }
  if (wrong.length > 0) {
    v.push(
      `${label}: damaged files in the target with WRONG content: ${wrong.join(', ')}`
    );
  }
  if (unnamed.length > 0) {
    v.push(`${label}: damaged and absent but not named: ${unnamed.join(', ')}`);
  }
  if (extra.length > 0) {
    v.push(`${label}: paths that are not in the snapshot: ${extra.join(', ')}`);
  }
  return v;
}

function cliOutcome(run: ICliRun): IRestoreOutcome {
  const summary = jsonLines(run.out).find(l => l.type === 'summary');
  return {
    code: run.code,
    error: run.err.trim().split('\n')[0] ?? '',
    damaged: (summary?.damaged as string[]) ?? [],
    warnings: (summary?.warnings as string[]) ?? []
  };
}

async function inProcessRestore(
  repoDir: string,
  snapshot: string,
  target: string
): Promise<IRestoreOutcome> {
  try {
    const result = await restore(
      await openView(await fileRepo(repoDir), snapshot),
      { paths: [], target, conflict: 'skip' }
    );
    return {
      code: result.warnings.length > 0 ? 3 : 0,
      error: '',
      damaged: result.damaged,
      warnings: result.warnings
    };
  } catch (err) {
    return {
      code: 1,
      error: (err as Error).message,
      damaged: [],
      warnings: []
    };
  }
}

const results = new Map<string, boolean>();
afterAll(() => {
  const held = [...results.values()].filter(Boolean).length;
  const width = Math.max(...OBJECTS.map(o => o.length));
  const rows = OBJECTS.map(
    object =>
      `${object.padEnd(width)}  ${DAMAGES.map(d => {
        const r = results.get(`${object} ${d}`);
        return (r === undefined ? 'not run' : r ? 'held' : 'FAILED').padEnd(
          d.length
        );
      }).join('  ')}`
  );
  console.log(
    [
      `corruption matrix: ${results.size} cases tried, ${held} held`,
      `${''.padEnd(width)}  ${DAMAGES.join('  ')}`,
      ...rows
    ].join('\n')
  );
  cleanupTempDirs();
});

const CASES = OBJECTS.flatMap(object =>
  DAMAGES.map(damage => ({ object, damage }))
);

describe(`the corruption matrix (${OBJECTS.length} objects × ${DAMAGES.length} damages)`, () => {
  it.concurrent.each(CASES)(
    '$object $damage',
    async ({ object, damage: kind }) => {
      const p = await getPristine();
      const repoDir = tempDir('case');
      cpSync(p.repoDir, repoDir, { recursive: true });
      const key = p.keys[object];
      const path = join(repoDir, ...key.split('/'));
      const sizeBefore = statSync(path).size;
      damage(path, kind);
      const cacheDir = tempDir('cache');
      const v: string[] = [];

      const lost = lostBlobs(p, object, kind, sizeBefore);
      const manifestGone =
        object === 'snapshot manifest' ? p.snaps[1].id : undefined;
      const targets = p.snaps.map(() => tempDir('target'));
      // The documented way out, run after the commands that meet the damage.
      const followUp: Record<ObjectKind, string[] | undefined> = {
        config: undefined,
        'index file': ['repair', 'index'],
        'snapshot manifest':
          kind === 'deleted' ? undefined : ['repair', 'snapshots'],
        // A user who sees a damaged pack may try repair index: it must not lose what was readable.
        'pack holding trees': ['repair', 'index'],
        'pack holding only file data': ['repair', 'index'],
        // A lock left by a dead process must not block prune for ever: prune either clears it or
        // says in one line which lock to remove.
        'lock file': ['prune', '--grace', '0', '--json']
      };
      const [plain, full, listed, ...rest] = await runCliBatch(
        [
          ['check'],
          ['check', '--read-data'],
          ['snapshots', '--json'],
          ...p.snaps.map((snap, i) => [
            'restore',
            snap.id,
            '--target',
            targets[i],
            '--json'
          ]),
          ...(followUp[object] ? [followUp[object]!] : [])
        ].map(args => [...args, '--repo', repoDir]),
        cacheDir
      );
      v.push(
        ...stderrViolations('check', plain.err),
        ...stderrViolations('check --read-data', full.err),
        ...stderrViolations('snapshots', listed.err)
      );
      // A config that still parses harms nothing (it holds no data); one that does not stops every
      // command in one line. Both are judged below, whichever this damage gives.
      const configBroken = object === 'config' && listed.code !== 0;

      for (const [i, snap] of p.snaps.entries()) {
        const run = rest[i];
        v.push(...stderrViolations(`restore of snapshot ${i + 1}`, run.err));
        v.push(
          ...judgeRestore(
            `restore of snapshot ${i + 1}`,
            snap,
            lost,
            configBroken || snap.id === manifestGone || lost.has(snap.root),
            cliOutcome(run),
            targets[i]
          )
        );
      }
      const after = rest[p.snaps.length];

      // (b) detected, or provably harmless.
      const harmed =
        configBroken ||
        manifestGone !== undefined ||
        p.snaps.some(s => touchedPaths(s, lost).size > 0 || lost.has(s.root));
      const detected = plain.code !== 0 || full.code !== 0;
      if (object === 'snapshot manifest' && kind === 'deleted') {
        // BY DESIGN: a deleted manifest is exactly what forget leaves; format v1 keeps no list of
        // snapshots to find it missing, so detection is not asserted. The others must be intact.
      } else if (harmed && !detected) {
        v.push(
          `(b) the damage harms ${manifestGone ? 'a snapshot' : 'data'} but neither check nor check --read-data reports it`
        );
      }
      if (object === 'lock file' && detected) {
        v.push(
          `(b) a lock holds no data, yet check reports: ${(plain.err + full.err).trim().split('\n')[0]}`
        );
      }
      if (
        object.startsWith('pack') &&
        kind !== 'one flipped byte in the middle'
      ) {
        if (plain.code === 0) {
          v.push(`(b) plain check does not notice a pack that is ${kind}`);
        }
      }
      if (configBroken) {
        if (plain.code === 0 || full.code === 0) {
          v.push('(b) check passes with a config that stops every command');
        }
      }

      // What snapshots lists.
      if (!configBroken) {
        let list: Array<{ id: string; damaged?: string }> = [];
        try {
          list = JSON.parse(listed.out);
        } catch {
          v.push(`snapshots --json: exit ${listed.code}, ${listed.err.trim()}`);
        }
        const wantIds = p.snaps
          .map(s => s.id)
          .filter(id => !(kind === 'deleted' && id === manifestGone))
          .sort();
        if (
          JSON.stringify(list.map(s => s.id).sort()) !== JSON.stringify(wantIds)
        ) {
          v.push(
            `snapshots lists ${list.length} snapshots, expected ${wantIds.length}`
          );
        }
        for (const s of list) {
          const shouldBeDamaged = s.id === manifestGone;
          if (Boolean(s.damaged) !== shouldBeDamaged) {
            v.push(
              `snapshots: ${s.id.slice(0, 8)} damaged=${s.damaged ?? false}, expected ${shouldBeDamaged}`
            );
          }
          if (s.damaged && !/studio-backup repair snapshots/.test(s.damaged)) {
            v.push(
              `snapshots: ${s.id.slice(0, 8)} is damaged but the hint does not say how to remove it`
            );
          }
        }
      } else if (listed.code === 0) {
        v.push('snapshots passes with a config that stops check');
      }

      // The documented way out, then the end of every case: check --read-data and byte-for-byte.
      let finalLost = lost;
      let expectClean = !configBroken;
      if (after) {
        const what = followUp[object]!.slice(0, 2).join(' ');
        v.push(...stderrViolations(what, after.err));
        if (object === 'lock file') {
          if (after.code !== 0 && !after.err.includes(key)) {
            v.push(
              `prune with the ${kind} lock of a dead backup: exit ${after.code}, and the message does not name ${key}: ${after.err.trim()}`
            );
          }
        } else if (!object.startsWith('pack') && after.code !== 0) {
          v.push(`${what}: exit ${after.code}: ${after.err.trim()}`);
        }
      }
      if (object === 'index file') {
        finalLost = new Set();
      } else if (object.startsWith('pack')) {
        expectClean = false;
      }

      if (configBroken) {
        await fileRepo(repoDir).then(
          () =>
            v.push(
              'the repository opens in-process with a config the CLI refuses'
            ),
          err => {
            if (String((err as Error).message).includes('\n')) {
              v.push('opening the repository fails in more than one line');
            }
          }
        );
      } else {
        const result = await check(await fileRepo(repoDir), {
          readData: true
        }).catch((err: Error) => ({
          problems: [{ kind: 'thrown', message: err.message }]
        }));
        if (expectClean && result.problems.length > 0) {
          v.push(
            `final check --read-data: ${result.problems.map(x => x.message).join('; ')}`
          );
        }
        if (!expectClean && result.problems.length === 0) {
          v.push(
            'final check --read-data passes although the damage is still there'
          );
        }
        for (const [i, snap] of p.snaps.entries()) {
          if (snap.id === manifestGone) {
            continue; // deleted, or removed by repair snapshots
          }
          const target = tempDir('final');
          const outcome = await inProcessRestore(repoDir, snap.id, target);
          v.push(
            ...judgeRestore(
              `final restore of snapshot ${i + 1}`,
              snap,
              finalLost,
              lost.has(snap.root) && object.startsWith('pack'),
              outcome,
              target
            )
          );
        }
      }

      results.set(`${object} ${kind}`, v.length === 0);
      expect(v).toEqual([]);
    }
  );
});

describe('the way the matrix runs the CLI', () => {
  it('answers as bin/studio-backup.js does (exit codes, stderr, JSON summaries)', async () => {
    const p = await getPristine();
    const repoDir = tempDir('case');
    cpSync(p.repoDir, repoDir, { recursive: true });
    damage(
      join(repoDir, ...p.keys['pack holding only file data'].split('/')),
      'truncated to half'
    );
    const cacheDir = tempDir('cache');
    const commands = (targets: string[]) =>
      [
        ['check'],
        ['check', '--read-data'],
        ['snapshots', '--json'],
        ...p.snaps.map((s, i) => [
          'restore',
          s.id,
          '--target',
          targets[i],
          '--json'
        ]),
        ['restore', 'no-such-snapshot', '--target', targets[0]]
      ].map(args => [...args, '--repo', repoDir]);
    const essence = (run: ICliRun) => ({
      code: run.code,
      err: run.err,
      summary: jsonLines(run.out)
        .filter(l => l.type !== 'progress')
        .map(l => JSON.stringify({ ...l, target: undefined }))
    });
    const viaDriver = await runCliBatch(
      commands(p.snaps.map(() => tempDir('target'))),
      cacheDir
    );
    const viaBin: ICliRun[] = [];
    for (const args of commands(p.snaps.map(() => tempDir('target')))) {
      viaBin.push(await runCli(args, cacheDir));
    }
    expect(viaDriver.map(essence)).toEqual(viaBin.map(essence));
    expect(viaBin.map(r => r.code)).toEqual([1, 1, 0, 3, 3, 3, 1]);
  });
});
