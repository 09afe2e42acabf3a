/**
 * What a restore's worker thread does with the bytes of one span (one ranged read of a pack):
 * decode each blob, check its hash, and write it where the files need it, with synchronous calls.
 * Nothing is written for a blob that is not intact: the main thread then tries another copy, or
 * leaves the files that need it out.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { Encoding, decodeBlob, sha256 } from '../repository/format';
import { fsPath } from '../repository/byte-names';
import {
  smallFileWritesOn,
  writeFullySync,
  writeSmallFile
} from './small-file';

/** Where one blob goes: a whole small file (created here), or a piece of a temp file that exists. */
export interface IJobPiece {
  /** The file's number in the main thread's list, reported back. */
  file: number;
  offset: number;
  tmp: string;
  /** Set for a file of this one small blob (SMALL_FILE at most), written whole here. */
  whole?: { path: string; mode: number; mtime?: number };
}

export interface IJobBlob {
  id: string;
  encoding: Encoding;
  rawLength: number;
  /** Where its bytes are in the span. */
  from: number;
  length: number;
  pieces: IJobPiece[];
}

export interface ISpanJob {
  bytes: Uint8Array;
  blobs: IJobBlob[];
}

export interface IPieceDone {
  file: number;
  /** Bytes written, or left as a hole. */
  written: number;
  hole: boolean;
  /** The file was written whole and renamed into place. */
  whole: boolean;
}

export interface IFailure {
  code?: string;
  message: string;
}

export interface ISpanResult {
  done: IPieceDone[];
  /** Blobs (by their place in the job) that did not decode to their hash: nothing was written. */
  corrupt: number[];
  /** Pieces that could not be written (a temp file removed because its file failed meanwhile). */
  pieceErrors: (IFailure & { file: number })[];
  /** A full disk or quota: the job stopped there. */
  fatal?: IFailure;
  /** Small files are slow to write one by one here (network storage): write them the other way. */
  slow: boolean;
  /** The job's bytes, given back (their buffer is moved, not copied). */
  bytes?: Uint8Array;
}

let zeros = Buffer.alloc(0);

/** A blob of zeros (what a sparse file's holes back up as) is left as a hole, not written. */
export function isHole(data: Buffer): boolean {
  if (data.length < 4096) {
    return false;
  }
  if (zeros.length < data.length) {
    zeros = Buffer.alloc(data.length);
  }
  return data.equals(zeros.subarray(0, data.length));
}

/** A piece into a temp file the main thread created (never a new file: see pack-writer.ts). */
function writePiece(tmp: string, data: Buffer, position: number): void {
  const fd = openSync(fsPath(tmp), constants.O_WRONLY | constants.O_NOFOLLOW);
  try {
    writeFullySync(fd, data, position);
  } finally {
    // A write the storage refuses late fails the close.
    closeSync(fd);
  }
}

const failure = (err: unknown): IFailure => ({
  code: (err as NodeJS.ErrnoException).code,
  message: (err as Error).message
});

export const isFullDisk = (code: string | undefined) =>
  code === 'ENOSPC' || code === 'EDQUOT';

export function writeSpanJob(job: ISpanJob): ISpanResult {
  const span = Buffer.from(
    job.bytes.buffer,
    job.bytes.byteOffset,
    job.bytes.byteLength
  );
  const result: ISpanResult = {
    done: [],
    corrupt: [],
    pieceErrors: [],
    slow: false
  };
  for (const [n, blob] of job.blobs.entries()) {
    let data: Buffer | undefined;
    try {
      data = decodeBlob(
        span.subarray(blob.from, blob.from + blob.length),
        blob.encoding,
        { rawLength: blob.rawLength }
      );
    } catch {
      data = undefined;
    }
    if (data === undefined || sha256(data) !== blob.id) {
      result.corrupt.push(n);
      continue;
    }
    const hole = isHole(data);
    for (const piece of blob.pieces) {
      try {
        if (piece.whole) {
          const { path, mode, mtime } = piece.whole;
          writeSmallFile(piece.tmp, path, data, mode, mtime, { hole });
        } else if (!hole) {
          writePiece(piece.tmp, data, piece.offset);
        }
        result.done.push({
          file: piece.file,
          written: data.length,
          hole: hole && !piece.whole,
          whole: piece.whole !== undefined
        });
      } catch (err) {
        const why = failure(err);
        if (isFullDisk(why.code)) {
          result.fatal = why;
          return result;
        }
        result.pieceErrors.push({ ...why, file: piece.file });
      }
    }
  }
  result.slow = !smallFileWritesOn();
  return result;
}
