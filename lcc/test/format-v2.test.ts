/**
 * Format version 2: zstd blobs written by Node.js 22 (the runtime on-start.sh stages), read by any
 * Node.js (zlib's zstd where it exists, a JavaScript decoder before 22.15); a version 1 repository
 * stays version 1, with no zstd blob in it, so that an older studio-backup still reads it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check } from '../src/maintenance/check';
import { FileBackend } from '../src/repository/file-backend';
import { decodeBlob, encodeBlob } from '../src/repository/format';
import { Repository } from '../src/repository/repository';
import {
  cleanupTempDirs,
  describeTree,
  excludedByDefault,
  makeHome,
  tempDir
} from './helpers/fixtures';
import { restoreAll } from './helpers/restore-all';

const BIN = join(__dirname, '..', 'bin', 'studio-backup.js');
/** Installed by scripts/setup.sh; the suite needs it (no silent skip). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const NODE22: string = require('../../scripts/node22-path');

function backupWith(node: string, home: string, repo: string, cache: string) {
  const r = spawnSync(
    node,
    [BIN, 'backup', '--repo', repo, '--source', home, '--json'],
    {
      encoding: 'utf8',
      env: { ...process.env, STUDIO_BACKUP_CACHE_DIR: cache }
    }
  );
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.status).toBe(0);
}

async function encodings(repoDir: string): Promise<Set<string>> {
  const repo = await Repository.open(new FileBackend(repoDir));
  await repo.loadIndex();
  return new Set([...repo.index.entries()].map(([, loc]) => loc.encoding));
}

async function restoredMatches(repoDir: string, home: string): Promise<void> {
  const repo = await Repository.open(new FileBackend(repoDir));
  const target = await restoreAll(repo);
  expect(describeTree(target)).toEqual(describeTree(home, excludedByDefault));
  const result = await check(repo, { readData: true });
  expect(result.problems).toEqual([]);
}

afterEach(cleanupTempDirs);

describe('repository format version 2', () => {
  it('has the Node.js 22 that scripts/setup.sh installs', () => {
    expect(existsSync(NODE22)).toBe(true);
  });

  it('writes zstd blobs with Node.js 22, and this Node.js restores them byte for byte', async () => {
    const home = tempDir('home');
    makeHome(home);
    const repoDir = tempDir('repo');
    backupWith(NODE22, home, repoDir, tempDir('cache'));
    const config = JSON.parse(readFileSync(join(repoDir, 'config'), 'utf8'));
    expect(config.version).toBe(2);
    expect(await encodings(repoDir)).toContain('zstd');
    await restoredMatches(repoDir, home);
  });

  it('keeps a version 1 repository free of zstd, so an older studio-backup still reads it', async () => {
    const home = tempDir('home');
    makeHome(home);
    const repoDir = tempDir('repo');
    await Repository.open(new FileBackend(repoDir), { create: true });
    const config = JSON.parse(readFileSync(join(repoDir, 'config'), 'utf8'));
    writeFileSync(
      join(repoDir, 'config'),
      JSON.stringify({ ...config, version: 1 })
    );
    backupWith(NODE22, home, repoDir, tempDir('cache'));
    expect(
      JSON.parse(readFileSync(join(repoDir, 'config'), 'utf8')).version
    ).toBe(1);
    const used = await encodings(repoDir);
    expect(used).not.toContain('zstd');
    expect(used).toContain('deflate');
    await restoredMatches(repoDir, home);
  });

  it('decodes zstd without zlib support, with the JavaScript decoder', async () => {
    const text = Buffer.from('a line of a notebook\n'.repeat(5000));
    const r = spawnSync(
      NODE22,
      [
        '-e',
        `process.stdout.write(require('zlib').zstdCompressSync(Buffer.from(${JSON.stringify(text.toString())})).toString('base64'))`
      ],
      { encoding: 'utf8', maxBuffer: 1 << 24 }
    );
    const packed = Buffer.from(r.stdout, 'base64');
    expect(packed.length).toBeLessThan(text.length / 10);
    expect(decodeBlob(packed, 'zstd', { native: false }).equals(text)).toBe(
      true
    );
  });

  it("never returns a small compressed blob that holds on to zlib's whole output buffer", async () => {
    // A pack keeps each blob until it is sealed: a thousand 1 KiB blobs must not pin 256 MiB.
    const text = Buffer.from(
      '{"cell_type": "code", "source": "x"}\n'.repeat(300)
    );
    for (const zstd of [false, true]) {
      const { bytes, encoding } = await encodeBlob(text, true, zstd);
      expect(encoding).not.toBe('raw');
      // Node's shared pool for small buffers is fine (many blobs share one slab); zlib's own
      // output buffer (16 KiB by default, 256 KiB as configured) is not.
      expect(bytes.buffer.byteLength).toBeLessThanOrEqual(
        Math.max(Buffer.poolSize, 2 * bytes.length)
      );
    }
  });

  it('compresses with deflate where the format or Node.js has no zstd', async () => {
    const text = Buffer.from('id,value\n'.repeat(20000));
    const { bytes, encoding } = await encodeBlob(text, true, false);
    expect(encoding).toBe('deflate');
    expect(decodeBlob(bytes, encoding).equals(text)).toBe(true);
  });
});
