/**
 * Content-defined chunking (FastCDC with normalised chunking): cut points depend on the content,
 * so an insertion or an append changes only the chunks around it and the rest deduplicate.
 */
import { createHash } from 'node:crypto';

export interface IChunkerParams {
  min: number;
  avg: number;
  max: number;
}

/** A fixed table of 256 pseudo-random 32-bit values (derived from SHA-256, so it never changes). */
const GEAR = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    table[i] = createHash('sha256')
      .update(`studio-backup-gear-${i}`)
      .digest()
      .readUInt32BE(0);
  }
  return table;
})();

/** The top `bits` bits: after the shifts, they depend on the last 32 bytes read (the window). */
function mask(bits: number): number {
  return (((2 ** bits - 1) >>> 0) << (32 - bits)) >>> 0;
}

export class Chunker {
  private readonly maskStrict: number;
  private readonly maskLoose: number;

  constructor(readonly params: IChunkerParams) {
    if (!(
      params.min > 0 &&
      params.min < params.avg &&
      params.avg < params.max
    )) {
      throw new Error('chunker parameters must satisfy 0 < min < avg < max');
    }
    const bits = Math.round(Math.log2(params.avg));
    this.maskStrict = mask(Math.min(bits + 2, 31));
    this.maskLoose = mask(Math.max(bits - 2, 1));
  }

  /**
   * Length of the first chunk of `data` (of which `data.length` bytes are available); returns
   * `data.length` when no cut point is found before the end and `final` is true or max is reached.
   */
  cut(data: Uint8Array, final: boolean): number {
    const { min, avg, max } = this.params;
    const n = data.length;
    if (n <= min) {
      return final ? n : 0;
    }
    const limit = Math.min(n, max);
    const normal = Math.min(limit, avg);
    let hash = 0;
    let i = min;
    for (; i < normal; i++) {
      hash = ((hash << 1) + GEAR[data[i]]) >>> 0;
      if ((hash & this.maskStrict) === 0) {
        return i + 1;
      }
    }
    for (; i < limit; i++) {
      hash = ((hash << 1) + GEAR[data[i]]) >>> 0;
      if ((hash & this.maskLoose) === 0) {
        return i + 1;
      }
    }
    if (limit === max) {
      return max;
    }
    return final ? n : 0;
  }
}
