/**
 * The repository format (documented in docs/format.md). A reader refuses a version it does not know.
 *
 *   config                      format name, version, repository id, chunker parameters
 *   data/<xx>/<pack id>         packs: encoded blobs back to back, then a trailer listing them
 *   index/<id>                  which pack holds each blob (written after its packs)
 *   snapshots/<id>              one manifest per snapshot (written last: a snapshot exists once it is there)
 *   locks/<id>                  shared (backup) and exclusive (prune) locks
 */
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { decompress as zstdDecompressJs } from 'fzstd';
import { z } from 'zod';
import { zstdCompressor } from './zstd-streams';

export const FORMAT_NAME = 'studio-backup';
/** Written by new repositories; version 2 adds the `zstd` blob encoding (docs/format.md). */
export const FORMAT_VERSION = 2;
/** Versions this reader knows: a version 1 repository stays version 1 (no zstd blobs in it). */
export const READABLE_VERSIONS = [1, 2];

export const RepositoryConfig = z.object({
  format: z.literal(FORMAT_NAME),
  version: z.number().int(),
  id: z.string().regex(/^[0-9a-f]{32}$/),
  created: z.string(),
  chunker: z.object({
    min: z.number().int(),
    avg: z.number().int(),
    max: z.number().int()
  }),
  packSize: z.number().int()
});
export type RepositoryConfig = z.infer<typeof RepositoryConfig>;

export function newConfig(): RepositoryConfig {
  return {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    id: randomBytes(16).toString('hex'),
    created: new Date().toISOString(),
    chunker: { min: 512 * 1024, avg: 1024 * 1024, max: 8 * 1024 * 1024 },
    packSize: 16 * 1024 * 1024
  };
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 on libuv's thread pool (WebCrypto): for large buffers that would hold up the main thread. */
export async function sha256Async(data: Buffer): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', data)).toString(
    'hex'
  );
}

export function packKey(packId: string): string {
  return `data/${packId.slice(0, 2)}/${packId}`;
}

/** How a blob is stored in its pack: raw, or compressed when that saves at least a tenth. */
export type Encoding = 'raw' | 'deflate' | 'zstd';

/** A promisified zlib convenience call (compress or decompress one buffer). */
type ZlibCall = (data: Buffer, options: object) => Promise<Buffer>;
/** zlib's zstd, in Node.js 22.15 and newer (absent from older typings, hence the lookup). */
const nativeZstd = zlib as unknown as {
  zstdDecompress?: (...a: unknown[]) => void;
  zstdDecompressSync?: (data: Buffer, options?: object) => Buffer;
  constants: Record<string, number>;
};
const zstdAsync = zstdCompressor();
const deflateAsync = promisify(zlib.deflateRaw) as ZlibCall;

const PROBE = 32 * 1024;

/**
 * Compresses on libuv's thread pool, so several blobs compress at once on several cores; the output
 * buffer is 256 KiB, so a blob costs a few round trips to the pool, not one per 16 KiB.
 * zstd (level 1) when the repository's format and this Node.js allow it: about a quarter of the
 * CPU of deflate level 3 for a slightly smaller result (bench/engine-choices.js). Deflate probes a sample of a large blob first, to spare
 * deflating random or packed data; zstd is fast enough on such data not to need it.
 */
export async function encodeBlob(
  data: Buffer,
  compressible: boolean,
  zstd = false
): Promise<{ bytes: Buffer; encoding: Encoding }> {
  if (!compressible || data.length < 128) {
    return { bytes: data, encoding: 'raw' };
  }
  // Fewer round trips to the pool than the default 16 KiB, without a whole-blob output buffer
  // (whose allocation costs the main thread more than the round trips it saves).
  const chunkSize = 256 * 1024;
  let packed: Buffer;
  let encoding: Encoding;
  if (zstd && zstdAsync) {
    packed = await zstdAsync(data);
    encoding = 'zstd';
  } else {
    if (
      data.length > 4 * PROBE &&
      (await deflateAsync(data.subarray(0, PROBE), { level: 1 })).length >
        PROBE * 0.9
    ) {
      return { bytes: data, encoding: 'raw' };
    }
    packed = await deflateAsync(data, { level: 3, chunkSize });
    encoding = 'deflate';
  }
  if (packed.length > data.length * 0.9) {
    return { bytes: data, encoding: 'raw' };
  }
  // zlib's result can be a slice of its 256 KiB output buffer: a small blob waiting in a pack must
  // not hold all of it (a thousand notebooks would pin 256 MiB).
  return {
    bytes:
      packed.buffer.byteLength > 2 * packed.length
        ? Buffer.from(packed)
        : packed,
    encoding
  };
}

/** zlib options for an output of one buffer of the raw length, and not a byte more. */
const boundedTo = (rawLength: number) => ({
  chunkSize: Math.max(64, rawLength),
  maxOutputLength: Math.max(1, rawLength)
});

const inflateAsync = promisify(zlib.inflateRaw) as ZlibCall;
const unzstdAsync = nativeZstd.zstdDecompress
  ? (promisify(nativeZstd.zstdDecompress) as ZlibCall)
  : undefined;

/**
 * decodeBlob on libuv's thread pool, for large blobs (a restore decodes while it writes). The index
 * gives the raw length: the output is one buffer of that size, and a blob that would inflate
 * beyond it (damage, or a forged index) stops there instead of filling the memory.
 */
export async function decodeBlobAsync(
  bytes: Buffer,
  encoding: Encoding,
  rawLength: number
): Promise<Buffer> {
  if (bytes.length < 64 * 1024 || encoding === 'raw') {
    return decodeBlob(bytes, encoding);
  }
  const options = boundedTo(rawLength);
  if (encoding === 'deflate') {
    return inflateAsync(bytes, options);
  }
  return unzstdAsync
    ? unzstdAsync(bytes, options)
    : decodeBlob(bytes, encoding);
}

/**
 * zstd blobs decode with zlib where it has zstd, and with a JavaScript decoder on older Node.js.
 * Given the raw length the index names, the output is one buffer of that size and decoding stops
 * there (as decodeBlobAsync).
 */
export function decodeBlob(
  bytes: Buffer,
  encoding: Encoding,
  { native = true, rawLength }: { native?: boolean; rawLength?: number } = {}
): Buffer {
  const options = rawLength === undefined ? {} : boundedTo(rawLength);
  switch (encoding) {
    case 'deflate':
      return zlib.inflateRawSync(bytes, options);
    case 'zstd':
      return native && nativeZstd.zstdDecompressSync
        ? nativeZstd.zstdDecompressSync(bytes, options)
        : Buffer.from(zstdDecompressJs(bytes));
    default:
      return bytes;
  }
}

/** Content that is already compressed gains nothing from deflate. */
const COMPRESSED =
  /\.(gz|tgz|bz2|xz|zst|zip|whl|jar|7z|rar|png|jpe?g|gif|webp|mp[34]|mov|avi|mkv|parquet|pt|pth|safetensors|h5|npz|pkl\.gz|conda|orc|avro)$/i;

export function isCompressible(name: string): boolean {
  return !COMPRESSED.test(name);
}

/**
 * JSON documents (config excepted) are stored gzipped, at level 1: they are mostly hex ids, which
 * level 6 packed 2% smaller for half again the CPU (a pack trailer or an index file of 10,000
 * rows: 19 → 12 ms), and a first backup of 100,000 small files writes 11 pack trailers and index
 * files of 100,000 rows in all.
 */
export function packJson(value: unknown): Buffer {
  return zlib.gzipSync(JSON.stringify(value), { level: 1 });
}

export function unpackJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(zlib.gunzipSync(bytes).toString('utf8'));
  } catch {
    throw new FormatError(
      `${what} is damaged (not valid compressed JSON): run "studio-backup check".`
    );
  }
}

/** The repository content does not match the format: one line saying what and what to do. */
export class FormatError extends Error {}

export function parseConfig(bytes: Buffer, url: string): RepositoryConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new FormatError(
      `The repository config at ${url} is not valid JSON: it is damaged or not a Studio Backup repository.`
    );
  }
  const obj = raw as { format?: unknown; version?: unknown };
  if (obj?.format !== FORMAT_NAME) {
    throw new FormatError(
      `${url} is not a Studio Backup repository (its config names format ${JSON.stringify(obj?.format)}).`
    );
  }
  if (!READABLE_VERSIONS.includes(obj.version as number)) {
    throw new FormatError(
      `The repository at ${url} uses format version ${String(obj.version)}, which this studio-backup (format ${FORMAT_VERSION}) does not know: upgrade studio-backup.`
    );
  }
  const parsed = RepositoryConfig.safeParse(raw);
  if (!parsed.success) {
    throw new FormatError(
      `The repository config at ${url} is malformed: ${parsed.error.issues[0].message}.`
    );
  }
  return parsed.data;
}
