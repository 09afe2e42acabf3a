'use strict';
/**
 * A repository for the panel's rendering benchmark: a home with one 10,000-entry folder, backed up
 * once by the real engine, then 999 more snapshot manifests of the same tree an hour apart
 * (real snapshots of the format, without backing up 1,000 times).
 * Usage: node bench/panel-fixture.js <home> <repo folder>
 */
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const lib = join(__dirname, '..', 'lcc', 'lib');
const { backup } = require(join(lib, 'backup', 'backup'));
const { Repository } = require(join(lib, 'repository', 'repository'));
const { openBackend } = require(join(lib, 'repository', 'open'));

async function main() {
  const [home, repoDir, snapshots = '1000', entries = '10000'] =
    process.argv.slice(2);
  const big = join(home, 'big-folder');
  mkdirSync(big, { recursive: true });
  for (let i = 0; i < Number(entries); i++) {
    writeFileSync(
      join(big, `file-${String(i).padStart(5, '0')}.txt`),
      `${i}\n`
    );
  }
  writeFileSync(join(home, 'README.md'), '# Benchmark home\n');
  const repo = await Repository.open(openBackend(`file://${repoDir}`), {
    create: true
  });
  const { snapshotId } = await backup(repo, { source: home });
  const manifest = await repo.loadSnapshot(snapshotId);
  const first = Date.parse(manifest.time);
  for (let i = 1; i < Number(snapshots); i++) {
    await repo.saveSnapshot({
      ...manifest,
      time: new Date(first - i * 3_600_000).toISOString()
    });
  }
}

main().catch(err => {
  console.error(err.message);
  process.exit(1);
});
