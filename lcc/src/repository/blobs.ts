/** Blob locations: which pack holds each blob, loaded from index/ files. */
import { z } from 'zod';
import { Encoding } from './format';

export type BlobType = 'data' | 'tree';

export interface IBlobLocation {
  pack: string;
  type: BlobType;
  offset: number;
  length: number;
  rawLength: number;
  encoding: Encoding;
}

/** One index file: packs and the blobs in them, as compact rows. */
export const IndexFile = z.object({
  version: z.literal(1),
  packs: z.array(
    z.object({
      id: z.string().regex(/^[0-9a-f]{64}$/),
      blobs: z.array(
        z.tuple([
          z.string().regex(/^[0-9a-f]{64}$/),
          z.enum(['data', 'tree']),
          z.number().int().nonnegative(),
          z.number().int().nonnegative(),
          z.number().int().nonnegative(),
          z.enum(['raw', 'deflate', 'zstd'])
        ])
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

export function fromIndexRows(
  rows: IndexFile['packs'][number]['blobs']
): IPackedBlob[] {
  return rows.map(([id, type, offset, length, rawLength, encoding]) => ({
    id,
    type,
    offset,
    length,
    rawLength,
    encoding
  }));
}

export class BlobIndex {
  private readonly blobs = new Map<string, IBlobLocation>();
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
    for (const pack of file.packs) {
      this.packs.set(
        pack.id,
        (this.packs.get(pack.id) ?? 0) + pack.blobs.length
      );
      for (const { id, ...loc } of fromIndexRows(pack.blobs)) {
        const first = this.blobs.get(id);
        if (!first) {
          this.blobs.set(id, { pack: pack.id, ...loc });
        } else if (first.pack !== pack.id || first.offset !== loc.offset) {
          const others = this.others.get(id) ?? [];
          others.push({ pack: pack.id, ...loc });
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
    const all = this.locations(id);
    if (all[0] !== loc && all.includes(loc)) {
      this.blobs.set(id, loc);
      this.others.set(
        id,
        all.filter(l => l !== loc)
      );
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
