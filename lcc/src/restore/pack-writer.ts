/**
 * Writes the files of one restore from pack spans: the blobs they need are grouped by pack and
 * fetched in few large ranged reads (one request for many small files), then written at their
 * offsets into temporary files, each renamed into place once complete and its size checked.
 *
 * A blob that is missing or corrupted damages only the files that use it: they are left out (the
 * file in place is untouched) and named, and the rest is restored. A full disk stops everything.
 */
import { constants } from 'node:fs';
import { FileHandle } from 'node:fs/promises';
import { open, rename, rm } from '../repository/local-fs';
import { dirname } from 'node:path';
import pLimit from 'p-limit';
import { IBlobLocation } from '../repository/blobs';
import { decodeBlobAsync, packKey, sha256 } from '../repository/format';
import { Repository } from '../repository/repository';
import { IBackend, StorageError } from '../repository/backend';
import {
  SMALL_FILE,
  smallFileWritesOn,
  turnOffSmallFileWrites,
  writeSmallFile
} from './small-file';
import {
  IFailure,
  IJobBlob,
  IJobPiece,
  ISpanResult,
  isFullDisk,
  isHole
} from './span-job';
import {
  RunReader,
  canStreamRanges,
  endOf,
  groupsOf,
  runsOf
} from './pack-runs';
import { SpanBuffers } from './span-buffers';
import { SpanWriters } from './span-writers';
import { IRunEnd, IRunSpan } from './run-fetch';
import { PRESIGNED_FOR_S } from '../repository/s3-backend';
import { tempPathIn } from './temp-files';
import { fsTime } from './file-times';
import { collectYoungGarbage } from './young-garbage';

/** Blobs closer than this are fetched in one read. */
const MAX_GAP = 256 * 1024;
const MiB = 1024 * 1024;
/**
 * How long one ranged read is at most, and how many bytes of them the writer threads hold at once.
 * A local disk answers at once: four reads of 4 MiB keep two writers busy. S3 answers each request
 * after its latency: 16 reads in flight, cut into spans of 512 KiB each; one request gives several
 * neighbouring spans of a pack (pack-runs.ts), and each request a writer reads itself holds one
 * span's buffer (run-fetch.ts). The benchmark home's restore from versitygw into /dev/shm peaked at
 * 166-179 MiB with spans of 512 KiB, 184-197 MiB with 1 MiB, in 1.99-2.25 s either way
 * (/usr/bin/time, interleaved runs); spans of 2 MiB had peaked 10-20 MiB above 1 MiB.
 */
const READS = {
  local: { span: 4 * MiB, inFlight: 16 * MiB },
  remote: { span: MiB / 2, inFlight: 16 * MiB }
};

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
  /** Its place in the list, as a writer thread names it. */
  index: number;
  tmp: string;
  /** Opened at its first piece, so a kill leaves temp files only for files being written. */
  handle?: Promise<FileHandle>;
  /** Created empty for the writer threads, which write into it (and never create it). */
  created?: Promise<void>;
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

type Presigns = Required<Pick<IBackend, 'presignGet'>>;

const canPresign = (backend: IBackend): backend is IBackend & Presigns =>
  typeof backend.presignGet === 'function';

/** How a span's bytes are read into a buffer. */
type SpanRead = (span: ISpanBlob[], into: Buffer) => Promise<Buffer>;

/** Below this many bytes to write, the main thread writes them itself (no thread is started). */
const WRITERS_FROM = 16 * 1024 * 1024;

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
  state.handle ??= state.created
    ? state.created.then(() =>
        open(state.tmp, constants.O_WRONLY | constants.O_NOFOLLOW)
      )
    : open(state.tmp, 'wx', 0o600);
  return state.handle;
}

/** The temp file a writer thread writes pieces into, created here once (exclusively, as handleOf). */
function createdFor(state: IFileState): Promise<void> {
  state.created ??= open(state.tmp, 'wx', 0o600).then(h => h.close());
  return state.created;
}

async function closeAndRemove(state: IFileState): Promise<void> {
  const handle = await state.handle?.catch(() => undefined);
  state.handle = undefined;
  await handle?.close().catch(() => undefined);
  await state.created?.catch(() => undefined);
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

const errorOf = (f: IFailure) =>
  Object.assign(new Error(f.message), { code: f.code });

/**
 * Returns the files that could not be restored, with why. `writers`: how many worker threads
 * decode and write (0: the main thread does); by default up to two, for a restore of 16 MiB or more.
 */
export async function writePackedFiles(
  repo: Repository,
  files: IPackedFile[],
  onBytes: (n: number) => void,
  concurrency = 4,
  { writers: wanted }: { writers?: number } = {}
): Promise<Map<string, string>> {
  const states: IFileState[] = [];
  const damaged = new Map<string, string>();
  let aborted = false;
  const fail = async (state: IFileState, why: string) => {
    if (state.failed === undefined) {
      state.failed = why;
      damaged.set(state.spec.rel, why);
      await closeAndRemove(state);
    }
  };
  const byPack = new Map<string, Map<string, ISpanBlob>>();
  let writers: SpanWriters | undefined;
  const reads = repo.backend.url.startsWith('file:')
    ? READS.local
    : READS.remote;
  const buffers = new SpanBuffers(reads.span, reads.inFlight);
  /** Off once a writer finds small files slow to write one by one (the threads stay until the end). */
  let useWriters = false;
  /** Whether this file is one small blob, written whole with synchronous calls. */
  const isSmall = (state: IFileState, data?: Buffer) =>
    state.spec.blobs.length === 1 &&
    state.spec.size <= SMALL_FILE &&
    smallFileWritesOn() &&
    (data === undefined || !isHole(data));

  /** One blob on the main thread: decoded, checked (another copy tried), written. `got` undefined: read, not intact. */
  const writeBlob = async (
    blob: ISpanBlob,
    got: Buffer | Error | undefined
  ) => {
    let data: Buffer | undefined;
    if (got instanceof Buffer) {
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
      return;
    }
    for (const piece of blob.pieces) {
      if (piece.file.failed) {
        continue;
      }
      if (isSmall(piece.file, data)) {
        const { spec } = piece.file;
        writeSmallFile(piece.file.tmp, spec.path, data, spec.mode, spec.mtime);
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
  };

  /** What a writer thread is told to do with a span's blobs (the temp files it writes into made first). */
  const jobOf = async (live: ISpanBlob[]) => {
    const start = live[0].loc.offset;
    const sent: ISpanBlob[] = [];
    const blobs: IJobBlob[] = [];
    for (const blob of live) {
      const pieces: IJobPiece[] = [];
      for (const { file, offset } of blob.pieces) {
        const { index, tmp, spec } = file;
        if (file.failed) {
          continue;
        }
        if (isSmall(file)) {
          const { path, mode, mtime } = spec;
          pieces.push({
            file: index,
            offset,
            tmp,
            whole: { path, mode, mtime }
          });
        } else {
          await createdFor(file);
          pieces.push({ file: index, offset, tmp });
        }
      }
      if (pieces.length > 0) {
        sent.push(blob);
        blobs.push({
          id: blob.id,
          encoding: blob.loc.encoding,
          rawLength: blob.loc.rawLength,
          from: blob.loc.offset - start,
          length: blob.loc.length,
          pieces
        });
      }
    }
    return { sent, blobs };
  };

  /** What a writer answered for the span of `sent`'s blobs: recorded, and what it could not do done here. */
  const settle = async (result: ISpanResult, sent: ISpanBlob[]) => {
    if (result.fatal) {
      throw errorOf(result.fatal);
    }
    if (result.slow) {
      // Network storage: the rest goes the main thread's way, with calls in parallel (not on a
      // local disk: small-file.ts).
      turnOffSmallFileWrites();
      useWriters = smallFileWritesOn();
    }
    for (const done of result.done) {
      const state = states[done.file];
      state.written += done.written;
      state.holes ||= done.hole;
      onBytes(done.written);
      if (done.whole) {
        state.remaining = 0;
      } else if (--state.remaining === 0 && !state.failed) {
        await finish(state);
      }
    }
    for (const e of result.pieceErrors) {
      if (!states[e.file].failed) {
        throw errorOf(e);
      }
    }
    for (const n of result.corrupt) {
      await writeBlob(sent[n], undefined);
    }
  };

  /** A span through a writer thread; false when it has to go the main thread's way. */
  const writeElsewhere = async (
    pool: SpanWriters,
    live: ISpanBlob[],
    read: SpanRead,
    wasRead: () => void
  ): Promise<boolean> => {
    const { sent, blobs } = await jobOf(live);
    const buffer = await buffers.take(spanLength(live));
    const size = buffer.length;
    let back: Uint8Array | undefined = buffer;
    let result: ISpanResult;
    try {
      let bytes: Buffer;
      try {
        bytes = await read(live, buffer);
      } catch {
        return false;
      } finally {
        wasRead();
      }
      back = undefined;
      const written = pool.run({ bytes, blobs });
      // The socket chunks the span was copied out of are garbage now (young-garbage.ts).
      collectYoungGarbage();
      result = await written;
      back = result.bytes;
    } finally {
      buffers.giveBack(size, back);
    }
    await settle(result, sent);
    return true;
  };

  /** Set once a presigned read is refused: the rest goes the main thread's way. */
  let presignedRefused = false;
  /** Presigned GETs of the packs, asked again once half their time is gone. */
  const urls = new Map<string, { url: Promise<string>; at: number }>();
  const urlOf = (backend: Presigns, pack: string) => {
    const known = urls.get(pack);
    if (known && Date.now() - known.at < (PRESIGNED_FOR_S * 1000) / 2) {
      return known.url;
    }
    const url = backend.presignGet(packKey(pack));
    urls.set(pack, { url, at: Date.now() });
    return url;
  };

  /**
   * A run read and written by a writer thread itself (run-fetch.ts). Returns the spans it did not
   * write (all of them when it could not start, the rest when its read failed), to be read here.
   */
  const fetchElsewhere = async (
    pool: SpanWriters,
    backend: Presigns,
    run: ISpanBlob[][]
  ): Promise<ISpanBlob[][]> => {
    const posted: { span: ISpanBlob[]; sent: ISpanBlob[] }[] = [];
    const spans: IRunSpan[] = [];
    for (const span of run) {
      const live = liveOf(span);
      if (live.length === 0 || aborted) {
        continue;
      }
      const { sent, blobs } = await jobOf(live);
      if (blobs.length > 0) {
        posted.push({ span: live, sent });
        spans.push({
          offset: live[0].loc.offset,
          length: spanLength(live),
          blobs
        });
      }
    }
    if (spans.length === 0) {
      return [];
    }
    let url: string;
    try {
      url = await urlOf(backend, run[0][0].loc.pack);
    } catch {
      // Read the SDK's way, which says in one line what is wrong.
      presignedRefused = true;
      return posted.map(p => p.span);
    }
    let failure: unknown;
    let settled = Promise.resolve();
    // The writer holds a buffer of the run's longest span meanwhile: counted in the same budget as
    // the spans read here (a run of 8 MiB chunks holds 8 MiB).
    const held = await buffers.reserve(Math.max(...spans.map(s => s.length)));
    let end: IRunEnd;
    try {
      end = await pool.fetchRun({ url, spans }, (n, result) => {
        settled = settled
          .then(async () => {
            if (failure === undefined && !aborted) {
              await settle(result, posted[n].sent);
            }
          })
          .catch(err => {
            failure ??= err;
          });
      });
    } finally {
      buffers.release(held);
    }
    await settled;
    if (failure !== undefined) {
      throw failure;
    }
    if (end.refused) {
      // Presigned reads are refused here (a bucket policy on s3:authType, credentials that ran
      // out): the rest of the restore is read with the SDK, not tried and refused run after run.
      presignedRefused = true;
    }
    return posted.slice(end.written).map(p => p.span);
  };

  try {
    for (const spec of files) {
      const state: IFileState = {
        spec,
        index: states.length,
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
    const bytes = states.reduce((n, s) => n + (s.failed ? 0 : s.spec.size), 0);
    if (
      smallFileWritesOn() &&
      (wanted === undefined ? bytes >= WRITERS_FROM : wanted > 0)
    ) {
      writers = SpanWriters.start(wanted);
      useWriters = writers !== undefined;
    }

    /** One span: read by `read` (wasRead called once it is), then written. */
    const writeSpan = async (
      live: ISpanBlob[],
      read: SpanRead,
      wasRead: () => void
    ) => {
      if (
        writers &&
        useWriters &&
        (await writeElsewhere(writers, live, read, wasRead))
      ) {
        return;
      }
      // The main thread's way (a small restore, or one on network storage) holds its spans
      // in the same buffers, under the same budget.
      const buffer = await buffers.take(spanLength(live));
      try {
        const got = await readSpan(repo, live, buffer, read).finally(wasRead);
        for (const blob of live) {
          if (!aborted) {
            await writeBlob(blob, got.get(blob)!);
          }
        }
      } finally {
        buffers.giveBack(buffer.length, buffer);
      }
    };
    const spans = spansOf(byPack, reads.span);
    const backend = repo.backend;
    const streams = canStreamRanges(backend);
    // Where each request costs, a run of neighbouring spans comes in one; elsewhere, a span each.
    const runs = streams
      ? runsOf(spans, concurrency, reads.span, MAX_GAP)
      : spans.map(span => [span]);
    const limit = pLimit(concurrency);
    /** A run's spans read here, by one request where it can, each written while the next arrives. */
    const readRun = async (run: ISpanBlob[][]) => {
      const reader = streams ? new RunReader(backend, run) : undefined;
      const read: SpanRead = (span, into) =>
        reader
          ? reader
              .read(span[0].loc.offset, spanLength(span), into)
              .catch(() => getSpan(repo, span, into))
          : getSpan(repo, span, into);
      const written: Promise<void>[] = [];
      try {
        for (const span of run) {
          const live = liveOf(span);
          if (live.length === 0 || aborted) {
            continue;
          }
          let wasRead!: () => void;
          const read$ = new Promise<void>(r => (wasRead = r));
          const done = writeSpan(live, read, wasRead);
          written.push(done);
          await Promise.race([read$, done.catch(() => undefined)]);
        }
      } finally {
        await reader?.close();
      }
      await Promise.all(written);
    };
    const presigns = canPresign(backend) ? backend : undefined;
    await Promise.all(
      runs.map(run =>
        limit(async () => {
          // Where the writer threads can read S3 themselves, they do; the main thread reads only
          // what they could not.
          const rest =
            presigns && writers && useWriters && !presignedRefused && !aborted
              ? await fetchElsewhere(writers, presigns, run)
              : run;
          if (rest.length > 0) {
            await readRun(rest);
          }
        })
      )
    );
  } catch (err) {
    aborted = true;
    await writers?.close();
    await Promise.all(states.map(closeAndRemove));
    const code = (err as NodeJS.ErrnoException).code;
    if (isFullDisk(code)) {
      throw new StorageError(
        'No space left on the device while restoring: free some space and retry; no file was left half-written.',
        'no-space'
      );
    }
    throw err;
  }
  await writers?.close();
  // A writer may have written a piece into a file that had failed meanwhile.
  await Promise.all(states.filter(s => s.failed).map(closeAndRemove));
  return damaged;
}

/** The blobs of a span that some file not given up on still needs. */
const liveOf = (span: ISpanBlob[]) =>
  span.filter(b => b.pieces.some(p => !p.file.failed));

/** Bytes from a span's first blob (they are in pack order) to where the last to end ends. */
const spanLength = (span: ISpanBlob[]) => endOf(span) - span[0].loc.offset;

/** One ranged read of a span's bytes, into `into`. */
function getSpan(
  repo: Repository,
  span: ISpanBlob[],
  into: Buffer
): Promise<Buffer> {
  const key = packKey(span[0].loc.pack);
  return repo.backend.getRange(key, span[0].loc.offset, spanLength(span), into);
}

/**
 * The bytes of each blob of a span, in one ranged read. When that read fails (a pack cut short, a
 * range the storage refuses), each blob is read on its own, so that one lost blob does not take
 * its intact neighbours with it.
 */
async function readSpan(
  repo: Repository,
  span: ISpanBlob[],
  into: Buffer,
  read: SpanRead
): Promise<Map<ISpanBlob, Buffer | Error>> {
  const key = packKey(span[0].loc.pack);
  const start = span[0].loc.offset;
  const out = new Map<ISpanBlob, Buffer | Error>();
  try {
    const bytes = await read(span, into);
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
function spansOf(
  byPack: Map<string, Map<string, ISpanBlob>>,
  maxSpan: number
): ISpanBlob[][] {
  return [...byPack.values()].flatMap(blobs =>
    groupsOf(
      [...blobs.values()].sort((a, b) => a.loc.offset - b.loc.offset),
      (span, blob) => {
        const last = span[span.length - 1].loc;
        return (
          blob.loc.offset - (last.offset + last.length) > MAX_GAP ||
          blob.loc.offset + blob.loc.length - span[0].loc.offset > maxSpan
        );
      }
    )
  );
}
