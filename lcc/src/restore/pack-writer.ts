/**
 * Writes the files of one restore from pack spans: the blobs they need are grouped by pack and
 * fetched in few large ranged reads (one request for many small files), then written at their
 * offsets into temporary files, each renamed into place once complete and its size checked.
 *
 * A blob that is missing or corrupted damages only the files that use it: they are left out (the
 * file in place is untouched) and named, and the rest is restored. A full disk stops everything.
 */
import { FileHandle } from 'node:fs/promises';
import { open, rename, rm } from '../repository/local-fs';
import { dirname } from 'node:path';
import pLimit from 'p-limit';
import { IBlobLocation } from '../repository/blobs';
import { decodeBlobAsync, packKey, sha256 } from '../repository/format';
import { Repository } from '../repository/repository';
import { StorageError } from '../repository/backend';
import { SMALL_FILE, smallFileWritesOn, writeSmallFile } from './small-file';
import { tempPathIn } from './temp-files';
import { fsTime } from './file-times';

/** Blobs closer than this are fetched in one read; a read is at most MAX_SPAN bytes. */
const MAX_GAP = 256 * 1024;
const MAX_SPAN = 4 * 1024 * 1024;

export interface IPackedFile {
  rel: string;
  path: string;
  blobs: string[];
  size: number;
  mode: number;
  mtime?: number;
}

interface IPiece {
  file: IFileState;
  offset: number;
}

interface IFileState {
  spec: IPackedFile;
  tmp: string;
  /** Opened at its first piece, so a kill leaves temp files only for files being written. */
  handle?: Promise<FileHandle>;
  remaining: number;
  /** Bytes written, or left as a hole because they are zeros. */
  written: number;
  /** Whether a blob of zeros was left as a hole (the file's size is then set at the end). */
  holes?: boolean;
  failed?: string;
}

interface ISpanBlob {
  id: string;
  loc: IBlobLocation;
  pieces: IPiece[];
}

/** write() may write less than asked (a nearly full disk): loop, and call 0 bytes a full disk. */
async function writeFully(
  handle: FileHandle,
  data: Buffer,
  position: number
): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(
      data,
      done,
      data.length - done,
      position + done
    );
    if (bytesWritten === 0) {
      throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
    }
    done += bytesWritten;
  }
}

function handleOf(state: IFileState): Promise<FileHandle> {
  if (state.failed !== undefined) {
    return Promise.reject(new Error(state.failed));
  }
  state.handle ??= open(state.tmp, 'wx', 0o600);
  return state.handle;
}

async function closeAndRemove(state: IFileState): Promise<void> {
  const handle = await state.handle?.catch(() => undefined);
  state.handle = undefined;
  await handle?.close().catch(() => undefined);
  await rm(state.tmp, { force: true });
}

/** Flushes, checks every byte is there, then renames into place. */
async function finish(state: IFileState): Promise<void> {
  const handle = await handleOf(state);
  if (state.written !== state.spec.size) {
    throw Object.assign(
      new Error(
        `${state.spec.rel}: ${state.written} of ${state.spec.size} bytes written`
      ),
      { code: 'ENOSPC' }
    );
  }
  if (state.holes) {
    // Zero blobs were not written: the file's end makes its last hole (a sparse file stays sparse).
    await handle.truncate(state.spec.size);
    const { size } = await handle.stat();
    if (size !== state.spec.size) {
      throw Object.assign(
        new Error(
          `${state.spec.rel}: ${size} of ${state.spec.size} bytes written`
        ),
        { code: 'ENOSPC' }
      );
    }
  }
  await handle.chmod(state.spec.mode);
  if (state.spec.mtime !== undefined) {
    const t = fsTime(state.spec.mtime);
    await handle.utimes(t, t);
  }
  // No fsync per file (it was most of a restore's time): a write that the storage refuses later,
  // as NFS (EFS) reports a full quota, fails the close, and the file is then not renamed into place.
  state.handle = undefined;
  await handle.close();
  await rename(state.tmp, state.spec.path);
}

let zeros = Buffer.alloc(0);

/** A blob of zeros (what a sparse file's holes back up as) is left as a hole, not written. */
function isHole(data: Buffer): boolean {
  if (data.length < 4096) {
    return false;
  }
  if (zeros.length < data.length) {
    zeros = Buffer.alloc(data.length);
  }
  return data.equals(zeros.subarray(0, data.length));
}

/** Returns the files that could not be restored, with why. */
export async function writePackedFiles(
  repo: Repository,
  files: IPackedFile[],
  onBytes: (n: number) => void,
  concurrency = 4
): Promise<Map<string, string>> {
  const states: IFileState[] = [];
  const damaged = new Map<string, string>();
  const fail = async (state: IFileState, why: string) => {
    if (state.failed === undefined) {
      state.failed = why;
      damaged.set(state.spec.rel, why);
      await closeAndRemove(state);
    }
  };
  const byPack = new Map<string, Map<string, ISpanBlob>>();
  try {
    for (const spec of files) {
      const state: IFileState = {
        spec,
        tmp: tempPathIn(dirname(spec.path)),
        remaining: spec.blobs.length,
        written: 0
      };
      states.push(state);
      let offset = 0;
      for (const id of spec.blobs) {
        const loc = repo.index.get(id);
        if (!loc) {
          await fail(
            state,
            `blob ${id.slice(0, 12)} is missing from the repository`
          );
          break;
        }
        const blobs = byPack.get(loc.pack) ?? new Map<string, ISpanBlob>();
        byPack.set(loc.pack, blobs);
        const entry = blobs.get(id) ?? { id, loc, pieces: [] };
        entry.pieces.push({ file: state, offset });
        blobs.set(id, entry);
        offset += loc.rawLength;
      }
      if (!state.failed && offset !== spec.size) {
        await fail(
          state,
          `its size in the snapshot (${spec.size} bytes) does not match its content (${offset} bytes)`
        );
      }
    }
    for (const state of states.filter(s => s.remaining === 0 && !s.failed)) {
      await finish(state);
    }

    const limit = pLimit(concurrency);
    await Promise.all(
      spansOf(byPack).map(span =>
        limit(async () => {
          const live = span.filter(b => b.pieces.some(p => !p.file.failed));
          if (live.length === 0) {
            return;
          }
          const read = await readSpan(repo, live);
          for (const blob of live) {
            const got = read.get(blob)!;
            let data: Buffer | undefined;
            if (!(got instanceof Error)) {
              data = await decodeBlobAsync(
                got,
                blob.loc.encoding,
                blob.loc.rawLength
              ).catch(() => undefined);
            }
            let intact = data !== undefined && sha256(data) === blob.id;
            if (!intact && repo.index.locations(blob.id).length > 1) {
              // Not here: another copy an index names may hold it (readBlob tries each, hashed).
              data = await repo.readBlob(blob.id).catch(() => undefined);
              intact = data !== undefined;
            }
            if (!intact || !data) {
              const why =
                got instanceof Error
                  ? got.message
                  : `blob ${blob.id.slice(0, 12)} is corrupted (run "studio-backup check --read-data")`;
              for (const piece of blob.pieces) {
                await fail(piece.file, why);
              }
              continue;
            }
            for (const piece of blob.pieces) {
              if (piece.file.failed) {
                continue;
              }
              if (
                piece.file.spec.blobs.length === 1 &&
                data.length <= SMALL_FILE &&
                smallFileWritesOn() &&
                !isHole(data)
              ) {
                const { spec } = piece.file;
                writeSmallFile(
                  piece.file.tmp,
                  spec.path,
                  data,
                  spec.mode,
                  spec.mtime
                );
                piece.file.written = data.length;
                piece.file.remaining = 0;
                onBytes(data.length);
                continue;
              }
              try {
                const handle = await handleOf(piece.file);
                if (isHole(data)) {
                  piece.file.holes = true;
                } else {
                  await writeFully(handle, data, piece.offset);
                }
                piece.file.written += data.length;
              } catch (err) {
                // Another span found this file damaged and closed it meanwhile: nothing to do.
                if (piece.file.failed) {
                  continue;
                }
                throw err;
              }
              onBytes(data.length);
              if (--piece.file.remaining === 0) {
                await finish(piece.file);
              }
            }
          }
        })
      )
    );
  } catch (err) {
    await Promise.all(states.map(closeAndRemove));
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new StorageError(
        'No space left on the device while restoring: free some space and retry; no file was left half-written.',
        'no-space'
      );
    }
    throw err;
  }
  return damaged;
}

/**
 * The bytes of each blob of a span, in one ranged read. When that read fails (a pack cut short, a
 * range the storage refuses), each blob is read on its own, so that one lost blob does not take
 * its intact neighbours with it.
 */
async function readSpan(
  repo: Repository,
  span: ISpanBlob[]
): Promise<Map<ISpanBlob, Buffer | Error>> {
  const key = packKey(span[0].loc.pack);
  const start = span[0].loc.offset;
  const end = Math.max(...span.map(b => b.loc.offset + b.loc.length));
  const out = new Map<ISpanBlob, Buffer | Error>();
  try {
    const bytes = await repo.backend.getRange(key, start, end - start);
    for (const blob of span) {
      const from = blob.loc.offset - start;
      out.set(blob, bytes.subarray(from, from + blob.loc.length));
    }
  } catch (err) {
    if (span.length === 1) {
      out.set(span[0], err as Error);
      return out;
    }
    for (const blob of span) {
      out.set(
        blob,
        await repo.backend
          .getRange(key, blob.loc.offset, blob.loc.length)
          .catch((e: Error) => e)
      );
    }
  }
  return out;
}

/** Groups each pack's blobs into ranged reads of neighbouring blobs. */
function spansOf(byPack: Map<string, Map<string, ISpanBlob>>): ISpanBlob[][] {
  const spans: ISpanBlob[][] = [];
  for (const blobs of byPack.values()) {
    const sorted = [...blobs.values()].sort(
      (a, b) => a.loc.offset - b.loc.offset
    );
    let span: ISpanBlob[] = [];
    for (const blob of sorted) {
      const start = span[0]?.loc.offset ?? blob.loc.offset;
      const last = span[span.length - 1];
      if (
        last &&
        (blob.loc.offset - (last.loc.offset + last.loc.length) > MAX_GAP ||
          blob.loc.offset + blob.loc.length - start > MAX_SPAN)
      ) {
        spans.push(span);
        span = [];
      }
      span.push(blob);
    }
    if (span.length > 0) {
      spans.push(span);
    }
  }
  return spans;
}
