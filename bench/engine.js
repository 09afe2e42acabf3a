#!/usr/bin/env node
'use strict';
/**
 * The engine side by side with restic (and rustic when installed) on local repositories: the table of
 * issue #15. Interleaved rounds (each round runs every tool on every case in turn), medians of wall
 * time and of CPU time (user + sys), peak RSS per case, and the machine's load during the run.
 * Writes its section of docs/benchmarks.md.
 * Usage: node bench/engine.js [--rounds 3] [--scale 1] [--tiny 100000] [--only ours]
 */
const { spawnSync } = require('node:child_process');
const { mkdirSync, readFileSync, rmSync, existsSync } = require('node:fs');
const { cpus, loadavg } = require('node:os');
const { join, resolve } = require('node:path');
const { makeHome, churn, makeTinyFiles } = require('./synthetic-home');
const { writeSection } = require('./report-section');
const { startVersitygw } = require('./versitygw');

const root = resolve(__dirname, '..');
const work = join(root, '.bench-engine');
const cli = join(root, 'lcc', 'bin', 'studio-backup.js');
const args = process.argv.slice(2);
const opt = (name, fallback) =>
  args.includes(name) ? args[args.indexOf(name) + 1] : fallback;
const ROUNDS = Number(opt('--rounds', 3));
const SCALE = Number(opt('--scale', 1));
const TINY = Number(opt('--tiny', 100000));
const ONLY = opt('--only', '');
const RESTIC_PASSWORD = 'bench';

const log = line => process.stderr.write(`[bench] ${line}\n`);
const has = (cmd, ...a) => spawnSync(cmd, a).status === 0;

/** Runs a command under /usr/bin/time: wall seconds, CPU seconds (user + sys), peak RSS in KiB. */
function measure(cmd, argv, env, okCodes = [0]) {
  const out = join(work, 'time.txt');
  const r = spawnSync(
    '/usr/bin/time',
    ['-o', out, '-f', '%e %U %S %M', cmd, ...argv],
    { env, encoding: 'utf8', maxBuffer: 1 << 28 }
  );
  if (!okCodes.includes(r.status)) {
    throw new Error(
      `${cmd} ${argv.join(' ')} failed (${r.status}): ${(r.stderr || '').slice(-2000)}`
    );
  }
  const [wall, user, sys, rss] = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .pop()
    .split(' ')
    .map(Number);
  return { wall, cpu: user + sys, rss };
}

/** How each tool does each step (paths are absolute; `rel` is a file relative to the home). */
function tools(env) {
  const list = [];
  if (!ONLY || ONLY === 'ours') {
    const run = (...a) => [process.execPath, [cli, ...a], env, [0, 3]];
    list.push({
      name: 'studio-backup',
      init: () => undefined,
      backup: (repo, src) => run('backup', '--source', src, '--repo', repo),
      restore: (repo, target) =>
        run('restore', 'latest', '--repo', repo, '--target', target),
      restoreOne: (repo, home, rel, target) =>
        run('restore', 'latest', rel, '--repo', repo, '--target', target),
      version: () => run('--version'),
      cache: env.STUDIO_BACKUP_CACHE_DIR,
      s3Repo: s => `s3://${s.bucket}/ours`
    });
  }
  if ((!ONLY || ONLY === 'restic') && has('restic', 'version')) {
    const run = (repo, ...a) => ['restic', ['-r', repo, '-q', ...a], env];
    list.push({
      name: 'restic',
      init: repo => spawnSync(...run(repo, 'init').slice(0, 2), { env }),
      backup: (repo, src) =>
        run(repo, 'backup', src, '--exclude', join(src, '.cache')),
      restore: (repo, target) =>
        run(repo, 'restore', 'latest', '--target', target),
      restoreOne: (repo, home, rel, target) =>
        run(
          repo,
          'restore',
          'latest',
          '--target',
          target,
          '--include',
          join(home, rel)
        ),
      version: () => ['restic', ['version'], env],
      cache: env.RESTIC_CACHE_DIR,
      s3Repo: s => `s3:${s.endpoint}/${s.bucket}/restic`
    });
  }
  if ((!ONLY || ONLY === 'rustic') && has('rustic', '--version')) {
    const run = (repo, ...a) => [
      'rustic',
      ['-r', repo, '--password', RESTIC_PASSWORD, '--no-progress', ...a],
      env
    ];
    list.push({
      name: 'rustic',
      init: repo => spawnSync(...run(repo, 'init').slice(0, 2), { env }),
      backup: (repo, src) =>
        run(repo, 'backup', src, '--glob', `!${join(src, '.cache')}`),
      restore: (repo, target) => run(repo, 'restore', 'latest', target),
      restoreOne: (repo, home, rel, target) =>
        run(repo, 'restore', `latest:${join(home, rel)}`, join(target, rel)),
      version: () => ['rustic', ['--version'], env],
      cache: join(work, 'no-rustic-cache')
    });
  }
  return list;
}

const CASES = [
  'first backup',
  `${TINY.toLocaleString('en')} small files, first`,
  `${TINY.toLocaleString('en')} small files, unchanged`,
  'nothing changed',
  '1% churn',
  'full restore, local',
  'full restore, S3 (versitygw)',
  'one file restore',
  'start-up (--version)'
];

const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? s[(s.length - 1) / 2]
    : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const home = join(work, 'home');
  const tiny = join(work, 'tiny');
  log('generating the synthetic home and the small files');
  const made = makeHome(home, SCALE);
  makeTinyFiles(tiny, TINY);
  const env = {
    ...process.env,
    RESTIC_PASSWORD,
    RESTIC_CACHE_DIR: join(work, 'restic-cache'),
    STUDIO_BACKUP_CACHE_DIR: join(work, 'cache')
  };
  const s3 = await startVersitygw(join(work, 's3'), env);
  try {
    await rounds(env, home, tiny, made, s3);
  } finally {
    s3?.child.kill('SIGTERM');
  }
}

async function rounds(env, home, tiny, made, s3) {
  const list = tools(env);
  if (s3) {
    log('backing up the home to S3 once per tool');
    for (const t of list.filter(t => t.s3Repo)) {
      t.init(t.s3Repo(s3));
      measure(...t.backup(t.s3Repo(s3), home));
    }
  }
  const results = {}; // tool -> case -> [{wall,cpu,rss}]
  const loads = [];
  const record = (tool, kase, m) => {
    results[tool] ??= {};
    (results[tool][kase] ??= []).push(m);
  };
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round} of ${ROUNDS} (load ${loadavg()[0].toFixed(2)})`);
    loads.push(loadavg()[0]);
    for (const t of list) {
      const repo = join(work, `repo-${t.name}`);
      const tinyRepo = join(work, `tiny-repo-${t.name}`);
      rmSync(repo, { recursive: true, force: true });
      rmSync(tinyRepo, { recursive: true, force: true });
      // Each tool starts without its own cache (and leaves the others' alone).
      rmSync(t.cache, { recursive: true, force: true });
      t.init(repo);
      t.init(tinyRepo);
      record(t.name, CASES[0], measure(...t.backup(repo, home)));
      record(t.name, CASES[1], measure(...t.backup(tinyRepo, tiny)));
      record(t.name, CASES[2], measure(...t.backup(tinyRepo, tiny)));
      record(t.name, CASES[3], measure(...t.backup(repo, home)));
    }
    // The same files change for every tool.
    churn(home, made.churnable, 0.01, round);
    for (const t of list) {
      const repo = join(work, `repo-${t.name}`);
      record(t.name, CASES[4], measure(...t.backup(repo, home)));
      const target = join(work, `restore-${t.name}`);
      rmSync(target, { recursive: true, force: true });
      record(t.name, CASES[5], measure(...t.restore(repo, target)));
      rmSync(target, { recursive: true, force: true });
      if (s3 && t.s3Repo) {
        record(t.name, CASES[6], measure(...t.restore(t.s3Repo(s3), target)));
        rmSync(target, { recursive: true, force: true });
      }
      const rel = made.churnable[7];
      record(
        t.name,
        CASES[7],
        measure(...t.restoreOne(repo, home, rel, target))
      );
      rmSync(target, { recursive: true, force: true });
      record(t.name, CASES[8], measure(...t.version()));
    }
  }
  report({ list, results, loads, made, s3 });
}

function report({ list, results, loads, made, s3 }) {
  const names = list.map(t => t.name);
  const ours = results['studio-backup'];
  const cell = (tool, kase) => {
    const ms = results[tool]?.[kase];
    if (!ms) return '–';
    const wall = median(ms.map(m => m.wall));
    const cpu = median(ms.map(m => m.cpu));
    const rss = Math.max(...ms.map(m => m.rss)) / 1024;
    return `${wall.toFixed(2)} s, ${cpu.toFixed(2)} s CPU, ${rss.toFixed(0)} MiB`;
  };
  const ratio = (kase, other, key) => {
    if (!ours?.[kase] || !results[other]?.[kase]) return '–';
    const a = median(ours[kase].map(m => m[key]));
    const b = median(results[other][kase].map(m => m[key]));
    return `${(a / b).toFixed(2)}×`;
  };
  const others = names.filter(n => n !== 'studio-backup');
  const header = [
    'step',
    ...names,
    ...others.flatMap(o => [`÷ ${o} (wall)`, `÷ ${o} (CPU)`])
  ];
  const rows = CASES.map(kase => [
    kase,
    ...names.map(n => cell(n, kase)),
    ...others.flatMap(o => [ratio(kase, o, 'wall'), ratio(kase, o, 'cpu')])
  ]);
  const version = (cmd, a) =>
    spawnSync(cmd, a, { encoding: 'utf8' }).stdout?.trim().split('\n')[0] ?? '';
  const body = `## The engine against restic and rustic (issue #15)

Produced by \`node bench/engine.js --rounds ${ROUNDS} --scale ${SCALE} --tiny ${TINY}\`: local repositories on the same disk, a
synthetic Studio home from \`bench/synthetic-home.js\` (${made.files.toLocaleString('en')} files, ${(made.bytes / 2 ** 20).toFixed(0)} MiB, \`.cache\` left out by all)
and ${TINY.toLocaleString('en')} small files. ${ROUNDS} interleaved rounds (each round runs every tool on every step in turn); each
cell is the median wall time, the median CPU time (user + sys, from \`/usr/bin/time\`) and the highest peak RSS.
Machine: ${cpus().length} cores (${cpus()[0].model}); load average (1 min) at the start of each round:
${loads.map(l => l.toFixed(2)).join(', ')} — other work shared the machine, so wall times are noisy and CPU times are the steadier comparison.
Tools: ${names.map(n => (n === 'studio-backup' ? `studio-backup (lcc/lib, ${process.version})` : version(n, n === 'restic' ? ['version'] : ['--version']))).join('; ')}.${names.includes('rustic') ? '' : ' rustic: not installed.'}
S3: ${s3 ? `${s3.version} (posix backend on the same disk; the home backed up to it once per tool, restored in every round)` : 'versitygw not installed, no S3 case'}.

| ${header.join(' | ')} |
|${header.map(() => '---').join('|')}|
${rows.map(r => `| ${r.join(' | ')} |`).join('\n')}
`;
  writeSection('engine', body);
  process.stdout.write(body);
}

if (!existsSync(cli)) {
  console.error('Build the engine first: cd lcc && npm run build');
  process.exit(1);
}
main().catch(err => {
  console.error(err.message);
  process.exit(1);
});
