#!/usr/bin/env node
'use strict';
/**
 * The measurements behind three of the engine's choices (issue #15), so that the figures docs/format.md
 * and the code's comments give can be had again: zstd level 1 against deflate level 3 on the
 * benchmark's text files (CPU and size), the allocator settings the CLI starts again with
 * (src/cli/allocator.ts: peak RSS of a backup and a restore with and without them), and lstat on a
 * local disk synchronously against with promises (repository/local-fs.ts). Writes its section of
 * docs/benchmarks.md. Usage: node bench/engine-choices.js [--runs 3]
 */
const { spawnSync } = require('node:child_process');
const {
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync
} = require('node:fs');
const { lstat } = require('node:fs/promises');
const { cpus, loadavg, tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const zlib = require('node:zlib');
const { makeHome, makeTinyFiles } = require('./synthetic-home');
const { writeSection } = require('./report-section');

const root = resolve(__dirname, '..');
const NODE22 = require('../scripts/node22-path');
const { allocatorEnvFor } = require('../lcc/lib/cli/allocator');
const cli = join(root, 'lcc', 'bin', 'studio-backup.js');
const args = process.argv.slice(2);
const RUNS = Number(
  args.includes('--runs') ? args[args.indexOf('--runs') + 1] : 3
);
const log = line => process.stderr.write(`[bench] ${line}\n`);

// zstd is in zlib from Node.js 22.15: the whole script runs there.
if (!zlib.zstdCompressSync) {
  const r = spawnSync(NODE22, [__filename, ...args], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function filesUnder(dir, pattern, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, pattern, out);
    else if (pattern.test(e.name)) out.push(p);
  }
  return out;
}

/** CPU milliseconds of `fn` (user + system, this thread's process), and what it returned. */
function cpuOf(fn) {
  const before = process.cpuUsage();
  const value = fn();
  const used = process.cpuUsage(before);
  return { ms: (used.user + used.system) / 1000, value };
}

function compression(home) {
  const text = filesUnder(home, /\.(csv|ipynb|py)$/).map(f => readFileSync(f));
  const all = Buffer.concat(text);
  const MiB = 1024 * 1024;
  const chunks = [];
  for (let o = 0; o < all.length; o += MiB)
    chunks.push(all.subarray(o, o + MiB));
  const codecs = {
    'deflate level 3 (format 1)': c => zlib.deflateRawSync(c, { level: 3 }),
    'zstd level 1 (format 2)': c =>
      zlib.zstdCompressSync(c, {
        params: { [zlib.constants.ZSTD_c_compressionLevel]: 1 }
      })
  };
  const rows = [];
  for (const [name, encode] of Object.entries(codecs)) {
    const times = [];
    let out = 0;
    for (let r = 0; r < RUNS; r++) {
      const { ms, value } = cpuOf(() =>
        chunks.reduce((n, c) => n + encode(c).length, 0)
      );
      times.push(ms);
      out = value;
    }
    rows.push({ name, ms: median(times), ratio: out / all.length });
  }
  return { bytes: all.length, files: text.length, rows };
}

function peakRss(argv, env) {
  const out = join(mkdtempSync(join(tmpdir(), 'sb-choices-')), 'time');
  const r = spawnSync(
    '/usr/bin/time',
    ['-o', out, '-f', '%M %e', NODE22, cli, ...argv],
    {
      env: { ...process.env, ...env },
      encoding: 'utf8'
    }
  );
  if (r.status !== 0) {
    throw new Error(`studio-backup ${argv[0]} failed: ${r.stderr.trim()}`);
  }
  const [kib, wall] = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .pop()
    .split(' ');
  rmSync(join(out, '..'), { recursive: true, force: true });
  return { mib: Number(kib) / 1024, wall: Number(wall) };
}

function allocator(home, work) {
  const variants = {
    'as glibc starts (STUDIO_BACKUP_KEEP_ALLOCATOR=1)': {
      STUDIO_BACKUP_KEEP_ALLOCATOR: '1'
    },
    [`as the CLI starts again (${Object.entries(allocatorEnvFor('backup'))
      .map(([k, v]) => `${k}=${v}`)
      .join(
        ', '
      )}; ${allocatorEnvFor('restore').MALLOC_MMAP_THRESHOLD_} for a restore)`]:
      {}
  };
  const rows = [];
  for (const [name, env] of Object.entries(variants)) {
    const backup = [];
    const restore = [];
    for (let r = 0; r < RUNS; r++) {
      const repo = join(work, `repo-${r}`);
      const target = join(work, `restored-${r}`);
      const cache = { STUDIO_BACKUP_CACHE_DIR: join(work, `cache-${r}`) };
      backup.push(
        peakRss(['backup', '--source', home, '--repo', repo], {
          ...env,
          ...cache
        })
      );
      restore.push(
        peakRss(['restore', 'latest', '--repo', repo, '--target', target], {
          ...env,
          ...cache
        })
      );
      for (const p of [repo, target, cache.STUDIO_BACKUP_CACHE_DIR]) {
        rmSync(p, { recursive: true, force: true });
      }
    }
    rows.push({
      name,
      backup: Math.max(...backup.map(b => b.mib)),
      restore: Math.max(...restore.map(b => b.mib))
    });
  }
  return rows;
}

async function lstats(dir) {
  const paths = filesUnder(dir, /./);
  const sync = [];
  const promised = [];
  for (let r = 0; r < RUNS; r++) {
    let t = process.hrtime.bigint();
    for (const p of paths) lstatSync(p);
    sync.push(Number(process.hrtime.bigint() - t) / 1000 / paths.length);
    t = process.hrtime.bigint();
    // As a folder's entries are looked at: all of one folder at once.
    for (let i = 0; i < paths.length; i += 1000) {
      await Promise.all(paths.slice(i, i + 1000).map(p => lstat(p)));
    }
    promised.push(Number(process.hrtime.bigint() - t) / 1000 / paths.length);
  }
  return {
    files: paths.length,
    sync: median(sync),
    promised: median(promised)
  };
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'sb-choices-'));
  try {
    log(
      "generating a home (a fifth of the engine benchmark's) and 20,000 small files"
    );
    const home = join(work, 'home');
    const made = makeHome(home, 0.2);
    const tiny = join(work, 'tiny');
    makeTinyFiles(tiny, 20000);
    const load = loadavg()[0];
    log('compression');
    const c = compression(home);
    log('allocator');
    const a = allocator(home, work);
    log('lstat');
    const l = await lstats(tiny);
    const mib = b => (b / 1024 / 1024).toFixed(0);
    const [deflate, zstd] = c.rows;
    const body = `## Why the engine does what it does (issue #15)

\`node bench/engine-choices.js\` (part of \`make bench\`), Node.js ${process.version}, ${cpus().length} cores,
load ${load.toFixed(1)} at the start; ${RUNS} runs each, medians (peaks for memory). The home is the
engine benchmark's generator at a fifth of its size (${made.files} files, ${mib(made.bytes)} MiB).

**Compression of the home's text files** (${c.files} notebooks, CSVs and modules, ${mib(c.bytes)} MiB, in
1 MiB chunks as a backup compresses them):

| codec | CPU | output ÷ input |
|---|---|---|
${c.rows.map(r => `| ${r.name} | ${r.ms.toFixed(0)} ms | ${r.ratio.toFixed(3)} |`).join('\n')}

zstd takes ${(zstd.ms / deflate.ms).toFixed(2)} of deflate's CPU for ${(zstd.ratio / deflate.ratio).toFixed(2)} of its size.

**glibc's allocator** (peak RSS of the CLI on Node.js 22, a backup of that home into a new local
repository, then a full restore of it):

| allocator | backup | restore |
|---|---|---|
${a.map(r => `| ${r.name} | ${r.backup.toFixed(0)} MiB | ${r.restore.toFixed(0)} MiB |`).join('\n')}

**lstat of ${l.files} small files on the local disk**, per file: ${l.sync.toFixed(1)} µs synchronously,
${l.promised.toFixed(1)} µs with promises (a folder's entries at once). A backup starts synchronously
and switches to promises when the file system answers slowly (EFS, NFS), where waiting in parallel pays.
`;
    writeSection('engine-choices', body);
    process.stdout.write(body);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch(err => {
  process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
});
