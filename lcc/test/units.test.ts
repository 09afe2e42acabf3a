/** Unit tests of the engine's pure parts: chunking, retention, path safety, encoding, excludes. */
import {
  mkdtempSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chunker } from '../src/backup/chunker';
import {
  bytesOfName,
  fsPath,
  nameFromBytes
} from '../src/repository/byte-names';
import { applyPolicy } from '../src/maintenance/retention';
import {
  checkName,
  normaliseRelative,
  UnsafePathError
} from '../src/browse/names';
import { resolvesInside } from '../src/restore/paths';
import {
  decodeBlob,
  encodeBlob,
  isCompressible,
  parseConfig,
  newConfig
} from '../src/repository/format';
import { Excludes } from '../src/backup/excludes';
import { randomish, tempDir, write, cleanupTempDirs } from './helpers/fixtures';

afterEach(cleanupTempDirs);

function chunks(chunker: Chunker, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let rest = data;
  while (rest.length > 0) {
    const cut = chunker.cut(rest, true);
    out.push(rest.subarray(0, cut));
    rest = rest.subarray(cut);
  }
  return out;
}

describe('Chunker', () => {
  const chunker = new Chunker({ min: 2048, avg: 8192, max: 65536 });
  const data = randomish(2 * 1024 * 1024, 42);

  it('cuts within [min, max], covers every byte, and is deterministic', () => {
    const parts = chunks(chunker, data);
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    for (const part of parts.slice(0, -1)) {
      expect(part.length).toBeGreaterThanOrEqual(2048);
      expect(part.length).toBeLessThanOrEqual(65536);
    }
    expect(chunks(chunker, data).map(p => p.length)).toEqual(
      parts.map(p => p.length)
    );
    const mean = data.length / parts.length;
    expect(mean).toBeGreaterThan(4096);
    expect(mean).toBeLessThan(16384);
  });

  it('keeps most chunks when bytes are inserted near the start (content-defined)', () => {
    const before = new Set(chunks(chunker, data).map(p => p.toString('hex')));
    const shifted = Buffer.concat([
      data.subarray(0, 1000),
      Buffer.from('inserted!'),
      data.subarray(1000)
    ]);
    const after = chunks(chunker, shifted).map(p => p.toString('hex'));
    const reused = after.filter(h => before.has(h)).length;
    expect(reused / after.length).toBeGreaterThan(0.9);
  });

  it('asks for more data instead of cutting early when not at the end', () => {
    expect(chunker.cut(data.subarray(0, 1000), false)).toBe(0);
    expect(chunker.cut(data.subarray(0, 1000), true)).toBe(1000);
  });

  it('refuses inconsistent parameters', () => {
    expect(() => new Chunker({ min: 10, avg: 5, max: 20 })).toThrow(
      /min < avg < max/
    );
  });
});

describe('retention', () => {
  const at = (iso: string, id = iso) => ({
    id,
    time: new Date(iso).toISOString()
  });
  const snaps = [
    at('2026-01-01T10:00:00Z'),
    at('2026-01-01T10:30:00Z'),
    at('2026-01-01T11:00:00Z'),
    at('2026-01-02T09:00:00Z'),
    at('2026-01-09T09:00:00Z'),
    at('2026-02-15T09:00:00Z')
  ];

  it('keeps the last n', () => {
    const { keep, remove } = applyPolicy(snaps, { last: 2 });
    expect(keep.map(k => k.snapshot.id)).toEqual([snaps[5].id, snaps[4].id]);
    expect(remove).toHaveLength(4);
  });

  it('keeps the newest per hour, day, week and month', () => {
    expect(
      applyPolicy(snaps, { hourly: 3 }).keep.map(k => k.snapshot.id)
    ).toEqual([snaps[5].id, snaps[4].id, snaps[3].id]);
    expect(
      applyPolicy(snaps, { daily: 10 }).keep.map(k => k.snapshot.id)
    ).toEqual([snaps[5].id, snaps[4].id, snaps[3].id, snaps[2].id]);
    expect(
      applyPolicy(snaps, { weekly: 2 }).keep.map(k => k.snapshot.id)
    ).toEqual([snaps[5].id, snaps[4].id]);
    expect(
      applyPolicy(snaps, { monthly: 5 }).keep.map(k => k.snapshot.id)
    ).toEqual([snaps[5].id, snaps[4].id]);
  });

  it('combines rules and reports why each snapshot is kept', () => {
    const { keep } = applyPolicy(snaps, { last: 1, monthly: 2 });
    expect(keep.map(k => [k.snapshot.id, k.reasons])).toEqual([
      [snaps[5].id, ['last', 'monthly']],
      [snaps[4].id, ['monthly']]
    ]);
  });

  it('refuses an empty policy rather than removing everything', () => {
    expect(() => applyPolicy(snaps, {})).toThrow(/No retention rule given/);
  });
});

describe('path safety', () => {
  it.each(['', '.', '..', 'a/b', 'x\0y'])('refuses the name %j', name => {
    expect(() => checkName(name, 'dir')).toThrow(UnsafePathError);
  });

  it('normalises relative paths and refuses absolute or climbing ones', () => {
    expect(normaliseRelative('./a//b/')).toBe('a/b');
    expect(normaliseRelative('')).toBe('');
    expect(() => normaliseRelative('/etc/passwd')).toThrow(/is absolute/);
    expect(() => normaliseRelative('a/../../b')).toThrow(/leaves the home/);
    // A backslash is part of a Linux name, not a separator.
    expect(normaliseRelative('back\\slash.txt')).toBe('back\\slash.txt');
    expect(() => checkName('back\\slash.txt', 'dir')).not.toThrow();
  });

  it('tells symlinks that stay inside the target from those that escape, following links', async () => {
    const links = new Map([
      ['/t/l1', '.'],
      ['/t/up', '..']
    ]);
    const at = async (p: string) => links.get(p);
    expect(await resolvesInside('/t', '/t/a/link', '../b', at)).toBe(true);
    expect(await resolvesInside('/t', '/t/a/link', '../../b', at)).toBe(false);
    expect(await resolvesInside('/t', '/t/link', '/t/x', at)).toBe(true);
    expect(await resolvesInside('/t', '/t/link', '/etc/passwd', at)).toBe(
      false
    );
    // Lexically /t/x, really /x: "l1" is the folder itself, so every ".." climbs.
    expect(await resolvesInside('/t', '/t/link', 'l1/l1/../../x', at)).toBe(
      false
    );
    expect(await resolvesInside('/t', '/t/link', 'up/t/x', at)).toBe(true);
    links.set('/t/loop', 'loop');
    expect(await resolvesInside('/t', '/t/link', 'loop/x', at)).toBe(false);
  });
});

describe('format', () => {
  it('deflates text, leaves random and already-compressed content raw, and round-trips', async () => {
    const text = Buffer.from('hello notebook '.repeat(1000));
    const packed = await encodeBlob(text, true);
    expect(packed.encoding).toBe('deflate');
    expect(decodeBlob(packed.bytes, packed.encoding).equals(text)).toBe(true);
    expect((await encodeBlob(randomish(256 * 1024, 5), true)).encoding).toBe(
      'raw'
    );
    expect(
      (await encodeBlob(text, isCompressible('model.safetensors'))).encoding
    ).toBe('raw');
  });

  it('refuses a config that is not ours, malformed, or of another version', () => {
    const url = 'file:///r';
    expect(() => parseConfig(Buffer.from('{nope'), url)).toThrow(
      /not valid JSON/
    );
    expect(() => parseConfig(Buffer.from('{"format":"restic"}'), url)).toThrow(
      /is not a Studio Backup repository/
    );
    expect(() =>
      parseConfig(
        Buffer.from(JSON.stringify({ ...newConfig(), version: 9 })),
        url
      )
    ).toThrow(/format version 9/);
    expect(() =>
      parseConfig(Buffer.from(JSON.stringify({ ...newConfig(), id: 'x' })), url)
    ).toThrow(/is malformed/);
  });
});

describe('excludes', () => {
  it('applies the reference defaults, the allow-list, --exclude and .backupignore', async () => {
    const home = tempDir('home');
    write(home, '.backupignore', '# comment\n*.tmp\n!keep.tmp\n');
    const ex = await Excludes.load(home, {
      includeHidden: ['.ssh'],
      exclude: ['data/raw/']
    });
    expect(ex.excluded('lost+found', true)).toBe(true);
    expect(ex.excluded('restored-files', true)).toBe(true);
    expect(ex.excluded('project/restored-files', true)).toBe(false);
    expect(ex.excluded('.cache', true)).toBe(true);
    expect(ex.excluded('.ssh', true)).toBe(false);
    expect(ex.excluded('.bashrc', false)).toBe(false);
    expect(ex.excluded('project/.git', true)).toBe(false);
    expect(ex.excluded('data/raw', true)).toBe(true);
    expect(ex.excluded('x/y.tmp', false)).toBe(true);
    expect(ex.excluded('keep.tmp', false)).toBe(false);
    expect(ex.excludedWithParents('.cache/pip/x', false)).toBe(true);
  });

  it('with folder rules only, leaves out folders and never a file; one file rule, in any source, applies to files', async () => {
    const home = tempDir('home');
    write(home, '.backupignore', 'logs/ \r\n!keep/\r\n# build\r\n');
    const folders = await Excludes.load(home, { exclude: ['data/raw/'] });
    expect(folders.excluded('logs', true)).toBe(true);
    expect(folders.excluded('logs', false)).toBe(false);
    expect(folders.excluded('data/raw', true)).toBe(true);
    expect(folders.excluded('lost+found', false)).toBe(false);
    expect(folders.excludedWithParents('data/raw/part-0.csv', false)).toBe(
      true
    );
    expect(folders.excluded('build', false)).toBe(false);

    const files = await Excludes.load(home, { exclude: ['build'] });
    expect(files.excluded('build', false)).toBe(true);
    expect(files.excluded('src/build', false)).toBe(true);
    write(home, '.backupignore', 'logs/\r\n*.ckpt\r\n');
    const fromFile = await Excludes.load(home);
    expect(fromFile.excluded('model/epoch-3.ckpt', false)).toBe(true);
    expect(fromFile.excluded('model/epoch-3.pt', false)).toBe(false);
  });
});

describe('names as bytes', () => {
  it('round-trips any byte string through the engine string, and leaves UTF-8 as it is', () => {
    const random = (seed: number) => {
      let x = seed;
      return () => (x = (x * 1103515245 + 12345) % 2 ** 31) % 256;
    };
    const next = random(11);
    for (let n = 0; n < 2000; n++) {
      const bytes = Buffer.from(Array.from({ length: 1 + (n % 12) }, next));
      expect(bytesOfName(nameFromBytes(bytes)).equals(bytes)).toBe(true);
    }
    expect(nameFromBytes(Buffer.from('café ✓ 日本'))).toBe('café ✓ 日本');
    expect(nameFromBytes(Buffer.from([0x63, 0xe9]))).toBe('c\udce9');
    expect(fsPath('plain/path')).toBe('plain/path');
    expect(fsPath('c\udce9')).toEqual(Buffer.from([0x63, 0xe9]));
  });
});

describe('restored times', () => {
  it('come back as the nearest microsecond, also on a half millisecond', async () => {
    const { fsTime } = await import('../src/restore/file-times');
    const dir = mkdtempSync(join(tmpdir(), 'sb-times-'));
    try {
      const path = join(dir, 'f');
      writeFileSync(path, 'x');
      for (const ms of [
        1795465451267.5,
        1795465451268,
        1700000000000.001,
        1234.5,
        // 0.6 µs and 0.4 µs past a microsecond: to the next one, and back to it
        1795465451267 + 0.0006,
        1795465451267 + 0.0004
      ]) {
        utimesSync(path, fsTime(ms), fsTime(ms));
        expect(Math.round(statSync(path).mtimeMs * 1000)).toBe(
          Math.round(ms * 1000)
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
