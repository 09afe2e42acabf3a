import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
  S3ServiceException
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
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

async function bodyToBuffer(body: unknown): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** Objects above this size are uploaded in parts of PART_SIZE (@aws-sdk/lib-storage). */
const MULTIPART_THRESHOLD = 8 * 1024 * 1024;
const PART_SIZE = 8 * 1024 * 1024;

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
    const client = new S3Client({
      // Local S3 servers (and the emulator in tests) are addressed by path, not by virtual host.
      forcePathStyle: Boolean(
        process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL
      ),
      maxAttempts: 8
    });
    return new S3Backend(client, bucket, prefix);
  }

  private k(key: string): string {
    return this.base + key;
  }

  async get(key: string): Promise<Buffer> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.k(key) })
      );
      return await bodyToBuffer(out.Body);
    } catch (err) {
      throw this.mapped(err, key, `reading ${key}`);
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.k(key),
          Range: `bytes=${offset}-${offset + length - 1}`
        })
      );
      const data = await bodyToBuffer(out.Body);
      if (data.length !== length) {
        throw new StorageError(
          `Object ${key} is shorter than expected: run "studio-backup check".`,
          'corrupt'
        );
      }
      return data;
    } catch (err) {
      throw this.mapped(err, key, `reading ${key}`);
    }
  }

  async getStream(key: string): Promise<Readable> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.k(key) })
      );
      return out.Body as Readable;
    } catch (err) {
      throw this.mapped(err, key, `reading ${key}`);
    }
  }

  async put(
    key: string,
    body: Buffer,
    options: { ifAbsent?: boolean } = {}
  ): Promise<void> {
    if (body.length > MULTIPART_THRESHOLD && !options.ifAbsent) {
      // Large packs go up in parts, in parallel, each retried on its own.
      return this.putStream(key, body);
    }
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.k(key),
          Body: body,
          ...(options.ifAbsent ? { IfNoneMatch: '*' } : {})
        })
      );
    } catch (err) {
      const status = (err as S3ServiceException).$metadata?.httpStatusCode;
      if (
        options.ifAbsent &&
        (status === 412 || (err as Error).name === 'PreconditionFailed')
      ) {
        throw new AlreadyExistsError(key);
      }
      throw this.mapped(err, key, `writing ${key}`);
    }
  }

  async putStream(key: string, body: Readable | Buffer): Promise<void> {
    try {
      await new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: this.k(key), Body: body },
        partSize: PART_SIZE,
        queueSize: 4
      }).done();
    } catch (err) {
      throw this.mapped(err, key, `writing ${key}`);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.k(key) })
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
      yield* paginateListObjectsV2(
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
          lastModified: item.LastModified ?? new Date(0)
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
        new DeleteObjectCommand({ Bucket: this.bucket, Key: this.k(key) })
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
