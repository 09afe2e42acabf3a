#!/usr/bin/env node
'use strict';
/**
 * The engine side by side with `aws s3 sync` (what the reference LCC runs) and restic, against the
 * same local S3 server (moto), on a synthetic Studio home. Writes docs/benchmarks.md.
 * Usage: make bench-reference   (or: node bench/run.js [--scale N] [--tiny N])
 */
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const {
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  readdirSync,
  statSync
} = require('node:fs');
const { createServer } = require('node:net');
const { cpus, totalmem } = require('node:os');
const { join, resolve } = require('node:path');
const { makeHome, churn, makeTinyFiles } = require('./synthetic-home');
const { FILE, sectionsOf } = require('./report-section');

const root = resolve(__dirname, '..');
const work = join(root, '.bench');
const venvBin = join(root, '.venv', 'bin');
const cli = join(root, 'lcc', 'bin', 'studio-backup.js');
const args = process.argv.slice(2);
const opt = (name, fallback) =>
  args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback;
const SCALE = opt('--scale', 1);
const TINY = opt('--tiny', 100000);
const SNAPSHOTS = opt('--snapshots', 30);

function freePort() {
  return new Promise(res => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

function log(line) {
  process.stderr.write(`[bench] ${line}\n`);
}

/** Runs a command, returns wall seconds; throws with its stderr on failure (exit 0, or 3 for ours). */
function timed(cmd, argv, env, okCodes = [0]) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (!okCodes.includes(r.status)) {
    throw new Error(
      `${cmd} ${argv.join(' ')} failed (${r.status}): ${(r.stderr || '').slice(-2000)}`
    );
  }
  return { seconds, stdout: r.stdout, stderr: r.stderr };
}

/** Peak RSS of a child, read from /proc while it runs (VmHWM is a high-water mark). */
function peakRss(cmd, argv, env) {
  return new Promise((res, rej) => {
    const child = spawn(cmd, argv, {
      env,
      stdio: ['ignore', 'ignore', 'pipe']
    });
    let peak = 0;
    let err = '';
    child.stderr.on('data', d => (err += d));
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(
          readFileSync(`/proc/${child.pid}/status`, 'utf8')
        );
        if (m) peak = Math.max(peak, Number(m[1]));
      } catch {}
    }, 20);
    child.once('exit', code => {
      clearInterval(poll);
      const own = /maxrss_kib=(\d+)/.exec(err);
      if (code !== 0 && code !== 3)
        return rej(new Error(`${cmd} failed: ${err.slice(-1000)}`));
      res(own ? Number(own[1]) : peak);
    });
  });
}

function bucketBytes(env, endpoint, bucket, prefix) {
  const out = execFileSync(
    join(venvBin, 'aws'),
    [
      '--endpoint-url',
      endpoint,
      's3',
      'ls',
      `s3://${bucket}/${prefix}`,
      '--recursive',
      '--summarize'
    ],
    { env, encoding: 'utf8', maxBuffer: 1 << 28 }
  );
  return Number(/Total Size: (\d+)/.exec(out)[1]);
}

function dirBytes(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : e.isFile() ? statSync(p).size : 0;
  }
  return n;
}

const fmt = s => `${s.toFixed(2)} s`;
const mb = b => `${(b / 1024 / 1024).toFixed(0)} MiB`;

async function main() {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const home = join(work, 'home');
  log('generating the synthetic home');
  const made = makeHome(home, SCALE);
  const backedUp = made.bytes - dirBytes(join(home, '.cache'));
  log(
    `home: ${made.files} files, ${mb(made.bytes)} (${mb(backedUp)} outside hidden folders)`
  );

  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const moto = spawn(
    join(venvBin, 'moto_server'),
    ['-H', '127.0.0.1', '-p', String(port)],
    { stdio: 'ignore' }
  );
  const env = {
    ...process.env,
    PATH: `${venvBin}:${process.env.PATH}`,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    RESTIC_PASSWORD: 'bench',
    STUDIO_BACKUP_CACHE_DIR: join(work, 'cache')
  };
  try {
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`${endpoint}/moto-api/`);
        break;
      } catch {
        await new Promise(r => setTimeout(r, 100));
      }
    }
    const aws = (...a) => [
      join(venvBin, 'aws'),
      ['--endpoint-url', endpoint, ...a]
    ];
    for (const b of ['reference', 'ours', 'restic'])
      timed(...aws('s3', 'mb', `s3://${b}`), env);
    const refExcludes = [
      '--exclude',
      '*/lost+found/*',
      '--exclude',
      'restored-files/*',
      '--exclude',
      '.*/*',
      '--only-show-errors'
    ];
    const ours = (...a) => [
      process.execPath,
      [cli, ...a, '--repo', 's3://ours/studio/alice/space']
    ];
    const hasRestic = spawnSync('restic', ['version']).status === 0;
    const resticRepo = `s3:${endpoint}/restic/studio/alice/space`;
    const restic = (...a) => [
      'restic',
      ['-r', resticRepo, '--no-cache', '-q', ...a]
    ];
    const resticExclude = ['--exclude', join(home, '.cache')];
    const r = {};

    // Each reference run copies the whole home under a new timestamp, as the reference LCC does.
    const referenceBackup = ts =>
      timed(
        ...aws(
          's3',
          'sync',
          home,
          `s3://reference/studio/alice/space/${ts}/`,
          ...refExcludes
        ),
        env
      ).seconds;
    const resticBackup = () =>
      timed(...restic('backup', home, ...resticExclude), env).seconds;
    log('first backups');
    r.refFirst = referenceBackup('2026-01-01-00-00-00');
    r.oursFirst = timed(
      ...ours('backup', '--source', home),
      env,
      [0, 3]
    ).seconds;
    if (hasRestic) {
      timed(...restic('init'), env);
      r.resticFirst = resticBackup();
    }
    log('second backups, nothing changed');
    r.refSecond = referenceBackup('2026-01-01-12-00-00');
    const second = timed(
      ...ours('backup', '--source', home, '--json'),
      env,
      [0, 3]
    );
    r.oursSecond = second.seconds;
    r.oursSecondSummary = JSON.parse(second.stdout.trim().split('\n').pop());
    if (hasRestic) r.resticSecond = resticBackup();

    log('backups after 1% of the files changed');
    const changed = churn(home, made.churnable, 0.01, 1);
    r.refChurn = referenceBackup('2026-01-02-00-00-00');
    r.oursChurn = timed(
      ...ours('backup', '--source', home),
      env,
      [0, 3]
    ).seconds;
    if (hasRestic) r.resticChurn = resticBackup();

    log('restores');
    const one = made.churnable[7];
    const t1 = join(work, 'restore-one');
    r.oursOne = timed(
      ...ours('restore', 'latest', one, '--target', join(t1, 'ours')),
      env
    ).seconds;
    r.refOne = timed(
      ...aws(
        's3',
        'cp',
        `s3://reference/studio/alice/space/2026-01-02-00-00-00/${one}`,
        join(t1, 'ref', one),
        '--only-show-errors'
      ),
      env
    ).seconds;
    if (hasRestic)
      r.resticOne = timed(
        ...restic(
          'restore',
          'latest',
          '--target',
          join(t1, 'restic'),
          '--include',
          join(home, one)
        ),
        env
      ).seconds;
    r.oursFull = timed(
      ...ours('restore', 'latest', '--target', join(work, 'full-ours')),
      env
    ).seconds;
    r.refFull = timed(
      ...aws(
        's3',
        'sync',
        's3://reference/studio/alice/space/2026-01-02-00-00-00/',
        join(work, 'full-ref'),
        '--only-show-errors'
      ),
      env
    ).seconds;
    if (hasRestic)
      r.resticFull = timed(
        ...restic('restore', 'latest', '--target', join(work, 'full-restic')),
        env
      ).seconds;
    const same =
      spawnSync('diff', [
        '-r',
        '-q',
        join(work, 'full-ours'),
        join(work, 'full-ref')
      ]).status === 0;
    rmSync(join(work, 'full-ours'), { recursive: true, force: true });
    rmSync(join(work, 'full-ref'), { recursive: true, force: true });
    rmSync(join(work, 'full-restic'), { recursive: true, force: true });

    log(`${SNAPSHOTS} snapshots at 1% churn`);
    for (let i = 4; i <= SNAPSHOTS; i++) {
      churn(home, made.churnable, 0.01, i);
      timed(...ours('backup', '--source', home), env, [0, 3]);
      if (hasRestic) resticBackup();
    }
    // Snapshots so far: first, second, churn, then 4..SNAPSHOTS.
    r.oursStorage = bucketBytes(env, endpoint, 'ours', 'studio/');
    r.refOneCopy = bucketBytes(
      env,
      endpoint,
      'reference',
      'studio/alice/space/2026-01-01-00-00-00/'
    );
    if (hasRestic)
      r.resticStorage = bucketBytes(env, endpoint, 'restic', 'studio/');

    log(`peak memory, ${TINY} small files`);
    const tiny = join(work, 'tiny');
    makeTinyFiles(tiny, TINY);
    r.oursRss = await peakRss(
      process.execPath,
      [
        join(__dirname, 'rss.js'),
        'backup',
        '--source',
        tiny,
        '--repo',
        join(work, 'tiny-repo')
      ],
      env
    );
    if (hasRestic) {
      timed('restic', ['-r', join(work, 'tiny-restic'), 'init'], env);
      r.resticRss = await peakRss(
        'restic',
        ['-r', join(work, 'tiny-restic'), '--no-cache', '-q', 'backup', tiny],
        env
      );
    }
    const tinyNoChange = timed(
      process.execPath,
      [cli, 'backup', '--source', tiny, '--repo', join(work, 'tiny-repo')],
      env,
      [0, 3]
    ).seconds;

    writeReport({ r, made, backedUp, changed, same, hasRestic, tinyNoChange });
  } finally {
    moto.kill('SIGTERM');
  }
}

function writeReport({
  r,
  made,
  backedUp,
  changed,
  same,
  hasRestic,
  tinyNoChange
}) {
  const ratio = (x, base) => (x / base).toFixed(2) + '×';
  const R = k => (hasRestic && r[k] !== undefined ? fmt(r[k]) : 'n/a');
  const verdict = ok => (ok ? 'met' : '**not met**');
  const second = r.oursSecondSummary;
  const perTenK = (r.oursSecond / made.files) * 10000;
  const storageRef = r.refOneCopy * SNAPSHOTS;
  const rows = [
    [
      'first backup, wall time',
      fmt(r.refFirst),
      R('resticFirst'),
      fmt(r.oursFirst),
      ratio(r.oursFirst, r.refFirst),
      '≤ 0.5×',
      verdict(r.oursFirst <= 0.5 * r.refFirst)
    ],
    [
      'second backup, nothing changed',
      fmt(r.refSecond),
      R('resticSecond'),
      fmt(r.oursSecond),
      ratio(r.oursSecond, r.refSecond),
      `≤ 1 s per 10,000 files (here ${perTenK.toFixed(2)} s); uploads only a manifest (here ${second.totals.bytesAdded} new bytes)`,
      verdict(perTenK <= 1 && second.totals.bytesAdded === 0)
    ],
    [
      `backup after 1% changed (${changed} files)`,
      fmt(r.refChurn),
      R('resticChurn'),
      fmt(r.oursChurn),
      ratio(r.oursChurn, r.refChurn),
      '≤ 10% of our first backup',
      verdict(r.oursChurn <= 0.1 * r.oursFirst)
    ],
    [
      `storage after ${SNAPSHOTS} snapshots at 1% churn`,
      `${mb(storageRef)} (${SNAPSHOTS} full copies)`,
      hasRestic ? mb(r.resticStorage) : 'n/a',
      mb(r.oursStorage),
      `${(r.oursStorage / backedUp).toFixed(2)}× the home`,
      '≤ 1.5× the home',
      verdict(r.oursStorage <= 1.5 * backedUp)
    ],
    [
      'restore one file',
      fmt(r.refOne) + ' (aws s3 cp)',
      R('resticOne'),
      fmt(r.oursOne),
      ratio(r.oursOne, r.refOne),
      '< 1 s',
      verdict(r.oursOne < 1)
    ],
    [
      'full restore, wall time',
      fmt(r.refFull),
      R('resticFull'),
      fmt(r.oursFull),
      ratio(r.oursFull, r.refFull),
      '≤ 0.5×',
      verdict(r.oursFull <= 0.5 * r.refFull)
    ],
    [
      `peak RSS, backup of ${TINY.toLocaleString('en')} small files`,
      '—',
      hasRestic ? `${(r.resticRss / 1024).toFixed(0)} MiB` : 'n/a',
      `${(r.oursRss / 1024).toFixed(0)} MiB`,
      '',
      '< 200 MB',
      verdict(r.oursRss * 1024 < 200e6)
    ]
  ];
  const md = `# Benchmarks

Produced by \`make bench-reference\` (\`node bench/run.js\`), which writes this file. All three tools ran in the
same run against the same local S3 server (moto ${'5.2.5'} in server mode on 127.0.0.1), on a synthetic
Studio home made by \`bench/synthetic-home.js\`: ${made.files.toLocaleString('en')} files, ${mb(made.bytes)}
(${mb(backedUp)} outside the hidden \`.cache\` folder, which all three leave out): notebooks, CSVs,
Python sources, a project \`.git\`, a pip cache and four 60 MiB model checkpoints.

Machine: ${cpus().length} cores (${cpus()[0].model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB. Date: ${new Date().toISOString().slice(0, 10)}.
Tools: \`aws s3 sync\` from awscli ${execFileSync(join(venvBin, 'aws'), ['--version'], { encoding: 'utf8' }).split(' ')[0].split('/')[1]} (what the reference LCC runs, with its excludes);
${hasRestic ? `restic ${execFileSync('restic', ['version'], { encoding: 'utf8' }).split(' ')[1]} (Debian)` : 'restic: not installed'};
studio-backup ${JSON.parse(readFileSync(join(root, 'lcc', 'package.json'), 'utf8')).version}. s5cmd could not be had here
(the Go module proxy refuses \`github.com/peak/s5cmd/v2\`), so its column is missing.

| case | aws s3 sync (reference) | restic | studio-backup | studio-backup ÷ reference | target | |
|---|---|---|---|---|---|---|
${rows.map(row => `| ${row.join(' | ')} |`).join('\n')}

Notes:
- Times are wall-clock seconds of the whole command, start-up included; moto is the same server for all, and
  its own speed bounds every column (it is much slower than real S3, which favours tools that send fewer requests).
- The reference has no incremental mode: each run copies the whole home under a new timestamp, so its
  storage after ${SNAPSHOTS} runs is ${SNAPSHOTS} × one copy (${mb(r.refOneCopy)}, measured).
- Full restore: ours and the reference's restored trees were compared with \`diff -r\`: ${same ? 'identical' : '**they differ**'}.
- A second backup of the ${TINY.toLocaleString('en')}-file tree with nothing changed took ${fmt(tinyNoChange)}.
`;
  // Sections other benchmarks own (the panel's rendering) are kept.
  const previous = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '';
  const kept = sectionsOf(previous).join('\n\n');
  writeFileSync(FILE, kept ? `${md.trimEnd()}\n\n${kept}\n` : md);
  process.stdout.write(md);
}

main().catch(err => {
  console.error(err.message);
  process.exit(1);
});
