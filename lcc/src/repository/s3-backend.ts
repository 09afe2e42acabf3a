import type {
  GetObjectCommandOutput,
  S3Client,
  S3ServiceException
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import {
  AlreadyExistsError,
  IBackend,
  IObjectInfo,
  NotFoundError,
  StorageError
} from './backend';

/** Turns an AWS failure into one line that says what failed and what to do. */
export function s3Error(err: unknown, bucket: string, what: string): Error {
  if (err instanceof StorageError) {
    return err;
  }
  const e = err as S3ServiceException & { code?: string };
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  if (name === 'NoSuchBucket') {
    return new StorageError(
      `Bucket ${bucket} does not exist: create it or fix --repo.`,
      'no-bucket'
    );
  }
  if (name === 'AccessDenied' || status === 403) {
    return new StorageError(
      `Access denied to s3://${bucket} while ${what}: check the execution role's S3 permissions for this prefix.`,
      'access-denied'
    );
  }
  if (
    [
      'ExpiredToken',
      'ExpiredTokenException',
      'TokenRefreshRequired',
      'RequestExpired'
    ].includes(name)
  ) {
    return new StorageError(
      `The AWS credentials have expired while ${what}: refresh them and retry.`,
      'expired-credentials'
    );
  }
  if (
    name === 'CredentialsProviderError' ||
    /Could not load credentials/i.test(e.message ?? '')
  ) {
    return new StorageError(
      'No AWS credentials found: run inside Studio, or set AWS_PROFILE / AWS_ACCESS_KEY_ID, then retry.',
      'no-credentials'
    );
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'].includes(e.code ?? '')) {
    return new StorageError(
      `Cannot reach S3 while ${what} (${e.code}): check the network or AWS_ENDPOINT_URL.`,
      'network'
    );
  }
  return new StorageError(
    `S3 failed while ${what}: ${e.message ?? String(err)}`,
    's3'
  );
}

/** The socket's chunks are Buffers already: wrapped, not copied (Buffer.from would copy each). */
const asBuffer = (chunk: Uint8Array) =>
  Buffer.isBuffer(chunk)
    ? chunk
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);

async function bodyToBuffer(body: unknown, into?: Buffer): Promise<Buffer> {
  if (into) {
    let at = 0;
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      if (at + chunk.byteLength > into.length) {
        throw new Error('the body is longer than the range asked for');
      }
      into.set(chunk, at);
      at += chunk.byteLength;
    }
    return into.subarray(0, at);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    chunks.push(asBuffer(chunk));
  }
  return Buffer.concat(chunks);
}

interface IRange {
  offset: number;
  length: number;
}

/** A GET whose body breaks off or comes back short is made this many times in all. */
const BODY_ATTEMPTS = 5;
const BODY_BACKOFF_MS = 200;
/**
 * A GET that still fails transiently once the SDK's own attempts (maxAttempts) are spent, as in a
 * burst of 503s, is sent again this many times in all, after a pause.
 */
const REQUEST_ROUNDS = 2;
const REQUEST_BACKOFF_MS = 2000;
/** The SDK's attempts at each request (its standard retry strategy, with backoff). */
const SDK_MAX_ATTEMPTS = 8;
/** The most times one GET is sent while S3 keeps failing it transiently: a longer outage fails the read. */
export const GET_ATTEMPTS = SDK_MAX_ATTEMPTS * REQUEST_ROUNDS;

/**
 * STUDIO_BACKUP_RETRY_PAUSE_SCALE (0 < scale ≤ 1, default 1) shortens every pause between retries,
 * the SDK's and ours, without changing how many attempts are made: tests that inject outages longer
 * than every retry set it low, so that waiting the outage out takes milliseconds, not a minute.
 */
function pauseScale(): number {
  const scale = Number(process.env.STUDIO_BACKUP_RETRY_PAUSE_SCALE);
  return scale > 0 && scale < 1 ? scale : 1;
}

/** The SDK's own backoff (exponential, full jitter, 20 s cap, its base per error type), scaled. */
class ScaledBackoff {
  private base = 50;
  constructor(private readonly scale: number) {}
  setDelayBase(ms: number): void {
    this.base = ms;
  }
  computeNextBackoffDelay(n: number): number {
    return Math.floor(
      this.scale * Math.min(20_000, Math.random() * 2 ** n * this.base)
    );
  }
}

/** Exponential backoff with jitter: about base × 2^(n-1), at most 10 s. */
function pause(baseMs: number, n: number): Promise<void> {
  const ms =
    pauseScale() *
    Math.min(10_000, baseMs * 2 ** (n - 1)) *
    (0.5 + Math.random() / 2);
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** Throttling, a server error or a broken connection: worth another try after a pause. */
function transient(err: unknown): boolean {
  const e = err as S3ServiceException & { code?: string };
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    status >= 500 ||
    status === 429 ||
    [
      'SlowDown',
      'Throttling',
      'ThrottlingException',
      'RequestTimeout',
      'TimeoutError'
    ].includes(e.name ?? '') ||
    ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(e.code ?? '')
  );
}

function oneLine(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).replace(/\s+/g, ' ').trim();
}

function destroyBody(body: unknown): void {
  (body as { destroy?: () => void } | undefined)?.destroy?.();
}

function shorterThanExpected(key: string): StorageError {
  return new StorageError(
    `Object ${key} is shorter than expected: run "studio-backup check".`,
    'corrupt'
  );
}

function bodyFailed(
  bucket: string,
  key: string,
  failure: string
): StorageError {
  return new StorageError(
    `S3 failed while reading ${key} from s3://${bucket}: ${failure}, ${BODY_ATTEMPTS} times; check the network and retry.`,
    's3'
  );
}

/** Objects above this size are uploaded in parts of PART_SIZE (@aws-sdk/lib-storage). */
const MULTIPART_THRESHOLD = 8 * 1024 * 1024;
const PART_SIZE = 8 * 1024 * 1024;

/**
 * The SDK is loaded on first use: requiring it costs about half a second, which every command that
 * does not touch S3 (--version, --help, a local repository) would otherwise pay at start-up.
 */
function s3Sdk(): typeof import('@aws-sdk/client-s3') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@aws-sdk/client-s3');
}

function retrySdk(): typeof import('@smithy/core/retry') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@smithy/core/retry');
}

function presignSdk(): typeof import('@aws-sdk/s3-request-presigner') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@aws-sdk/s3-request-presigner');
}

/** How long a presigned GET is good for: a restore asks again for each run after a while. */
export const PRESIGNED_FOR_S = 3600;

function uploadSdk(): typeof import('@aws-sdk/lib-storage') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@aws-sdk/lib-storage');
}

/** A repository under s3://bucket/prefix, with the standard credential, region and endpoint chain. */
export class S3Backend implements IBackend {
  readonly url: string;
  private readonly base: string;

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    prefix: string
  ) {
    this.base = prefix === '' ? '' : `${prefix}/`;
    this.url = `s3://${bucket}/${prefix}`.replace(/\/$/, '');
  }

  static create(bucket: string, prefix: string): S3Backend {
    const scale = pauseScale();
    const client = new (s3Sdk().S3Client)({
      // Local S3 servers (and the emulator in tests) are addressed by path, not by virtual host.
      forcePathStyle: Boolean(
        process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL
      ),
      ...(scale === 1
        ? { maxAttempts: SDK_MAX_ATTEMPTS }
        : {
            retryStrategy: new (retrySdk().StandardRetryStrategy)({
              maxAttempts: SDK_MAX_ATTEMPTS,
              backoff: new ScaledBackoff(scale)
            })
          })
    });
    return new S3Backend(client, bucket, prefix);
  }

  private k(key: string): string {
    return this.base + key;
  }

  async get(key: string): Promise<Buffer> {
    return this.read(key);
  }

  async getRange(
    key: string,
    offset: number,
    length: number,
    into?: Buffer
  ): Promise<Buffer> {
    return this.read(key, { offset, length }, into);
  }

  /**
   * The object as a stream whose length is checked against its Content-Length: when the body breaks
   * off, the rest is fetched again from where it stopped (a ranged GET of the same ETag).
   */
  async getStream(key: string): Promise<Readable> {
    const first = await this.send(key, undefined);
    return Readable.from(this.resumed(key, first), { objectMode: false });
  }

  async getRangeStream(
    key: string,
    offset: number,
    length: number
  ): Promise<AsyncIterable<Buffer>> {
    const range = { offset, length };
    return this.resumed(key, await this.sendRange(key, range), range);
  }

  async presignGet(key: string): Promise<string> {
    try {
      return await presignSdk().getSignedUrl(
        this.client,
        new (s3Sdk().GetObjectCommand)({
          Bucket: this.bucket,
          Key: this.k(key)
        }),
        { expiresIn: PRESIGNED_FOR_S }
      );
    } catch (err) {
      throw s3Error(err, this.bucket, `signing a read of ${key}`);
    }
  }

  /** The GetObject of `range`: an object shorter than it is corrupt, its body not read. */
  private async sendRange(
    key: string,
    range: IRange | undefined
  ): Promise<GetObjectCommandOutput> {
    const out = await this.send(key, range);
    const expected = out.ContentLength;
    if (range && expected !== undefined && expected < range.length) {
      destroyBody(out.Body);
      throw shorterThanExpected(key);
    }
    return out;
  }

  /**
   * One GET, with the SDK's retries around the request and this method's around the body: a body
   * that breaks off or comes back shorter than its Content-Length is fetched again, and a range
   * that the object does not hold is a corrupt repository.
   */
  private async read(
    key: string,
    range?: IRange,
    into?: Buffer
  ): Promise<Buffer> {
    let failure = '';
    for (let attempt = 1; attempt <= BODY_ATTEMPTS; attempt++) {
      if (attempt > 1) {
        await pause(BODY_BACKOFF_MS, attempt - 1);
      }
      const out = await this.sendRange(key, range);
      const expected = out.ContentLength;
      let data: Buffer;
      try {
        data = await bodyToBuffer(out.Body, into);
      } catch (err) {
        destroyBody(out.Body);
        failure = `the transfer broke off (${oneLine(err)})`;
        continue;
      }
      if (expected !== undefined && data.length !== expected) {
        failure = `${data.length} of ${expected} bytes arrived`;
        continue;
      }
      if (range && data.length !== range.length) {
        throw shorterThanExpected(key);
      }
      return data;
    }
    throw bodyFailed(this.bucket, key, failure);
  }

  /** The GetObject request, tried again after a pause if S3 still fails transiently once the SDK gave up. */
  private async send(
    key: string,
    range: IRange | undefined,
    from?: { offset: number; etag?: string }
  ): Promise<GetObjectCommandOutput> {
    const start = from?.offset ?? range?.offset;
    const header =
      range !== undefined
        ? `bytes=${start}-${range.offset + range.length - 1}`
        : start !== undefined
          ? `bytes=${start}-`
          : undefined;
    for (let round = 1; ; round++) {
      try {
        return await this.client.send(
          new (s3Sdk().GetObjectCommand)({
            Bucket: this.bucket,
            Key: this.k(key),
            Range: header,
            IfMatch: from?.etag
          })
        );
      } catch (err) {
        const status = (err as S3ServiceException).$metadata?.httpStatusCode;
        if (header !== undefined && status === 416) {
          throw shorterThanExpected(key);
        }
        if (from?.etag !== undefined && status === 412) {
          throw new StorageError(
            `Object ${key} changed while it was being read: retry.`,
            's3'
          );
        }
        if (round >= REQUEST_ROUNDS || !transient(err)) {
          throw this.mapped(err, key, `reading ${key}`);
        }
        await pause(REQUEST_BACKOFF_MS, round);
      }
    }
  }

  /** The body of `first`, then of ranged GETs for the rest whenever it breaks off before its end. */
  private async *resumed(
    key: string,
    first: GetObjectCommandOutput,
    range?: IRange
  ): AsyncGenerator<Buffer> {
    const total = first.ContentLength;
    const etag = first.ETag;
    let out = first;
    let received = 0;
    let failure = '';
    for (let attempt = 1; ; attempt++) {
      try {
        for await (const chunk of out.Body as AsyncIterable<Uint8Array>) {
          received += chunk.length;
          yield asBuffer(chunk);
        }
        if (total === undefined || received === total) {
          return;
        }
        failure = `${received} of ${total} bytes arrived`;
      } catch (err) {
        failure = `the transfer broke off (${oneLine(err)})`;
      } finally {
        destroyBody(out.Body);
      }
      if (total !== undefined && received > total) {
        throw new StorageError(
          `Object ${key} is longer than S3 said (${received} of ${total} bytes): run "studio-backup check".`,
          'corrupt'
        );
      }
      if (attempt >= BODY_ATTEMPTS) {
        throw bodyFailed(this.bucket, key, failure);
      }
      await pause(BODY_BACKOFF_MS, attempt);
      out = await this.send(key, range, {
        offset: (range?.offset ?? 0) + received,
        etag
      });
    }
  }

  async put(
    key: string,
    body: Buffer,
    options: { ifAbsent?: boolean } = {}
  ): Promise<void> {
    if (body.length > MULTIPART_THRESHOLD) {
      // Large packs go up in parts, in parallel, each retried on its own; If-None-Match rides on
      // CompleteMultipartUpload, where S3 checks it.
      return this.upload(key, body, options.ifAbsent ?? false);
    }
    try {
      await this.client.send(
        new (s3Sdk().PutObjectCommand)({
          Bucket: this.bucket,
          Key: this.k(key),
          Body: body,
          ...(options.ifAbsent ? { IfNoneMatch: '*' } : {})
        })
      );
    } catch (err) {
      throw this.writeError(err, key, options.ifAbsent ?? false);
    }
  }

  async putStream(key: string, body: Readable | Buffer): Promise<void> {
    return this.upload(key, body, false);
  }

  private async upload(
    key: string,
    body: Readable | Buffer,
    ifAbsent: boolean
  ): Promise<void> {
    try {
      await new (uploadSdk().Upload)({
        client: this.client,
        params: {
          Bucket: this.bucket,
          Key: this.k(key),
          Body: body,
          ...(ifAbsent ? { IfNoneMatch: '*' } : {})
        },
        partSize: PART_SIZE,
        queueSize: 4
      }).done();
    } catch (err) {
      throw this.writeError(err, key, ifAbsent);
    }
  }

  /** 412 on a conditional write: the key exists (for content-addressed keys, with this content). */
  private writeError(err: unknown, key: string, ifAbsent: boolean): Error {
    const status = (err as S3ServiceException).$metadata?.httpStatusCode;
    if (
      ifAbsent &&
      (status === 412 || (err as Error).name === 'PreconditionFailed')
    ) {
      return new AlreadyExistsError(key);
    }
    return this.mapped(err, key, `writing ${key}`);
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(
        new (s3Sdk().HeadObjectCommand)({
          Bucket: this.bucket,
          Key: this.k(key)
        })
      );
      return true;
    } catch (err) {
      const status = (err as S3ServiceException).$metadata?.httpStatusCode;
      if (status === 404 || (err as Error).name === 'NotFound') {
        return false;
      }
      throw this.mapped(err, key, `looking up ${key}`);
    }
  }

  /** Every page of a listing (the SDK's paginator), with failures as one-line errors. */
  private async *pages(prefix: string, delimiter?: string) {
    try {
      yield* s3Sdk().paginateListObjectsV2(
        { client: this.client },
        { Bucket: this.bucket, Prefix: this.k(prefix), Delimiter: delimiter }
      );
    } catch (err) {
      throw s3Error(err, this.bucket, `listing ${prefix || 'the repository'}`);
    }
  }

  async *list(prefix: string): AsyncIterable<IObjectInfo> {
    for await (const page of this.pages(prefix)) {
      for (const item of page.Contents ?? []) {
        yield {
          key: (item.Key ?? '').slice(this.base.length),
          size: item.Size ?? 0,
          lastModified: item.LastModified ?? new Date(0),
          ...(item.ETag ? { etag: item.ETag } : {})
        };
      }
    }
  }

  async listFolders(prefix: string): Promise<string[]> {
    const full = this.k(prefix);
    const folders: string[] = [];
    for await (const page of this.pages(prefix, '/')) {
      for (const p of page.CommonPrefixes ?? []) {
        folders.push((p.Prefix ?? '').slice(full.length).replace(/\/$/, ''));
      }
    }
    return folders.sort();
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(
        new (s3Sdk().DeleteObjectCommand)({
          Bucket: this.bucket,
          Key: this.k(key)
        })
      );
    } catch (err) {
      throw this.mapped(err, key, `deleting ${key}`);
    }
  }

  private mapped(err: unknown, key: string, what: string): Error {
    const status = (err as S3ServiceException).$metadata?.httpStatusCode;
    if (
      (err as Error).name === 'NoSuchKey' ||
      (status === 404 && (err as Error).name !== 'NoSuchBucket')
    ) {
      return new NotFoundError(key);
    }
    return s3Error(err, this.bucket, what);
  }
}
