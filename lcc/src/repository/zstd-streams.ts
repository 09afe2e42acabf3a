/**
 * zstd compression through a few long-lived zlib streams, one frame a blob (ZSTD_e_end). A new
 * zstd context costs the main thread some 100-150 µs to set up (more than compressing a notebook
 * takes): a backup of 5,000 notebooks paid that 5,000 times. A stream keeps its context, and each
 * frame still decodes on its own. Each frame is checked whole (its blocks walked to the last one)
 * before it is used, so output that strayed from one blob to the next is never stored.
 */
import * as zlib from 'node:zlib';

type ZstdStream = zlib.Gzip; // the shape that matters here: write, flush, on('data'|'error')

const zstdLib = zlib as unknown as {
  createZstdCompress?: (options: object) => ZstdStream;
  constants: Record<string, number>;
};

/** Where the zstd frame that starts at `at` ends, or -1 if it is not complete there. */
function frameEnd(bytes: Buffer, at: number): number {
  if (bytes.length < at + 6 || bytes.readUInt32LE(at) !== 0xfd2fb528) {
    return -1;
  }
  const descriptor = bytes[at + 4];
  const singleSegment = (descriptor >> 5) & 1;
  const checksum = (descriptor >> 2) & 1;
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 3];
  const contentSizeBytes = [singleSegment, 2, 4, 8][descriptor >> 6];
  let p = at + 5 + (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes;
  for (;;) {
    if (p + 3 > bytes.length) {
      return -1;
    }
    const header = bytes.readUIntLE(p, 3);
    const type = (header >> 1) & 3;
    if (type === 3) {
      return -1;
    }
    p += 3 + (type === 1 ? 1 : header >>> 3);
    if (header & 1) {
      p += checksum ? 4 : 0;
      return p <= bytes.length ? p : -1;
    }
  }
}

/** The frame zstd writes for no input at all: magic, single segment of size 0, one empty last block. */
const EMPTY_FRAME = Buffer.from('28b52ffd2000010000', 'hex');

/**
 * The blob's frame when `output` is one complete frame, followed by nothing but empty frames;
 * undefined otherwise. zlib asks zstd once more whenever a flush fills its output buffer exactly,
 * and zstd, its frame ended, answers that with an empty frame: those are dropped.
 */
export function wholeZstdFrame(output: Buffer): Buffer | undefined {
  const end = frameEnd(output, 0);
  if (end < 0) {
    return undefined;
  }
  for (let at = end; at < output.length; at += EMPTY_FRAME.length) {
    if (!output.subarray(at, at + EMPTY_FRAME.length).equals(EMPTY_FRAME)) {
      return undefined;
    }
  }
  return end === output.length ? output : output.subarray(0, end);
}

interface IJob {
  resolve: (frame: Buffer) => void;
  reject: (err: Error) => void;
  flushed: boolean;
}

/**
 * zlib may hand out the last output of a write after the write's callback (a stream's buffered
 * data is emitted on the next tick): a blob is done once its write has called back and what came
 * out is one whole frame, checked again as late output arrives and once more a turn later.
 */
class FrameStream {
  private chunks: Buffer[] = [];
  private job: IJob | undefined;
  private failed: Error | undefined;
  private readonly stream: ZstdStream;

  constructor(create: (options: object) => ZstdStream, level: number) {
    this.stream = create({
      chunkSize: 64 * 1024,
      // Each write is a whole blob and ends its frame: zstd, given all of it at once, writes its
      // size in the frame header, and a decoder with an output of that size then decodes in one
      // pass straight into it. Without the size, every blob's decoding allocated and filled a
      // window buffer of some 900 KiB and copied out of it (a restore's mmaps and page faults).
      flush: zstdLib.constants.ZSTD_e_end,
      params: { [zstdLib.constants.ZSTD_c_compressionLevel]: level }
    });
    this.stream.on('data', (d: Buffer) => {
      this.chunks.push(d);
      if (!this.job) {
        this.fail(new Error('zstd output arrived outside a blob'));
      } else if (this.job.flushed) {
        this.finish();
      }
    });
    this.stream.on('error', (err: Error) => this.fail(err));
  }

  get broken(): boolean {
    return this.failed !== undefined;
  }

  private fail(err: Error): void {
    this.failed ??= err;
    const job = this.job;
    this.job = undefined;
    job?.reject(this.failed);
  }

  /** Resolves the blob if its frame is whole; returns whether it was. */
  private finish(): boolean {
    const frame = wholeZstdFrame(Buffer.concat(this.chunks));
    if (!this.job || !frame) {
      return false;
    }
    const job = this.job;
    this.job = undefined;
    this.chunks = [];
    job.resolve(frame);
    return true;
  }

  compress(data: Buffer): Promise<Buffer> {
    if (this.failed) {
      return Promise.reject(this.failed);
    }
    return new Promise((resolve, reject) => {
      const job: IJob = { resolve, reject, flushed: false };
      this.job = job;
      this.stream.write(data, () => {
        job.flushed = true;
        if (this.job === job && !this.finish()) {
          setImmediate(() => {
            if (this.job === job && !this.finish()) {
              this.fail(new Error('zstd stream gave an incomplete frame'));
            }
          });
        }
      });
    });
  }
}

/** At most `size` streams, each compressing one blob at a time; undefined without zlib zstd. */
export function zstdCompressor(
  size = 4,
  level = 1
): ((data: Buffer) => Promise<Buffer>) | undefined {
  const create = zstdLib.createZstdCompress;
  if (!create) {
    return undefined;
  }
  const idle: FrameStream[] = [];
  const waiting: ((s: FrameStream) => void)[] = [];
  let made = 0;
  const acquire = (): Promise<FrameStream> => {
    const ready = idle.pop();
    if (ready) {
      return Promise.resolve(ready);
    }
    if (made < size) {
      made++;
      return Promise.resolve(new FrameStream(create, level));
    }
    return new Promise(resolve => waiting.push(resolve));
  };
  const release = (s: FrameStream) => {
    if (s.broken) {
      // Never reused: the next blob gets a new stream.
      s = new FrameStream(create, level);
    }
    const next = waiting.shift();
    if (next) {
      next(s);
    } else {
      idle.push(s);
    }
  };
  return async data => {
    const s = await acquire();
    try {
      return await s.compress(data);
    } finally {
      release(s);
    }
  };
}
