/** The engine end to end on a file:// repository: round trips, dedup, incremental, conflicts, safety. */
import {
  chmodSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  appendFileSync,
  writeFileSync,
  statSync
} from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { gunzipSync, gzipSync } from 'node:zlib';
import { backup } from '../src/backup/backup';
import { FileBackend } from '../src/repository/file-backend';
import { FormatError, packJson } from '../src/repository/format';
import { Repository } from '../src/repository/repository';
import { restore } from '../src/restore/restore';
import { listFolder } from '../src/browse/compare';
import { openView } from '../src/browse/view';
import {
  cleanupTempDirs,
  describeTree,
  makeHome,
  randomish,
  tempDir,
  write,
  excludedByDefault
} from './helpers/fixtures';

async function setup() {
  const home = tempDir('home');
  const repoDir = tempDir('repo');
  const cacheDir = tempDir('cache');
  makeHome(home);
  const open = () =>
    Repository.open(new FileBackend(repoDir), { create: true });
  return { home, repoDir, cacheDir, open };
}

const excluded = excludedByDefault;

afterEach(cleanupTempDirs);

describe('backup and restore on file://', () => {
  it('restores a whole home byte-identical, with modes, mtimes, symlinks and empty folders', async () => {
    const { home, cacheDir, open } = await setup();
    chmodSync(join(home, 'project/src/train.py'), 0o755);
    symlinkSync('data/customers.csv', join(home, 'link-to-data'));
    const result = await backup(await open(), { source: home, cacheDir });
    expect(result.warnings).toEqual([]);
    expect(result.manifest.totals.files).toBe(8);

    const target = tempDir('target');
    const view = await openView(await open(), 'latest');
    await restore(view, { paths: [], target, conflict: 'skip' });
    expect(describeTree(target)).toEqual(describeTree(home, excluded));
  });

  it('leaves out the reference excludes but keeps nested hidden folders and allowed hidden ones', async () => {
    const { home, cacheDir, open } = await setup();
    await backup(await open(), {
      source: home,
      cacheDir,
      includeHidden: ['.config']
    });
    const view = await openView(await open(), 'latest');
    const names = (await view.listDir(''))!.map(e => e.name);
    expect(names).toContain('.config');
    expect(names).not.toContain('.cache');
    expect(names).not.toContain('lost+found');
    expect(names).not.toContain('restored-files');
    expect((await view.listDir('project'))!.map(e => e.name)).toEqual([
      '.git',
      'src'
    ]);
  });

  it('honours .backupignore and --exclude patterns and the maximum file size', async () => {
    const { home, cacheDir, open } = await setup();
    write(home, '.backupignore', '*.csv\n!data/customers.csv\n');
    const result = await backup(await open(), {
      source: home,
      cacheDir,
      exclude: ['project/'],
      maxFileSize: 1024 * 1024
    });
    const view = await openView(await open(), 'latest');
    expect((await view.listDir('data'))!.map(e => e.name)).toEqual([
      'customers.csv'
    ]);
    expect(await view.listDir('project')).toBeUndefined();
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^models\/checkpoint\.bin is larger than the maximum file size/
      )
    ]);
  });

  it('stores identical content once and an unchanged home costs only a manifest', async () => {
    const { home, cacheDir, open } = await setup();
    const repo = await open();
    const first = await backup(repo, { source: home, cacheDir });
    const uploadedFirst = repo.bytesUploaded;
    // customers.csv and its copy share one blob: the content added is less than the total.
    expect(first.manifest.totals.bytesAdded).toBeLessThan(
      first.manifest.totals.bytes
    );

    const repo2 = await open();
    const second = await backup(repo2, { source: home, cacheDir });
    expect(second.manifest.totals.filesUnchanged).toBe(8);
    expect(second.manifest.totals.bytesAdded).toBe(0);
    expect(repo2.bytesUploaded).toBe(0);
    expect(uploadedFirst).toBeGreaterThan(0);
  });

  it('re-reads everything without the cache, and still uploads nothing new', async () => {
    const { home, cacheDir, open } = await setup();
    await backup(await open(), { source: home, cacheDir });
    rmSync(cacheDir, { recursive: true, force: true });
    const repo = await open();
    const again = await backup(repo, { source: home, cacheDir });
    expect(again.manifest.totals.filesUnchanged).toBe(0);
    expect(again.manifest.totals.bytesAdded).toBe(0);
    expect(repo.bytesUploaded).toBe(0);
  });

  it('reads the cache an earlier version wrote (one JSON object), then writes its own lines in its place', async () => {
    const { home, cacheDir, open } = await setup();
    write(home, 'odd\nname.txt', 'a file name with a newline\n');
    await backup(await open(), { source: home, cacheDir });
    const [lines] = readdirSync(cacheDir);
    expect(lines).toMatch(/\.jsonl\.gz$/);
    // The earlier format: {"<path>": "<row>", ...} in <repository>-<source>.json.gz.
    const rows = gunzipSync(readFileSync(join(cacheDir, lines)))
      .toString()
      .trim()
      .split('\n')
      .map(line => JSON.parse(line) as [string, string]);
    expect(rows.map(([path]) => path)).toContain('odd\nname.txt');
    const older = join(cacheDir, lines.replace(/\.jsonl\.gz$/, '.json.gz'));
    writeFileSync(older, gzipSync(JSON.stringify(Object.fromEntries(rows))));
    rmSync(join(cacheDir, lines));
    const again = await backup(await open(), { source: home, cacheDir });
    expect(again.manifest.totals.filesUnchanged).toBe(rows.length);
    expect(readdirSync(cacheDir)).toEqual([lines]);
    const third = await backup(await open(), { source: home, cacheDir });
    expect(third.manifest.totals.filesUnchanged).toBe(rows.length);
  });

  it('uploads only the changed chunks when a large file is appended to', async () => {
    const { home, cacheDir, open } = await setup();
    const big = write(home, 'big.bin', randomish(12 * 1024 * 1024, 7));
    await backup(await open(), { source: home, cacheDir });
    appendFileSync(big, randomish(100 * 1024, 8));
    const repo = await open();
    const second = await backup(repo, { source: home, cacheDir });
    expect(second.manifest.totals.filesChanged).toBe(1);
    // Only the tail chunk(s) are new: far less than the 12 MiB file.
    expect(second.manifest.totals.bytesAdded).toBeLessThan(4 * 1024 * 1024);
    const target = tempDir('target');
    await restore(await openView(await open(), 'latest'), {
      paths: ['big.bin'],
      target,
      conflict: 'skip'
    });
    expect(
      readFileSync(join(target, 'big.bin')).equals(readFileSync(big))
    ).toBe(true);
  });

  it('restores one file to its original place, and handles conflicts by skip, overwrite or rename', async () => {
    const { home, cacheDir, open } = await setup();
    const first = await backup(await open(), { source: home, cacheDir });
    const original = readFileSync(join(home, 'analysis.ipynb'), 'utf8');
    writeFileSync(join(home, 'analysis.ipynb'), 'edited');
    const view = await openView(await open(), first.snapshotId.slice(0, 8));

    const dry = await restore(view, {
      paths: ['analysis.ipynb'],
      target: home,
      conflict: 'overwrite',
      dryRun: true
    });
    expect(dry.counts.overwrite).toBe(1);
    expect(readFileSync(join(home, 'analysis.ipynb'), 'utf8')).toBe('edited');

    await restore(view, {
      paths: ['analysis.ipynb'],
      target: home,
      conflict: 'skip'
    });
    expect(readFileSync(join(home, 'analysis.ipynb'), 'utf8')).toBe('edited');

    const renamed = await restore(view, {
      paths: ['analysis.ipynb'],
      target: home,
      conflict: 'rename'
    });
    const dest = renamed.items[0].dest;
    expect(dest).toMatch(
      /^analysis \(restored \d{4}-\d{2}-\d{2} \d{2}-\d{2}-\d{2}\)\.ipynb$/
    );
    expect(readFileSync(join(home, dest), 'utf8')).toBe(original);
    expect(readFileSync(join(home, 'analysis.ipynb'), 'utf8')).toBe('edited');

    await restore(view, {
      paths: ['analysis.ipynb'],
      target: home,
      conflict: 'overwrite'
    });
    expect(readFileSync(join(home, 'analysis.ipynb'), 'utf8')).toBe(original);
  });

  it('marks a file that keeps changing while it is read, and says so, instead of storing it silently', async () => {
    const { home, cacheDir, open } = await setup();
    const path = write(home, 'growing.log', randomish(16 * 1024 * 1024, 3));
    // Another process appends every millisecond for the whole backup: no read can be consistent.
    const writer = spawn(process.execPath, [
      '-e',
      `const fs = require('fs'); setInterval(() => fs.appendFileSync(${JSON.stringify(path)}, 'more\\n'), 1);`
    ]);
    try {
      // The backup starts once the writer is appending, however long a busy machine takes to start it.
      const size = statSync(path).size;
      while (statSync(path).size === size && writer.exitCode === null) {
        await new Promise(resolve => setTimeout(resolve, 10));
      }
      const result = await backup(await open(), { source: home, cacheDir });
      const view = await openView(await open(), result.snapshotId);
      const entry = (await view.listDir(''))!.find(
        e => e.name === 'growing.log'
      )!;
      expect(entry.changedDuringBackup).toBe(true);
      expect(result.warnings).toContain(
        'growing.log kept changing while it was read: stored as last read and marked as changed'
      );
    } finally {
      if (writer.exitCode === null && writer.signalCode === null) {
        const exited = new Promise(resolve => writer.once('exit', resolve));
        writer.kill('SIGKILL');
        await exited;
      }
    }
  }, 60_000);

  it('reports a file that cannot be read and goes on with the rest', async () => {
    const { home, cacheDir, open } = await setup();
    const secret = write(home, 'secret.txt', 'no');
    chmodSync(secret, 0o000);
    const asRoot = process.getuid?.() === 0;
    const result = await backup(await open(), { source: home, cacheDir });
    // root reads everything; anyone else gets a warning and the rest of the home is saved.
    expect(result.warnings).toEqual(
      asRoot ? [] : ['secret.txt: permission denied: skipped']
    );
    expect(result.manifest.totals.files).toBe(asRoot ? 9 : 8);
  });

  it('refuses a crafted manifest with a ".." name before writing anything', async () => {
    const { home, repoDir, cacheDir, open } = await setup();
    const repo = await open();
    await repo.loadIndex();
    const evilTree = await repo.saveTree({
      entries: [
        {
          name: 'ok.txt',
          type: 'file',
          mode: 0o644,
          mtime: 0,
          size: 0,
          content: []
        },
        {
          name: '..',
          type: 'dir',
          mode: 0o755,
          mtime: 0,
          subtree: await repo.saveTree({ entries: [] })
        }
      ]
    });
    await repo.flush();
    const good = await backup(await open(), { source: home, cacheDir });
    await new FileBackend(repoDir).put(
      `snapshots/${'e'.repeat(64)}`,
      packJson({
        ...good.manifest,
        tree: evilTree,
        time: '2030-01-01T00:00:00.000Z'
      })
    );
    const target = tempDir('target');
    const view = await openView(await open(), 'eeee');
    await expect(
      restore(view, { paths: [], target, conflict: 'overwrite' })
    ).rejects.toThrow(/unsafe name "\.\."/);
    expect(describeTree(target)).toEqual({});
  });

  it('skips symlinks that point outside the target unless allowed', async () => {
    const { home, cacheDir, open } = await setup();
    symlinkSync('/etc/passwd', join(home, 'abs-link'));
    symlinkSync('../../outside', join(home, 'data/rel-escape'));
    await backup(await open(), { source: home, cacheDir });
    const target = tempDir('target');
    const result = await restore(await openView(await open(), 'latest'), {
      paths: [],
      target,
      conflict: 'skip'
    });
    expect(result.warnings.sort()).toEqual([
      'abs-link is a symbolic link to /etc/passwd, outside the restore target: skipped',
      'data/rel-escape is a symbolic link to ../../outside, outside the restore target: skipped'
    ]);
    expect(existsSync(join(target, 'abs-link'))).toBe(false);
  });

  it('never writes through a symlink that is in the way', async () => {
    const { home, cacheDir, open } = await setup();
    await backup(await open(), { source: home, cacheDir });
    const target = tempDir('target');
    const elsewhere = tempDir('elsewhere');
    symlinkSync(elsewhere, join(target, 'data'));
    await expect(
      restore(await openView(await open(), 'latest'), {
        paths: ['data'],
        target,
        conflict: 'overwrite'
      })
    ).rejects.toThrow(
      /is a symbolic link, and restore never writes through one/
    );
    expect(describeTree(elsewhere)).toEqual({});
  });

  it('restores a single nested file into an empty target, creating its folders', async () => {
    const { home, cacheDir, open } = await setup();
    await backup(await open(), { source: home, cacheDir });
    const target = tempDir('target');
    await restore(await openView(await open(), 'latest'), {
      paths: ['project/src/train.py'],
      target,
      conflict: 'skip'
    });
    expect(readFileSync(join(target, 'project/src/train.py'), 'utf8')).toBe(
      'print("train")\n'
    );
  });

  it('rejects selected paths that are absolute or climb out', async () => {
    const { home, cacheDir, open } = await setup();
    await backup(await open(), { source: home, cacheDir });
    const view = await openView(await open(), 'latest');
    const target = tempDir('target');
    await expect(
      restore(view, { paths: ['/etc/passwd'], target, conflict: 'skip' })
    ).rejects.toThrow(/is absolute/);
    await expect(
      restore(view, { paths: ['data/../../x'], target, conflict: 'skip' })
    ).rejects.toThrow(/leaves the home/);
    await expect(
      restore(view, { paths: ['nope.txt'], target, conflict: 'skip' })
    ).rejects.toThrow(/nope.txt is not in snapshot/);
  });

  it('refuses a repository of an unknown format version with a clear message', async () => {
    const { repoDir, open } = await setup();
    await open();
    const config = JSON.parse(readFileSync(join(repoDir, 'config'), 'utf8'));
    writeFileSync(
      join(repoDir, 'config'),
      JSON.stringify({ ...config, version: 3 })
    );
    await expect(open()).rejects.toThrow(FormatError);
    await expect(open()).rejects.toThrow(
      /format version 3, which this studio-backup \(format 2\) does not know: upgrade studio-backup/
    );
  });

  it('keeps the original mtime of restored files and folders', async () => {
    const { home, cacheDir, open } = await setup();
    const when = new Date('2024-05-01T10:00:00Z');
    utimesSync(join(home, 'data/customers.csv'), when, when);
    utimesSync(join(home, 'data'), when, when);
    await backup(await open(), { source: home, cacheDir });
    const target = tempDir('target');
    await restore(await openView(await open(), 'latest'), {
      paths: ['data'],
      target,
      conflict: 'skip'
    });
    expect(
      statSync(join(target, 'data/customers.csv')).mtime.toISOString()
    ).toBe(when.toISOString());
    expect(statSync(join(target, 'data')).mtime.toISOString()).toBe(
      when.toISOString()
    );
  });
});

describe('comparing with the home', () => {
  it('neither lists nor walks what the backup leaves out (.conda)', async () => {
    const home = tempDir('home');
    write(home, 'notebook.ipynb', '{}');
    for (let i = 0; i < 50; i++) {
      write(home, `.conda/pkgs/p${i}/file.py`, 'x');
    }
    const asked: string[] = [];
    const listing = await listFolder(home, '', (rel, isDir) => {
      asked.push(rel);
      return isDir && rel === '.conda';
    });
    expect([...listing.keys()]).toEqual(['notebook.ipynb']);
    expect(asked.filter(rel => rel.startsWith('.conda/'))).toEqual([]);
  });
});
