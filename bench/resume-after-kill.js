#!/usr/bin/env node
'use strict';
/**
 * How much a backup killed half-way has to upload again: a home of --gb GiB of random 64 MiB files is
 * backed up to moto, the backup is killed with SIGKILL after --kill-after seconds, then run again.
 * "Uploaded again" is what sits in packs that no index lists once the second run is done (its data
 * was uploaded before the kill but not yet indexed, so the second run sent it once more).
 * Writes its section of docs/benchmarks.md. Usage: node bench/resume-after-kill.js [--gb 2] [--kill-after 60]
 */
const { spawn, spawnSync } = require('node:child_process');
const { randomFillSync } = require('node:crypto');
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:net');
const { join, resolve } = require('node:path');
const { writeSection } = require('./report-section');

const root = resolve(__dirname, '..');
const work = join(root, '.bench', 'resume');
const venvBin = join(root, '.venv', 'bin');
const cli = join(root, 'lcc', 'bin', 'studio-backup.js');
const args = process.argv.slice(2);
const opt = (name, fallback) =>
  args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback;
const GIB = opt('--gb', 2);
const KILL_AFTER = opt('--kill-after', 60);
const FILE_MIB = 64;
const mib = n => `${(n / 1024 / 1024).toFixed(0)} MiB`;

function freePort() {
  return new Promise(res => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

async function main() {
  rmSync(work, { recursive: true, force: true });
  const home = join(work, 'home');
  mkdirSync(home, { recursive: true });
  const buffer = Buffer.alloc(FILE_MIB * 1024 * 1024);
  const files = Math.round((GIB * 1024) / FILE_MIB);
  for (let i = 0; i < files; i++) {
    writeFileSync(join(home, `part-${i}.bin`), randomFillSync(buffer));
  }
  const total = files * buffer.length;

  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const moto = spawn(
    join(venvBin, 'moto_server'),
    ['-H', '127.0.0.1', '-p', String(port)],
    {
      stdio: 'ignore'
    }
  );
  Object.assign(process.env, {
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    STUDIO_BACKUP_CACHE_DIR: join(work, 'cache')
  });
  try {
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`${endpoint}/moto-api/`);
        break;
      } catch {
        await new Promise(r => setTimeout(r, 100));
      }
    }
    spawnSync(
      join(venvBin, 'aws'),
      ['--endpoint-url', endpoint, 's3', 'mb', 's3://resume'],
      {
        stdio: 'ignore'
      }
    );
    const repoUrl = 's3://resume/studio/alice/space';
    const backupArgs = [cli, 'backup', '--repo', repoUrl, '--source', home];
    const first = spawn(process.execPath, backupArgs, { stdio: 'ignore' });
    const exited = new Promise(res => first.once('exit', code => res(code)));
    const timer = setTimeout(() => first.kill('SIGKILL'), KILL_AFTER * 1000);
    const firstCode = await exited;
    clearTimeout(timer);
    if (firstCode === 0) {
      throw new Error(
        `the first backup finished within ${KILL_AFTER} s: use a larger --gb`
      );
    }
    const { openBackend } = require(
      join(root, 'lcc', 'lib', 'repository', 'open')
    );
    const { Repository } = require(
      join(root, 'lcc', 'lib', 'repository', 'repository')
    );
    const measure = async () => {
      const repo = await Repository.open(openBackend(repoUrl));
      await repo.loadIndex();
      let stored = 0;
      let indexed = 0;
      for await (const item of repo.backend.list('data/')) {
        stored += item.size;
        if (
          repo.index.packs.has(item.key.slice(item.key.lastIndexOf('/') + 1))
        ) {
          indexed += item.size;
        }
      }
      return { stored, indexed };
    };
    const atKill = await measure();
    const second = spawnSync(process.execPath, [...backupArgs, '--json'], {
      encoding: 'utf8',
      maxBuffer: 1 << 28
    });
    if (second.status !== 0) {
      throw new Error(`the second backup failed: ${second.stderr}`);
    }
    const after = await measure();
    const again = after.stored - after.indexed;
    const lines = [
      '## A backup killed half-way, then run again',
      '',
      `\`node bench/resume-after-kill.js --gb ${GIB} --kill-after ${KILL_AFTER}\`: a home of ${files} random`,
      `${FILE_MIB} MiB files (${mib(total)}), backed up to moto, the backup killed with SIGKILL after`,
      `${KILL_AFTER} s, then run again to the end. Date: ${new Date().toISOString().slice(0, 10)}.`,
      '',
      '| | bytes | of the home |',
      '|---|---|---|',
      `| uploaded before the kill | ${mib(atKill.stored)} | ${((100 * atKill.stored) / total).toFixed(1)}% |`,
      `| indexed by checkpoints before the kill | ${mib(atKill.indexed)} | ${((100 * atKill.indexed) / total).toFixed(1)}% |`,
      `| uploaded again by the second run | ${mib(again)} | ${((100 * again) / total).toFixed(1)}% |`,
      '',
      'Target: uploaded again ≤ 10% of the home. The packs uploaded before the kill that no checkpoint',
      'had indexed yet are in no index; prune deletes them once past its grace period.'
    ];
    writeSection('resume-after-kill', lines.join('\n'));
    console.log(lines.join('\n'));
  } finally {
    moto.kill('SIGTERM');
  }
}

main().catch(err => {
  console.error(err.message);
  process.exit(1);
});
