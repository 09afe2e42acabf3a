/**
 * The repository format (documented in docs/format.md). A reader refuses a version it does not know.
 *
 *   config                      format name, version, repository id, chunker parameters
 *   data/<xx>/<pack id>         packs: encoded blobs back to back, then a trailer listing them
 *   index/<id>                  which pack holds each blob (written after its packs)
 *   snapshots/<id>              one manifest per snapshot (written last: a snapshot exists once it is there)
 *   locks/<id>                  shared (backup) and exclusive (prune) locks
 */
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { deflateRaw, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';

export const FORMAT_NAME = 'studio-backup';
export const FORMAT_VERSION = 1;

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

export function packKey(packId: string): string {
  return `data/${packId.slice(0, 2)}/${packId}`;
}

/** How a blob is stored in its pack: raw, or deflated when that saves at least a tenth. */
export type Encoding = 'raw' | 'deflate';

const PROBE = 32 * 1024;
const deflateAsync = promisify(deflateRaw);

/**
 * Deflates on libuv's thread pool (so several blobs compress at once on several cores). A quick probe
 * on a sample first (also off the main thread) spares deflating a large blob that will not shrink (random or packed data).
 */
export async function encodeBlob(
  data: Buffer,
  compressible: boolean
): Promise<{ bytes: Buffer; encoding: Encoding }> {
  if (!compressible || data.length < 128) {
    return { bytes: data, encoding: 'raw' };
  }
  if (
    data.length > 4 * PROBE &&
    (await deflateAsync(data.subarray(0, PROBE), { level: 1 })).length >
      PROBE * 0.9
  ) {
    return { bytes: data, encoding: 'raw' };
  }
  const packed = await deflateAsync(data, { level: 3 });
  return packed.length <= data.length * 0.9
    ? { bytes: packed, encoding: 'deflate' }
    : { bytes: data, encoding: 'raw' };
}

export function decodeBlob(bytes: Buffer, encoding: Encoding): Buffer {
  return encoding === 'deflate' ? inflateRawSync(bytes) : bytes;
}

/** Content that is already compressed gains nothing from deflate. */
const COMPRESSED =
  /\.(gz|tgz|bz2|xz|zst|zip|whl|jar|7z|rar|png|jpe?g|gif|webp|mp[34]|mov|avi|mkv|parquet|pt|pth|safetensors|h5|npz|pkl\.gz|conda|orc|avro)$/i;

export function isCompressible(name: string): boolean {
  return !COMPRESSED.test(name);
}

/** Small JSON documents (config excepted) are stored gzipped. */
export function packJson(value: unknown): Buffer {
  return gzipSync(JSON.stringify(value), { level: 6 });
}

export function unpackJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(gunzipSync(bytes).toString('utf8'));
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
  if (obj.version !== FORMAT_VERSION) {
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
