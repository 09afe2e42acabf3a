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
        if (!this.blobs.has(id)) {
          this.blobs.set(id, { pack: pack.id, ...loc });
        }
      }
    }
  }

  get(id: string): IBlobLocation | undefined {
    return this.blobs.get(id);
  }

  clear(): void {
    this.blobs.clear();
    this.packs.clear();
  }

  has(id: string): boolean {
    return this.blobs.has(id);
  }

  entries(): IterableIterator<[string, IBlobLocation]> {
    return this.blobs.entries();
  }
}
