#!/usr/bin/env node
'use strict';
/**
 * How fast the agent answers the panel on an S3 repository with many snapshots (issue #15: ≤ 300 ms
 * p50 at the agent): the snapshot list, a folder of a snapshot, a file's previous versions and a
 * preview. The repository is on versitygw, a real S3 implementation; one real backup of a home with
 * a 2,000-entry folder, then more real manifests of that tree an hour apart (the snapshots share
 * their trees, so "previous versions" measures the manifests' cost, not tree reads). The agent runs
 * in this process; each request is timed at its HTTP answer, first (cold) and then warm.
 * Writes its section of docs/benchmarks.md.
 * Usage: node bench/agent-reads.js [--snapshots 1000] [--requests 30]
 */
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { cpus, loadavg } = require('node:os');
const { join, resolve } = require('node:path');
const { writeSection } = require('./report-section');
const { startVersitygw } = require('./versitygw');

const root = resolve(__dirname, '..');
const work = join(root, '.bench-agent');
const lib = join(root, 'lcc', 'lib');
const args = process.argv.slice(2);
const opt = (name, fallback) =>
  args.includes(name) ? args[args.indexOf(name) + 1] : fallback;
const SNAPSHOTS = Number(opt('--snapshots', 1000));
const REQUESTS = Number(opt('--requests', 30));
const log = line => process.stderr.write(`[bench] ${line}\n`);

function makeHome(home) {
  const big = join(home, 'big-folder');
  mkdirSync(big, { recursive: true });
  for (let i = 0; i < 2000; i++) {
    writeFileSync(
      join(big, `file-${String(i).padStart(4, '0')}.txt`),
      `${i}\n`
    );
  }
  writeFileSync(join(home, 'README.md'), '# Benchmark home\n'.repeat(200));
}

async function fillRepository(url, home) {
  const { backup } = require(join(lib, 'backup', 'backup'));
  const { Repository } = require(join(lib, 'repository', 'repository'));
  const { openBackend } = require(join(lib, 'repository', 'open'));
  const repo = await Repository.open(openBackend(url), { create: true });
  const { snapshotId } = await backup(repo, { source: home });
  const manifest = await repo.loadSnapshot(snapshotId);
  const first = Date.parse(manifest.time);
  const pLimit = require(join(root, 'node_modules', 'p-limit'));
  const limit = pLimit(16);
  await Promise.all(
    Array.from({ length: SNAPSHOTS - 1 }, (_, i) =>
      limit(() =>
        repo.saveSnapshot({
          ...manifest,
          time: new Date(first - (i + 1) * 3_600_000).toISOString()
        })
      )
    )
  );
  return snapshotId;
}

const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
const p90 = xs => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.9) - 1];

async function main() {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const s3 = await startVersitygw(join(work, 's3'), process.env);
  if (!s3) {
    throw new Error(
      'versitygw is not installed: go install github.com/versity/versitygw/cmd/versitygw@latest'
    );
  }
  try {
    const home = join(work, 'home');
    makeHome(home);
    const url = `s3://${s3.bucket}/agent-reads/alice/alice-space`;
    log(`writing ${SNAPSHOTS} snapshots to ${url}`);
    const id = await fillRepository(url, home);

    const { createAgentServer } = require(join(lib, 'agent', 'server'));
    const secret = 'bench-secret-bench-secret-bench-secret-0000';
    const server = createAgentServer({
      version: 'bench',
      secret,
      repository: url,
      home,
      stateDir: join(work, 'state')
    });
    await new Promise(r => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${server.address().port}/api/v1`;
    const call = async path => {
      const started = process.hrtime.bigint();
      const response = await fetch(`${base}${path}`, {
        headers: { 'x-studio-backup-secret': secret }
      });
      await response.arrayBuffer();
      if (!response.ok) {
        throw new Error(`${path}: HTTP ${response.status}`);
      }
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const cases = [
      ['snapshot list', '/snapshots'],
      [
        'open a folder (2,000 entries)',
        `/snapshots/${id}/tree?path=big-folder`
      ],
      ['previous versions of a file', '/versions?path=README.md'],
      ['preview a file', `/snapshots/${id}/file?path=README.md`],
      ['find a file by name in every snapshot', '/search?name=README*']
    ];
    const rows = [];
    for (const [name, path] of cases) {
      const cold = await call(path);
      const warm = [];
      for (let i = 0; i < REQUESTS; i++) {
        warm.push(await call(path));
      }
      rows.push([name, cold, median(warm), p90(warm)]);
      log(
        `${name}: first ${cold.toFixed(0)} ms, p50 ${median(warm).toFixed(0)} ms`
      );
    }
    server.close();
    const load = loadavg()[0].toFixed(1);
    const body = `## The agent's answers on S3 (issue #15)

\`node bench/agent-reads.js --snapshots ${SNAPSHOTS} --requests ${REQUESTS}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores, load ${load} at the end. ${s3.version}, on the same machine (no network latency: on real S3 each request that reaches the bucket costs more). ${SNAPSHOTS} snapshots sharing one tree; times at the agent's HTTP answer, in ms, the first request (cold: the agent just started) and the median and 90th percentile of ${REQUESTS} more.

| request | first | p50 | p90 |
|---|---|---|---|
${rows.map(([n, c, m, p]) => `| ${n} | ${c.toFixed(0)} | ${m.toFixed(0)} | ${p.toFixed(0)} |`).join('\n')}
`;
    writeSection('agent-reads', body);
    process.stdout.write(body);
  } finally {
    s3.child.kill();
  }
}

main().catch(err => {
  console.error(err.message);
  process.exitCode = 1;
});
