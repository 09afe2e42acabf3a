/** Packs describe themselves: `blobs | trailer (gzipped JSON) | trailer length (4 bytes, big-endian)`. */
import { z } from 'zod';
import { IBackend } from './backend';
import { IndexFile } from './blobs';
import { FormatError, unpackJson } from './format';

const Trailer = z.object({ blobs: IndexFile.shape.packs.element.shape.blobs });

/** The blob rows a pack lists in its trailer, checked against the pack's size. */
export async function readPackTrailer(
  backend: IBackend,
  key: string,
  size: number
): Promise<IndexFile['packs'][number]['blobs']> {
  if (size < 4) {
    throw new FormatError(`Pack ${key} is too short to hold a trailer.`);
  }
  const length = (await backend.getRange(key, size - 4, 4)).readUInt32BE(0);
  if (length === 0 || length > size - 4) {
    throw new FormatError(`Pack ${key} has a damaged trailer length.`);
  }
  const parsed = Trailer.safeParse(
    unpackJson(
      await backend.getRange(key, size - 4 - length, length),
      `The trailer of pack ${key}`
    )
  );
  if (!parsed.success) {
    throw new FormatError(`The trailer of pack ${key} is malformed.`);
  }
  const end = size - 4 - length;
  if (parsed.data.blobs.some(([, , offset, len]) => offset + len > end)) {
    throw new FormatError(
      `The trailer of pack ${key} names bytes past its end.`
    );
  }
  return parsed.data.blobs;
}
