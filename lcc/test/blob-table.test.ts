/**
 * The blob index keeps every blob's place in typed arrays: what goes in comes out the same, for
 * many blobs across growth, for ids that share their first bytes (one bucket), and for the second
 * places an index file may name; anything but a blob id finds nothing.
 */
import { createHash } from 'node:crypto';
import { BlobIndex, IBlobLocation, IndexFile } from '../src/repository/blobs';
import { BlobTable } from '../src/repository/blob-table';

const idOf = (n: number) =>
  createHash('sha256').update(`blob ${n}`).digest('hex');

/** Ids made to share all but their last four bytes. */
const forged = (n: number) => '00'.repeat(28) + n.toString(16).padStart(8, '0');

/** How many id compares finding 5,000 forged ids takes, once `table` holds them. */
function comparesToFindForged(table: BlobTable): number {
  for (let n = 0; n < 5000; n++) {
    table.set(forged(n), location(n));
  }
  const compare = jest.spyOn(Buffer.prototype, 'compare');
  for (let n = 0; n < 5000; n++) {
    expect(table.get(forged(n))).toEqual(location(n));
  }
  const compared = compare.mock.calls.length;
  compare.mockRestore();
  return compared;
}

function location(n: number): IBlobLocation {
  return {
    pack: idOf(n % 7 === 0 ? 1_000_000 + n : 2_000_000 + (n % 13)),
    type: n % 3 === 0 ? 'tree' : 'data',
    offset: n * 4096 + (n % 2 === 0 ? 5 * 2 ** 32 : 0),
    length: 100 + n,
    rawLength: 200 + n,
    encoding: (['raw', 'deflate', 'zstd'] as const)[n % 3]
  };
}

describe('blob table', () => {
  it('gives back every place it was given, across growth, with offsets past 4 GiB', () => {
    const table = new BlobTable();
    for (let n = 0; n < 5000; n++) {
      table.set(idOf(n), location(n));
    }
    expect(table.size).toBe(5000);
    for (let n = 0; n < 5000; n++) {
      expect(table.get(idOf(n))).toEqual(location(n));
    }
    expect(table.has(idOf(5000))).toBe(false);
    const listed = new Map(table.entries());
    expect(listed.size).toBe(5000);
    expect(listed.get(idOf(4321))).toEqual(location(4321));
  });

  it('keeps ids apart that fall in the same bucket', () => {
    const table = new BlobTable();
    const sameStart = (n: number) => 'abcdef01' + idOf(n).slice(8);
    for (let n = 0; n < 300; n++) {
      table.set(sameStart(n), location(n));
    }
    for (let n = 0; n < 300; n++) {
      expect(table.get(sameStart(n))).toEqual(location(n));
    }
    expect(table.get(sameStart(300))).toBeUndefined();
  });

  it('spreads forged ids that share all but their last bytes: a lookup compares a few ids, not thousands', () => {
    // Buckets from the first four bytes alone put all 5,000 in one run: some 12 million compares.
    expect(comparesToFindForged(new BlobTable())).toBeLessThan(5000 * 4);
  });

  it('spreads them with the worst keys too: every multiplier 1', () => {
    // Unmixed, ids that differ in their last word only then bunch into runs of buckets, and
    // looking up 5,000 of them took 41,600 compares.
    const worst = new BlobTable(new Uint32Array(8).fill(1));
    expect(comparesToFindForged(worst)).toBeLessThan(5000 * 4);
  });

  it('replaces the place of an id it holds, without a second entry', () => {
    const table = new BlobTable();
    table.set(idOf(1), location(1));
    table.set(idOf(1), location(2));
    expect(table.size).toBe(1);
    expect(table.get(idOf(1))).toEqual(location(2));
  });

  it('finds nothing for what is not a blob id, even where its hex digits match one', () => {
    const table = new BlobTable();
    table.set(idOf(1), location(1));
    for (const bad of [
      idOf(1).toUpperCase(),
      idOf(1).slice(0, 63),
      idOf(1) + '0',
      idOf(1).slice(0, 62) + 'zz',
      '',
      '__proto__'
    ]) {
      expect(table.get(bad)).toBeUndefined();
      expect(table.has(bad)).toBe(false);
    }
  });

  it('holds nothing after clear, and fills again', () => {
    const table = new BlobTable();
    table.set(idOf(1), location(1));
    table.clear();
    expect(table.size).toBe(0);
    expect(table.get(idOf(1))).toBeUndefined();
    table.set(idOf(2), location(2));
    expect(table.get(idOf(2))).toEqual(location(2));
  });
});

describe('blob index', () => {
  const row = (id: string, loc: IBlobLocation) =>
    [
      id,
      loc.type,
      loc.offset,
      loc.length,
      loc.rawLength,
      loc.encoding
    ] as const;

  function indexFile(entries: [string, IBlobLocation][]): IndexFile {
    const packs = new Map<string, ReturnType<typeof row>[]>();
    for (const [id, loc] of entries) {
      packs.set(loc.pack, [...(packs.get(loc.pack) ?? []), row(id, loc)]);
    }
    return IndexFile.parse({
      version: 1,
      packs: [...packs].map(([id, blobs]) => ({ id, blobs }))
    });
  }

  it('keeps the first place named and tries the others after it; prefer swaps them', () => {
    const index = new BlobIndex();
    const first = location(1);
    const second = { ...location(2), pack: idOf(99) };
    index.add(indexFile([[idOf(1), first]]));
    index.add(indexFile([[idOf(1), second]]));
    expect(index.size).toBe(1);
    expect(index.get(idOf(1))).toEqual(first);
    expect(index.locations(idOf(1))).toEqual([first, second]);

    // A copy of the place, as a reader that found the bytes there would hold it.
    index.prefer(idOf(1), { ...second });
    expect(index.locations(idOf(1))).toEqual([second, first]);
    // A place the index never named changes nothing.
    index.prefer(idOf(1), location(3));
    expect(index.locations(idOf(1))).toEqual([second, first]);
    expect(index.packs.get(idOf(99))).toBe(1);
  });

  it('rejects an index file whose rows are not blob rows, with what a row should be', () => {
    const good = row(idOf(1), location(1));
    for (const blobs of [
      [[...good.slice(0, 5)]],
      [[good[0].toUpperCase(), ...good.slice(1)]],
      [[good[0], 'file', ...good.slice(2)]],
      [[...good.slice(0, 2), -1, ...good.slice(3)]],
      [[...good.slice(0, 3), 1.5, ...good.slice(4)]],
      [[...good.slice(0, 5), 'gzip']],
      'rows'
    ]) {
      const parsed = IndexFile.safeParse({
        version: 1,
        packs: [{ id: idOf(2), blobs }]
      });
      expect(parsed.success).toBe(false);
      expect(JSON.stringify(parsed.error?.issues)).toContain(
        '[id, type, offset, length, rawLength, encoding]'
      );
    }
    expect(
      IndexFile.safeParse({
        version: 1,
        packs: [{ id: idOf(2), blobs: [good] }]
      }).success
    ).toBe(true);
  });
});
