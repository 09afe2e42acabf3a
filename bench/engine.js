#!/usr/bin/env node
'use strict';
/**
 * The engine side by side with restic and rustic, and the `cp -a` and `tar | zstd` floors, on local
 * repositories and on a real S3 implementation (versitygw): the table of issue #15. Interleaved
 * rounds (each round runs every tool on every case in turn), medians of wall time and of CPU time
 * (user + sys), peak RSS per case, the machine's load, and the short cases again with one core
 * kept busy. Writes its section of docs/benchmarks.md and docs/benchmarks-engine.svg.
 * Usage: node bench/engine.js [--rounds 3] [--scale 1] [--tiny 100000] [--only ours] [--install]
 */
const { spawnSync } = require('node:child_process');
const { spawn } = require('node:child_process');
const {
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  existsSync,
  writeFileSync
} = require('node:fs');
const { cpus, loadavg } = require('node:os');
const { basename, join, resolve } = require('node:path');
const { makeHome, churn, makeTinyFiles } = require('./synthetic-home');
const { writeSection } = require('./report-section');
const { startVersitygw } = require('./versitygw');
const { findTools } = require('./tools');
const { barChart } = require('./plot');

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
const TOOLS = findTools({ installMissing: args.includes('--install') });

const log = line => process.stderr.write(`[bench] ${line}\n`);

/** Runs a command under /usr/bin/time: wall seconds, CPU seconds (user + sys), peak RSS in KiB. */
function measure(cmd, argv, env, okCodes = [0]) {
  const out = join(work, 'time.txt');
  // What earlier steps left to write back goes to disk first, so that no tool pays for another's.
  spawnSync('sync');
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

/**
 * Reads every file under `path`, so that the step measured next finds its input in the page cache,
 * whichever tool ran before it: here cold pages are evicted within minutes (DAMON), and the tool
 * that read a tree first paid for its disk reads (100,000 small files: 17 s cold, 5 s warm).
 */
function warm(path) {
  if (!existsSync(path)) return;
  if (!statSync(path).isDirectory()) {
    readFileSync(path);
    return;
  }
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    if (e.isDirectory()) warm(p);
    else if (e.isFile()) readFileSync(p);
  }
}

/** `measure` of a step after its inputs were read into the page cache. */
const afterWarming = (paths, [cmd, argv, env, okCodes]) => {
  for (const p of paths) warm(p);
  return measure(cmd, argv, env, okCodes);
};

/** How each tool does each step (paths are absolute; `rel` is a file relative to the home). */
function tools(env) {
  const list = [];
  if (!ONLY || ONLY === 'ours') {
    const run = (...a) => [TOOLS.node, [cli, ...a], env, [0, 3]];
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
      s3Repo: (s, round) => `s3://${s.bucket}/ours-${round}`
    });
  }
  if ((!ONLY || ONLY === 'restic') && TOOLS.restic) {
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
      s3Repo: (s, round) => `s3:${s.endpoint}/${s.bucket}/restic-${round}`
    });
  }
  if ((!ONLY || ONLY === 'rustic') && TOOLS.rustic) {
    const run = (repo, ...a) => [
      TOOLS.rustic,
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
      version: () => [TOOLS.rustic, ['--version'], env],
      cache: join(work, 'no-rustic-cache')
    });
  }
  if (!ONLY || ONLY === 'floors') {
    // What copying the bytes costs at least: no dedup, no index, no snapshot.
    list.push({
      name: 'cp -a',
      floor: true,
      init: () => undefined,
      backup: (repo, src) => [
        'bash',
        [
          '-c',
          `rm -rf "${repo}" && cp -a "${src}" "${repo}" && rm -rf "${repo}/.cache"`
        ],
        env
      ],
      restore: (repo, target) => ['cp', ['-a', repo, target], env]
    });
    list.push({
      name: 'tar | zstd',
      floor: true,
      init: () => undefined,
      backup: (repo, src) => [
        'bash',
        [
          '-c',
          `tar -C "${src}" --exclude=./.cache -cf - . | zstd -1 -T0 -q -f -o "${repo}.tar.zst"`
        ],
        env
      ],
      restore: (repo, target) => [
        'bash',
        [
          '-c',
          `mkdir -p "${target}" && zstd -d -q -c "${repo}.tar.zst" | tar -C "${target}" -xf -`
        ],
        env
      ]
    });
  }
  return list;
}

const CASES = [
  'first backup',
  'first backup, S3 (versitygw)',
  `${TINY.toLocaleString('en')} small files, first`,
  `${TINY.toLocaleString('en')} small files, unchanged`,
  'nothing changed',
  '1% churn',
  'full restore, local',
  'full restore, S3 (versitygw)',
  'one file restore',
  'start-up (--version)',
  'nothing changed, one core busy',
  '1% churn, one core busy'
];
/** A case by name; a misspelt one stops the run instead of filling a row of its own. */
const K = name => {
  if (!CASES.includes(name)) throw new Error(`no case named ${name}`);
  return name;
};

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

const restored = join(work, 'restored');
let targets = 0;

/**
 * A folder no restore has used, under `restored`, which is removed only once every round is done
 * (so the disk holds every restore of the run until then). A restore into a folder removed shortly
 * before measured the file system more than the tool: on this machine's ext4 (no journal), a new
 * inode skips every inode of its group deleted in the last 60 s, or 360 s while the inode table's
 * block is dirty (recently_deleted in the kernel's fs/ext4/ialloc.c), and `perf record` of an S3
 * restore put 45-50% of restic's and of our samples there, a share that grew round after round.
 */
function freshTarget() {
  return join(restored, String(++targets));
}

async function rounds(env, home, tiny, made, s3) {
  rmSync(restored, { recursive: true, force: true });
  try {
    return await measuredRounds(env, home, tiny, made, s3);
  } finally {
    rmSync(restored, { recursive: true, force: true });
  }
}

async function measuredRounds(env, home, tiny, made, s3) {
  const list = tools(env);
  const results = {}; // tool -> case -> [{wall,cpu,rss}]
  const loads = [];
  const record = (tool, kase, m) => {
    results[tool] ??= {};
    (results[tool][kase] ??= []).push(m);
  };
  const rel = made.churnable[7];
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round} of ${ROUNDS} (load ${loadavg()[0].toFixed(2)})`);
    loads.push(loadavg()[0]);
    for (const t of list) {
      const repo = join(work, `repo-${t.name.replace(/\W+/g, '-')}`);
      const tinyRepo = join(work, `tiny-repo-${t.name.replace(/\W+/g, '-')}`);
      rmSync(repo, { recursive: true, force: true });
      rmSync(`${repo}.tar.zst`, { force: true });
      // Each tool starts without its own cache (and leaves the others' alone).
      if (t.cache) rmSync(t.cache, { recursive: true, force: true });
      t.init(repo);
      record(
        t.name,
        K('first backup'),
        afterWarming([home], t.backup(repo, home))
      );
      if (s3 && t.s3Repo) {
        const s3Repo = t.s3Repo(s3, round);
        t.init(s3Repo);
        record(
          t.name,
          K('first backup, S3 (versitygw)'),
          afterWarming([home], t.backup(s3Repo, home))
        );
      }
      if (t.floor) continue;
      rmSync(tinyRepo, { recursive: true, force: true });
      t.init(tinyRepo);
      record(t.name, CASES[2], afterWarming([tiny], t.backup(tinyRepo, tiny)));
      record(t.name, CASES[3], afterWarming([tiny], t.backup(tinyRepo, tiny)));
      record(
        t.name,
        K('nothing changed'),
        afterWarming([home], t.backup(repo, home))
      );
    }
    // The same files change for every tool.
    churn(home, made.churnable, 0.01, round);
    for (const t of list) {
      const repo = join(work, `repo-${t.name.replace(/\W+/g, '-')}`);
      if (!t.floor) {
        record(
          t.name,
          K('1% churn'),
          afterWarming([home], t.backup(repo, home))
        );
      }
      record(
        t.name,
        K('full restore, local'),
        afterWarming([repo, `${repo}.tar.zst`], t.restore(repo, freshTarget()))
      );
      if (t.floor) continue;
      if (s3 && t.s3Repo) {
        record(
          t.name,
          K('full restore, S3 (versitygw)'),
          afterWarming(
            [join(work, 's3', s3.bucket, basename(t.s3Repo(s3, round)))],
            t.restore(t.s3Repo(s3, round), freshTarget())
          )
        );
      }
      record(
        t.name,
        K('one file restore'),
        afterWarming([repo], t.restoreOne(repo, home, rel, freshTarget()))
      );
      record(t.name, K('start-up (--version)'), measure(...t.version()));
    }
  }
  // The short cases again, with another process keeping one core busy (bounded: it is ended here).
  const burner = spawn(
    process.execPath,
    ['-e', 'const end = Date.now() + 600000; while (Date.now() < end);'],
    {
      stdio: 'ignore'
    }
  );
  try {
    await new Promise(r => setTimeout(r, 500));
    for (let round = 1; round <= ROUNDS; round++) {
      churn(home, made.churnable, 0.01, ROUNDS + round);
      for (const t of list.filter(t => !t.floor)) {
        const repo = join(work, `repo-${t.name.replace(/\W+/g, '-')}`);
        record(
          t.name,
          K('1% churn, one core busy'),
          afterWarming([home], t.backup(repo, home))
        );
        record(
          t.name,
          K('nothing changed, one core busy'),
          afterWarming([home], t.backup(repo, home))
        );
      }
    }
  } finally {
    burner.kill('SIGKILL');
  }
  report({ list, results, loads, made, s3 });
}

function report({ list, results, loads, made, s3 }) {
  const names = list.map(t => t.name);
  const ours = results['studio-backup'];
  const med = (tool, kase, key) => {
    const ms = results[tool]?.[kase];
    return ms ? median(ms.map(m => m[key])) : undefined;
  };
  const peak = (tool, kase) => {
    const ms = results[tool]?.[kase];
    return ms ? Math.max(...ms.map(m => m.rss)) / 1024 : undefined;
  };
  const cell = (tool, kase) => {
    if (!results[tool]?.[kase]) return '–';
    return `${med(tool, kase, 'wall').toFixed(2)} s, ${med(tool, kase, 'cpu').toFixed(2)} s CPU, ${peak(tool, kase).toFixed(0)} MiB`;
  };
  const ratio = (kase, other, key) => {
    if (!ours?.[kase] || !results[other]?.[kase]) return '–';
    const theirs = med(other, kase, key);
    return theirs > 0
      ? `${(med('studio-backup', kase, key) / theirs).toFixed(2)}×`
      : '–';
  };
  const rivals = names.filter(n => n === 'restic' || n === 'rustic');
  const header = [
    'step',
    ...names,
    ...rivals.flatMap(o => [`÷ ${o} (wall)`, `÷ ${o} (CPU)`])
  ];
  const rows = CASES.map(kase => [
    kase,
    ...names.map(n => cell(n, kase)),
    ...rivals.flatMap(o => [ratio(kase, o, 'wall'), ratio(kase, o, 'cpu')])
  ]);
  const peakOurs = Math.max(...CASES.map(k => peak('studio-backup', k) ?? 0));
  const values = key =>
    Object.fromEntries(
      CASES.map(k => [
        k,
        Object.fromEntries(
          names
            .map(n => [n, key === 'rss' ? peak(n, k) : med(n, k, key)])
            .filter(([, v]) => v !== undefined)
        )
      ])
    );
  writeFileSync(
    join(root, 'docs', 'benchmarks-engine.svg'),
    barChart({
      title: `studio-backup, restic, rustic and the floors (bench/engine.js, ${ROUNDS} rounds, medians)`,
      tools: names,
      cases: CASES,
      panels: [
        { title: 'wall time (s)', unit: 's', values: values('wall') },
        { title: 'peak RSS (MiB)', unit: 'MiB', values: values('rss') }
      ]
    })
  );
  const missing = Object.entries(TOOLS.missing)
    .map(([tool, why]) => `${tool}: ${why}`)
    .join('; ');
  const body = `## The engine against restic and rustic (issue #15)

Produced by \`make bench\` (\`node bench/engine.js --rounds ${ROUNDS} --scale ${SCALE} --tiny ${TINY}\`): a
synthetic Studio home from \`bench/synthetic-home.js\` (${made.files.toLocaleString('en')} files, ${(made.bytes / 2 ** 20).toFixed(0)} MiB, \`.cache\` left out by all)
and ${TINY.toLocaleString('en')} small files; local repositories on the same disk, and S3 on versitygw. ${ROUNDS} interleaved rounds
(each round runs every tool on every step in turn); each cell is the median wall time, the median CPU
time (user + sys, from \`/usr/bin/time\`) and the highest peak RSS. The last two rows ran with another
process keeping one core busy. Each step starts after a \`sync\`, so no tool pays for writing back what
the one before it wrote, and after its input (the home, or the repository it restores from) was read
once: every tool starts with it in the page cache, not only the one that ran after another had read
it. Each restore writes into a folder no restore used before, and the restored folders are removed
only after the last round: on this machine's ext4 a restore that follows a removal pays for it
(see freshTarget in bench/engine.js). \`cp -a\` and \`tar | zstd -1 -T0\` are the floors: what copying the bytes costs, with no
deduplication, index or snapshot.
Machine: ${cpus().length} cores (${cpus()[0].model}); load average (1 min) at the start of each round:
${loads.map(l => l.toFixed(2)).join(', ')}.
Tools: ${names
    .filter(n => !list.find(t => t.name === n).floor)
    .map(n =>
      n === 'studio-backup'
        ? `studio-backup (lcc/lib on Node.js ${TOOLS.version(TOOLS.node, '--version')})`
        : n === 'restic'
          ? TOOLS.version('restic', 'version')
          : TOOLS.version(TOOLS.rustic, '--version')
    )
    .join('; ')}.${missing ? ` Not measured: ${missing}.` : ''}
S3: ${s3 ? `${s3.version} (posix backend on the same disk; one repository per tool and round)` : 'versitygw not installed, no S3 case'}; rustic is measured on local repositories only.
Peak RSS of studio-backup over every case: ${peakOurs.toFixed(0)} MiB.

![time and peak RSS per tool and case](benchmarks-engine.svg)

| ${header.map(c => c.replace(/\|/g, '\\|')).join(' | ')} |
|${header.map(() => '---').join('|')}|
${rows.map(r => `| ${r.map(c => c.replace(/\|/g, '\\|')).join(' | ')} |`).join('\n')}
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
