/**
 * Where each blob is, for every blob of a repository, in a few typed arrays rather than one object
 * and one 64-character key per blob: 100,000 blobs took 21 MiB of heap as a Map of objects, about
 * 7 MiB here, and nothing here is for the garbage collector to walk. The ids come from index files,
 * which whoever may append can forge: a bucket is a keyed hash of all 32 bytes (multiply-shift with
 * keys drawn at start), so ids made to share their first bytes do not pile into one long probe.
 */
import { randomBytes } from 'node:crypto';
import type { BlobType } from './blobs';
import type { Encoding } from './format';

export interface IBlobLocation {
  pack: string;
  type: BlobType;
  offset: number;
  length: number;
  rawLength: number;
  encoding: Encoding;
}

const ID_BYTES = 32;
/** A blob id: a SHA-256 digest in lowercase hex. */
export const BLOB_ID = /^[0-9a-f]{64}$/;
export const TYPES: readonly BlobType[] = ['data', 'tree'];
export const ENCODINGS: readonly Encoding[] = ['raw', 'deflate', 'zstd'];
/** Odd multipliers, one per 4 bytes of an id. */
const KEYS = new Uint32Array(randomBytes(ID_BYTES).buffer).map(k => k | 1);

/**
 * The id's bucket among 2^bits: the top bits of a sum of its words times the keys, mixed. Without
 * the mixing (MurmurHash3's 32-bit finalizer), ids that differ in one word only land at n times one
 * key, and for some keys those sums bunch into runs that linear probing walks: 5,000 ids that
 * share their first 28 bytes took up to 41,600 compares to look up, over 20,000 in 2 of 300 draws
 * of the keys; mixed, at most 6,253 in 1,000 draws.
 */
function bucketOf(
  ids: Buffer,
  at: number,
  bits: number,
  keys: Uint32Array
): number {
  let h = 0;
  for (let i = 0; i < ID_BYTES / 4; i++) {
    h = (h + Math.imul(ids.readUInt32LE(at + 4 * i), keys[i])) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) >>> (32 - bits);
}

export class BlobTable {
  /** `keys`: the hash's multipliers, eight odd numbers; drawn at start unless given (tests give the worst). */
  constructor(private readonly keys: Uint32Array = KEYS) {}

  private count = 0;
  private ids = Buffer.alloc(0);
  private packOf = new Uint32Array(0);
  /** offset, length, rawLength per blob (doubles: a pack or a blob may pass 4 GiB). */
  private spans = new Float64Array(0);
  /** type (bit 2) and encoding (bits 0-1) per blob. */
  private kinds = new Uint8Array(0);
  /** Blob number + 1 per bucket, 0 for an empty one; at most half full. */
  private buckets = new Uint32Array(0);
  /** log2 of the number of buckets. */
  private bits = 0;
  private readonly packIds: string[] = [];
  private readonly packNumbers = new Map<string, number>();
  private readonly probe = Buffer.alloc(ID_BYTES);

  get size(): number {
    return this.count;
  }

  /** Room for `more` blobs beyond those held, so that a large index file grows the arrays once. */
  reserve(more: number): void {
    const needed = this.count + more;
    if (needed > this.kinds.length) {
      this.grow(Math.max(needed, this.kinds.length * 2, 1024));
    }
  }

  get(id: string): IBlobLocation | undefined {
    const n = this.find(id);
    return n < 0 ? undefined : this.at(n);
  }

  has(id: string): boolean {
    return this.find(id) >= 0;
  }

  /** Adds a blob, or replaces where an id already held is. */
  set(id: string, loc: IBlobLocation): void {
    let n = this.find(id);
    if (n < 0) {
      this.reserve(1);
      n = this.count++;
      this.ids.write(id, n * ID_BYTES, 'hex');
      this.place(n);
    }
    let pack = this.packNumbers.get(loc.pack);
    if (pack === undefined) {
      pack = this.packIds.push(loc.pack) - 1;
      this.packNumbers.set(loc.pack, pack);
    }
    this.packOf[n] = pack;
    this.spans[n * 3] = loc.offset;
    this.spans[n * 3 + 1] = loc.length;
    this.spans[n * 3 + 2] = loc.rawLength;
    this.kinds[n] =
      (TYPES.indexOf(loc.type) << 2) | ENCODINGS.indexOf(loc.encoding);
  }

  clear(): void {
    this.count = 0;
    this.ids = Buffer.alloc(0);
    this.packOf = new Uint32Array(0);
    this.spans = new Float64Array(0);
    this.kinds = new Uint8Array(0);
    this.buckets = new Uint32Array(0);
    this.bits = 0;
    this.packIds.length = 0;
    this.packNumbers.clear();
  }

  *entries(): IterableIterator<[string, IBlobLocation]> {
    for (let n = 0; n < this.count; n++) {
      yield [this.idAt(n), this.at(n)];
    }
  }

  private at(n: number): IBlobLocation {
    const kind = this.kinds[n];
    return {
      pack: this.packIds[this.packOf[n]],
      type: TYPES[kind >> 2],
      offset: this.spans[n * 3],
      length: this.spans[n * 3 + 1],
      rawLength: this.spans[n * 3 + 2],
      encoding: ENCODINGS[kind & 3]
    };
  }

  private idAt(n: number): string {
    return this.ids.toString('hex', n * ID_BYTES, (n + 1) * ID_BYTES);
  }

  /** The blob's number, or -1. Anything but 64 lowercase hex digits is no blob id. */
  private find(id: string): number {
    if (this.count === 0 || !BLOB_ID.test(id)) {
      return -1;
    }
    this.probe.write(id, 'hex');
    const mask = this.buckets.length - 1;
    for (
      let b = bucketOf(this.probe, 0, this.bits, this.keys);
      ;
      b = (b + 1) & mask
    ) {
      const slot = this.buckets[b];
      if (slot === 0) {
        return -1;
      }
      const n = slot - 1;
      if (
        this.ids.compare(
          this.probe,
          0,
          ID_BYTES,
          n * ID_BYTES,
          (n + 1) * ID_BYTES
        ) === 0
      ) {
        return n;
      }
    }
  }

  private place(n: number): void {
    const mask = this.buckets.length - 1;
    let b = bucketOf(this.ids, n * ID_BYTES, this.bits, this.keys);
    while (this.buckets[b] !== 0) {
      b = (b + 1) & mask;
    }
    this.buckets[b] = n + 1;
  }

  private grow(capacity: number): void {
    const ids = Buffer.alloc(capacity * ID_BYTES);
    this.ids.copy(ids, 0, 0, this.count * ID_BYTES);
    this.ids = ids;
    this.packOf = copied(this.packOf, new Uint32Array(capacity));
    this.spans = copied(this.spans, new Float64Array(capacity * 3));
    this.kinds = copied(this.kinds, new Uint8Array(capacity));
    this.bits = 1;
    while (2 ** this.bits < capacity * 2) {
      this.bits++;
    }
    this.buckets = new Uint32Array(2 ** this.bits);
    for (let n = 0; n < this.count; n++) {
      this.place(n);
    }
  }
}

function copied<T extends Uint32Array | Float64Array | Uint8Array>(
  from: T,
  to: T
): T {
  to.set(from);
  return to;
}
