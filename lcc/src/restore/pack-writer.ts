/**
 * Writes the files of one restore from pack spans: the blobs they need are grouped by pack and
 * fetched in few large ranged reads (one request for many small files), then written at their
 * offsets into temporary files, each renamed into place once complete.
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, rename, rm, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import pLimit from 'p-limit';
import { IBlobLocation } from '../repository/blobs';
import { decodeBlob, packKey, sha256 } from '../repository/format';
import { Repository } from '../repository/repository';
import { StorageError } from '../repository/backend';

/** Blobs closer than this are fetched in one read; a read is at most MAX_SPAN bytes. */
const MAX_GAP = 256 * 1024;
const MAX_SPAN = 16 * 1024 * 1024;

export interface IPackedFile {
  rel: string;
  path: string;
  blobs: string[];
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
  remaining: number;
}

interface ISpanBlob {
  id: string;
  loc: IBlobLocation;
  pieces: IPiece[];
}

function tempName(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.studio-backup-${randomBytes(4).toString('hex')}`
  );
}

async function finish(state: IFileState): Promise<void> {
  await chmod(state.tmp, state.spec.mode & 0o7777);
  if (state.spec.mtime !== undefined) {
    await utimes(state.tmp, state.spec.mtime / 1000, state.spec.mtime / 1000);
  }
  await rename(state.tmp, state.spec.path);
}

export async function writePackedFiles(
  repo: Repository,
  files: IPackedFile[],
  onBytes: (n: number) => void,
  concurrency = 4
): Promise<void> {
  const states: IFileState[] = [];
  const byPack = new Map<string, Map<string, ISpanBlob>>();
  try {
    for (const spec of files) {
      const state: IFileState = {
        spec,
        tmp: tempName(spec.path),
        remaining: spec.blobs.length
      };
      states.push(state);
      await (await open(state.tmp, 'wx', 0o600)).close();
      let offset = 0;
      for (const id of spec.blobs) {
        const loc = repo.index.get(id);
        if (!loc) {
          throw new StorageError(
            `Blob ${id.slice(0, 12)} of ${spec.rel} is missing from the repository: run "studio-backup check".`,
            'corrupt'
          );
        }
        const blobs = byPack.get(loc.pack) ?? new Map<string, ISpanBlob>();
        byPack.set(loc.pack, blobs);
        const entry = blobs.get(id) ?? { id, loc, pieces: [] };
        entry.pieces.push({ file: state, offset });
        blobs.set(id, entry);
        offset += loc.rawLength;
      }
    }
    for (const state of states.filter(s => s.remaining === 0)) {
      await finish(state);
    }

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

    const limit = pLimit(concurrency);
    await Promise.all(
      spans.map(span =>
        limit(async () => {
          const start = span[0].loc.offset;
          const end = Math.max(...span.map(b => b.loc.offset + b.loc.length));
          const bytes = await repo.backend.getRange(
            packKey(span[0].loc.pack),
            start,
            end - start
          );
          for (const blob of span) {
            const data = decodeBlob(
              bytes.subarray(
                blob.loc.offset - start,
                blob.loc.offset - start + blob.loc.length
              ),
              blob.loc.encoding
            );
            if (sha256(data) !== blob.id) {
              throw new StorageError(
                `Blob ${blob.id.slice(0, 12)} is corrupted (hash mismatch): run "studio-backup check --read-data".`,
                'corrupt'
              );
            }
            for (const piece of blob.pieces) {
              const handle = await open(piece.file.tmp, 'r+');
              try {
                await handle.write(data, 0, data.length, piece.offset);
              } finally {
                await handle.close();
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
    await Promise.all(states.map(s => rm(s.tmp, { force: true })));
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new StorageError(
        'No space left on the device while restoring: free some space and retry; no file was left half-written.',
        'no-space'
      );
    }
    throw err;
  }
}
