/** Blob locations: which pack holds each blob, loaded from index/ files. */
import { z } from 'zod';
import {
  BLOB_ID,
  BlobTable,
  ENCODINGS,
  IBlobLocation,
  TYPES
} from './blob-table';
import { Encoding } from './format';

export type BlobType = 'data' | 'tree';
export type { IBlobLocation };

/** One blob of a pack: [id, type, offset, length, rawLength, encoding]. */
export type IndexRow = [string, BlobType, number, number, number, Encoding];

const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

function isIndexRow(row: unknown): row is IndexRow {
  return (
    Array.isArray(row) &&
    row.length === 6 &&
    typeof row[0] === 'string' &&
    BLOB_ID.test(row[0]) &&
    TYPES.includes(row[1]) &&
    count(row[2]) &&
    count(row[3]) &&
    count(row[4]) &&
    ENCODINGS.includes(row[5])
  );
}

/** One index file: packs and the blobs in them, as compact rows. */
export const IndexFile = z.object({
  version: z.literal(1),
  packs: z.array(
    z.object({
      id: z.string().regex(BLOB_ID),
      // One check over the rows as they are: a schema per row would copy 100,000 of them, at
      // three times the time of parsing the JSON (and 20 MiB more at its peak).
      blobs: z.custom<IndexRow[]>(
        rows => Array.isArray(rows) && rows.every(isIndexRow),
        'a list of [id, type, offset, length, rawLength, encoding] rows'
      )
    })
  )
});
export type IndexFile = z.infer<typeof IndexFile>;

export interface IPackedBlob {
  id: string;
  type: BlobType;
  offset: number;
  length: number;
  rawLength: number;
  encoding: Encoding;
}

export function toIndexRows(
  blobs: IPackedBlob[]
): IndexFile['packs'][number]['blobs'] {
  return blobs.map(b => [
    b.id,
    b.type,
    b.offset,
    b.length,
    b.rawLength,
    b.encoding
  ]);
}

export function fromIndexRows(rows: IndexRow[]): IPackedBlob[] {
  return rows.map(([id, type, offset, length, rawLength, encoding]) => ({
    id,
    type,
    offset,
    length,
    rawLength,
    encoding
  }));
}

/** Where one row of an index file puts its blob, in the pack named. */
function placeIn(
  pack: string,
  [, type, offset, length, rawLength, encoding]: IndexRow
): IBlobLocation {
  return { pack, type, offset, length, rawLength, encoding };
}

export class BlobIndex {
  private readonly blobs = new BlobTable();
  /**
   * Other places an index file names for a blob (after a prune that stopped, or in a forged index,
   * which anyone who may append can write): tried when the first one does not hold its bytes.
   */
  private readonly others = new Map<string, IBlobLocation[]>();
  readonly packs = new Map<string, number>();

  get size(): number {
    return this.blobs.size;
  }

  add(file: IndexFile): void {
    this.blobs.reserve(file.packs.reduce((n, p) => n + p.blobs.length, 0));
    for (const pack of file.packs) {
      this.packs.set(
        pack.id,
        (this.packs.get(pack.id) ?? 0) + pack.blobs.length
      );
      for (const row of pack.blobs) {
        const id = row[0];
        const loc = placeIn(pack.id, row);
        const first = this.blobs.get(id);
        if (!first) {
          this.blobs.set(id, loc);
        } else if (first.pack !== pack.id || first.offset !== loc.offset) {
          const others = this.others.get(id) ?? [];
          others.push(loc);
          this.others.set(id, others);
        }
      }
    }
  }

  get(id: string): IBlobLocation | undefined {
    return this.blobs.get(id);
  }

  /** Every place named for the blob, the first one first. */
  locations(id: string): IBlobLocation[] {
    const first = this.blobs.get(id);
    return first ? [first, ...(this.others.get(id) ?? [])] : [];
  }

  /** Makes a place found to hold the blob's bytes the first one tried from now on. */
  prefer(id: string, loc: IBlobLocation): void {
    const [first, ...others] = this.locations(id);
    const at = others.findIndex(l => samePlace(l, loc));
    if (first && at >= 0) {
      this.blobs.set(id, others[at]);
      others[at] = first;
      this.others.set(id, others);
    }
  }

  clear(): void {
    this.blobs.clear();
    this.others.clear();
    this.packs.clear();
  }

  has(id: string): boolean {
    return this.blobs.has(id);
  }

  entries(): IterableIterator<[string, IBlobLocation]> {
    return this.blobs.entries();
  }
}

const samePlace = (a: IBlobLocation, b: IBlobLocation) =>
  a.pack === b.pack && a.offset === b.offset && a.length === b.length;
