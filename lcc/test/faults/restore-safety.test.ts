/**
 * Restore never damages what is there and never writes outside its target: a full disk, symlinks
 * planted in the home or in a crafted snapshot, a corrupted blob, hostile and awkward names.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statfsSync,
  statSync,
  linkSync,
  openSync,
  writeSync,
  closeSync,
  symlinkSync,
  truncateSync,
  lutimesSync,
  utimesSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBackend } from '../../src/repository/file-backend';
import { restore } from '../../src/restore/restore';
import { check } from '../../src/maintenance/check';
import { openView } from '../../src/browse/view';
import { packKey } from '../../src/repository/format';
import {
  cleanupTempDirs,
  describeTree,
  randomish,
  tempDir,
  write
} from '../helpers/fixtures';
import { backedUp, restoreAll, tempFiles } from '../helpers/restore-all';
import { expectIntact, fileRepo } from './intact';

jest.setTimeout(120_000);
afterEach(cleanupTempDirs);

/** Restores a whole snapshot into a new folder and returns it. */
async function restoreFrom(repoDir: string, snapshot: string): Promise<string> {
  return restoreAll(await fileRepo(repoDir), snapshot);
}

describe('a restore onto a full disk', () => {
  // Not a tempDir(): those are removed after each test, while this stays mounted until afterAll.
  const mnt = mkdtempSync(join(tmpdir(), 'sb-tinyfs-'));
  const mounted =
    spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt])
      .status === 0;
  afterAll(() => {
    if (mounted) {
      spawnSync('umount', [mnt]);
    }
    rmSync(mnt, { recursive: true, force: true });
  });
  if (!mounted) {
    // CI runs as root, so this runs there; elsewhere the reason is printed, never silent.
    it.skip(`needs a tmpfs mount (mount was refused for uid ${process.getuid?.()})`, () =>
      undefined);
    return;
  }

  it('keeps the good file when the new version does not fit (overwrite)', async () => {
    const home = tempDir('home');
    // One blob (under the chunker's minimum), so that it is one write() that comes back short.
    write(home, 'model.bin', randomish(300 * 1024, 5));
    write(home, 'small.txt', 'small\n');
    const { repoDir, snapshot } = await backedUp(home);
    const good = randomish(300 * 1024, 6);
    write(mnt, 'model.bin', good);
    write(mnt, 'small.txt', 'edited\n');
    // Leave about half of the new version's size free: the disk fills in the middle of the write.
    const { bavail, bsize } = statfsSync(mnt);
    write(mnt, 'filler', Buffer.alloc(bavail * bsize - 150 * 1024));
    const view = await openView(await fileRepo(repoDir), snapshot);
    await expect(
      restore(view, { paths: [], target: mnt, conflict: 'overwrite' })
    ).rejects.toThrow(
      /^No space left on the device while restoring.*free some space and retry/
    );
    expect(readFileSync(join(mnt, 'model.bin')).equals(good)).toBe(true);
    expect(tempFiles(mnt)).toEqual([]);
    rmSync(join(mnt, 'filler'));
    await expectIntact(new FileBackend(repoDir), snapshot, describeTree(home));
  });
});

describe('symlinks', () => {
  it('refuses a side restore when restored-files is a link out of the home', async () => {
    const home = tempDir('home');
    write(home, 'notes.txt', 'notes\n');
    const { repoDir, snapshot } = await backedUp(home);
    const outside = tempDir('outside');
    symlinkSync(outside, join(home, 'restored-files'));
    const view = await openView(await fileRepo(repoDir), snapshot);
    await expect(
      restore(view, {
        paths: [],
        target: join(home, 'restored-files', view.info.shortId),
        root: home,
        conflict: 'skip'
      })
    ).rejects.toThrow(/restored-files is a symbolic link/);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('judges a link by where it really points: a chain through "l1 -> ." cannot plant an exit', async () => {
    const home = tempDir('crafted');
    symlinkSync('.', join(home, 'l1'));
    const outside = tempDir('outside');
    const hops = outside.split('/').length; // enough ".." to climb from the home to /
    const lexicallyInside = `${'l1/'.repeat(hops)}${'../'.repeat(hops)}${outside.slice(1)}`;
    symlinkSync(lexicallyInside, join(home, 'restored-files-link'));
    write(home, 'a.txt', 'a\n');
    const { repoDir, snapshot } = await backedUp(home);
    const target = tempDir('target');
    const result = await restore(
      await openView(await fileRepo(repoDir), snapshot),
      { paths: [], target, conflict: 'skip' }
    );
    expect(result.warnings.join('\n')).toMatch(
      /restored-files-link is a symbolic link .* outside the restore target: skipped/
    );
    expect(existsSync(join(target, 'restored-files-link'))).toBe(false);
    expect(readlinkSync(join(target, 'l1'))).toBe('.');
    expect(readFileSync(join(target, 'a.txt'), 'utf8')).toBe('a\n');
  });

  it('never writes through a folder that is a link', async () => {
    const home = tempDir('home');
    const outside = tempDir('outside');
    write(home, 'docs/readme.txt', 'old\n');
    const first = await backedUp(home);
    const target = tempDir('target');
    symlinkSync(outside, join(target, 'docs'));
    await expect(
      restore(await openView(await fileRepo(first.repoDir), first.snapshot), {
        paths: [],
        target,
        conflict: 'overwrite'
      })
    ).rejects.toThrow(
      /docs is a symbolic link, and restore never writes through one/
    );
    expect(readdirSync(outside)).toEqual([]);
  });
});

describe('a corrupted blob', () => {
  it('restores everything else and names the damaged file', async () => {
    const home = tempDir('home');
    for (let i = 0; i < 30; i++) {
      write(home, `files/f${i}.txt`, `file ${i}\n`.repeat(50));
    }
    write(home, 'big.bin', randomish(2 * 1024 * 1024, 9));
    const { repoDir, snapshot } = await backedUp(home);
    const repo = await fileRepo(repoDir);
    await repo.loadIndex();
    const tree = await repo.loadTree((await repo.loadSnapshot(snapshot)).tree);
    const victim = tree.entries.find(e => e.name === 'big.bin')!.content![0];
    const loc = repo.index.get(victim)!;
    const packPath = join(repoDir, ...packKey(loc.pack).split('/'));
    const bytes = readFileSync(packPath);
    bytes[loc.offset + 10] ^= 0xff;
    writeFileSync(packPath, bytes);

    const target = tempDir('target');
    const result = await restore(
      await openView(await fileRepo(repoDir), snapshot),
      {
        paths: [],
        target,
        conflict: 'skip'
      }
    );
    expect(result.damaged).toEqual(['big.bin']);
    expect(result.warnings.join('\n')).toMatch(/big\.bin.*corrupted/);
    expect(existsSync(join(target, 'big.bin'))).toBe(false);
    const expected = describeTree(home, rel => rel === 'big.bin');
    expect(describeTree(target)).toEqual(expected);
    expect(tempFiles(target)).toEqual([]);
  });
});

describe('names', () => {
  it('backs up and restores a backslash, a 255-byte name and a name with newlines', async () => {
    const home = tempDir('home');
    write(home, 'back\\slash.txt', 'bs\n');
    write(home, `dir/${'n'.repeat(251)}.txt`, 'long\n');
    write(home, 'two\nlines.txt', 'nl\n');
    const { repoDir, snapshot } = await backedUp(home);
    await expectIntact(new FileBackend(repoDir), snapshot, describeTree(home));
    const target = tempDir('target');
    await restore(await openView(await fileRepo(repoDir), snapshot), {
      paths: ['back\\slash.txt'],
      target,
      conflict: 'skip'
    });
    expect(readdirSync(target)).toEqual(['back\\slash.txt']);
  });

  it('restores setuid and setgid bits only when asked', async () => {
    const home = tempDir('home');
    const path = write(home, 'tool.sh', '#!/bin/sh\n');
    spawnSync('chmod', ['6755', path]);
    const { repoDir, snapshot } = await backedUp(home);
    const plain = tempDir('target');
    await restore(await openView(await fileRepo(repoDir), snapshot), {
      paths: [],
      target: plain,
      conflict: 'skip'
    });
    expect(lstatSync(join(plain, 'tool.sh')).mode & 0o7777).toBe(0o755);
    const kept = tempDir('target');
    await restore(await openView(await fileRepo(repoDir), snapshot), {
      paths: [],
      target: kept,
      conflict: 'skip',
      keepSetid: true
    });
    expect(lstatSync(join(kept, 'tool.sh')).mode & 0o7777).toBe(0o6755);
  });
});

describe('an interrupted restore', () => {
  it('leaves no temp files behind, and the next restore removes those of a killed one', async () => {
    const home = tempDir('home');
    write(home, 'a/x.txt', 'x\n');
    const { repoDir, snapshot } = await backedUp(home);
    const target = tempDir('target');
    mkdirSync(join(target, 'a'));
    // What a kill -9 in the middle of a restore leaves: a temp file of ours, and the old style too.
    writeFileSync(join(target, 'a', '.studio-backup-0123abcd.tmp'), 'half');
    writeFileSync(join(target, 'a', '.x.txt.studio-backup-89abcdef'), 'half');
    await restore(await openView(await fileRepo(repoDir), snapshot), {
      paths: [],
      target,
      conflict: 'skip'
    });
    expect(tempFiles(target)).toEqual([]);
    rmSync(join(target, 'a', 'x.txt'));
    expect(describeTree(target)).toEqual({ a: expect.stringMatching(/^dir/) });
  });
});

describe('a crafted tree', () => {
  it('refuses two entries of one name (a link and a folder) before writing anything', async () => {
    const home = tempDir('home');
    write(home, 'docs/readme.txt', 'r\n');
    symlinkSync('/tmp', join(home, 'docs-link'));
    const { repoDir, snapshot } = await backedUp(home);
    const repo = await fileRepo(repoDir);
    await repo.loadIndex();
    const root = await repo.loadTree((await repo.loadSnapshot(snapshot)).tree);
    // Rename the link to "docs" in a new root tree and snapshot.
    const entries = root.entries.map(e =>
      e.name === 'docs-link' ? { ...e, name: 'docs' } : e
    );
    const tree = await repo.saveTree({ entries });
    await repo.flush();
    const manifest = await repo.loadSnapshot(snapshot);
    const crafted = await repo.saveSnapshot({ ...manifest, tree });
    const target = tempDir('target');
    await expect(
      restore(await openView(await fileRepo(repoDir), crafted), {
        paths: [],
        target,
        conflict: 'skip',
        allowExternalSymlinks: true
      })
    ).rejects.toThrow(/twice/);
    expect(readdirSync(target)).toEqual([]);
  });
});

describe('times', () => {
  it('restores a time before 1970 and the time of a symlink itself', async () => {
    const home = tempDir('home');
    const old = write(home, 'old.txt', 'from the sixties\n');
    utimesSync(
      old,
      new Date('1965-03-01T12:00:00Z'),
      new Date('1965-03-01T12:00:00Z')
    );
    symlinkSync('old.txt', join(home, 'link'));
    lutimesSync(
      join(home, 'link'),
      new Date('2001-02-03T04:05:06Z'),
      new Date('2001-02-03T04:05:06Z')
    );
    const { repoDir, snapshot } = await backedUp(home);
    const target = await restoreFrom(repoDir, snapshot);
    expect(lstatSync(join(target, 'old.txt')).mtime.toISOString()).toBe(
      '1965-03-01T12:00:00.000Z'
    );
    expect(lstatSync(join(target, 'link')).mtime.toISOString()).toBe(
      '2001-02-03T04:05:06.000Z'
    );
  });
});

describe('check', () => {
  it('finds a truncated pack without reading data', async () => {
    const home = tempDir('home');
    write(home, 'big.bin', randomish(3 * 1024 * 1024, 12));
    const { repoDir } = await backedUp(home);
    const repo = await fileRepo(repoDir);
    await repo.loadIndex();
    // The pack of big.bin's data (its trees are in a pack of their own).
    const pack = [...repo.index.entries()].find(
      ([, loc]) => loc.type === 'data'
    )![1].pack;
    const path = join(repoDir, ...packKey(pack).split('/'));
    truncateSync(path, 1024 * 1024);
    const result = await check(await fileRepo(repoDir));
    const messages = result.problems.map(p => p.message).join('\n');
    expect(messages).toMatch(/pack .* is truncated \(1048576 bytes/);
    expect(messages).toMatch(/lies past the end of truncated pack .*: breaks /);
  });
});

describe('names that are not UTF-8', () => {
  const bytes = (...parts: Array<string | number[]>) =>
    Buffer.concat(
      parts.map(p => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))
    );

  it('back up and come back as the same bytes, link targets too', async () => {
    const home = tempDir('home');
    const names = [
      bytes('bad', [0xff, 0xfe], '.txt'),
      bytes('caf', [0xe9], '.txt'), // Latin-1
      bytes('ok-', [0xc3, 0xa9], '.txt') // valid UTF-8 "é"
    ];
    for (const [i, name] of names.entries()) {
      writeFileSync(bytes(`${home}/`, [...name]), `content ${i}\n`);
    }
    mkdirSync(bytes(`${home}/dir-`, [0x80]));
    writeFileSync(bytes(`${home}/dir-`, [0x80], '/inner.txt'), 'inner\n');
    symlinkSync(bytes('caf', [0xe9], '.txt'), bytes(`${home}/link-`, [0xfe]));
    const { repoDir, snapshot } = await backedUp(home);
    const target = tempDir('target');
    const result = await restore(
      await openView(await fileRepo(repoDir), snapshot),
      {
        paths: [],
        target,
        conflict: 'skip'
      }
    );
    expect(result.warnings).toEqual([]);
    const listed = (dir: string) =>
      readdirSync(dir, { encoding: 'buffer' })
        .map(b => b.toString('hex'))
        .sort();
    expect(listed(target)).toEqual(listed(home));
    for (const [i, name] of names.entries()) {
      expect(readFileSync(bytes(`${target}/`, [...name]), 'utf8')).toBe(
        `content ${i}\n`
      );
    }
    expect(
      readFileSync(bytes(`${target}/dir-`, [0x80], '/inner.txt'), 'utf8')
    ).toBe('inner\n');
    expect(
      readlinkSync(bytes(`${target}/link-`, [0xfe]), {
        encoding: 'buffer'
      }).equals(bytes('caf', [0xe9], '.txt'))
    ).toBe(true);
    expect(
      (await check(await fileRepo(repoDir), { readData: true })).problems
    ).toEqual([]);
  });
});

describe('a sparse file', () => {
  it('comes back with its holes, byte for byte', async () => {
    const home = tempDir('home');
    const path = write(home, 'disk.img', 'head');
    truncateSync(path, 64 * 1024 * 1024);
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from('tail'), 0, 4, 64 * 1024 * 1024 - 4);
    closeSync(fd);
    const { repoDir, snapshot } = await backedUp(home);
    const target = await restoreFrom(repoDir, snapshot);
    expect(describeTree(target)).toEqual(describeTree(home));
    const restored = statSync(join(target, 'disk.img'));
    expect(restored.size).toBe(64 * 1024 * 1024);
    // Allocated: the chunks that hold the head and the tail (8 MiB each at most), not 64 MiB.
    expect(restored.blocks * 512).toBeLessThanOrEqual(16 * 1024 * 1024);
  });
});

describe('hard links', () => {
  it('come back as links of one file, not as copies', async () => {
    const home = tempDir('home');
    const a = write(home, 'data/a.bin', randomish(700 * 1024, 21));
    mkdirSync(join(home, 'other'));
    linkSync(a, join(home, 'data/b.bin'));
    linkSync(a, join(home, 'other/c.bin'));
    write(home, 'plain.txt', 'plain\n');
    const { repoDir, snapshot } = await backedUp(home);
    const target = await restoreFrom(repoDir, snapshot);
    expect(describeTree(target)).toEqual(describeTree(home));
    const inodes = ['data/a.bin', 'data/b.bin', 'other/c.bin'].map(
      rel => statSync(join(target, rel)).ino
    );
    expect(new Set(inodes).size).toBe(1);
    expect(statSync(join(target, 'data/a.bin')).nlink).toBe(3);
    expect(statSync(join(target, 'plain.txt')).nlink).toBe(1);
  });
});
