import { Readable } from 'node:stream';

/** One stored object, as listed by a backend. */
export interface IObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
  /** S3's ETag: the same for the same bytes uploaded the same way (lets an import skip re-reading them). */
  etag?: string;
}

/**
 * The storage a repository lives in: S3 or a local directory. Keys are relative to the
 * repository root and use "/" as separator.
 */
export interface IBackend {
  /** Where it is, as shown to users. */
  readonly url: string;
  get(key: string): Promise<Buffer>;
  /**
   * Bytes [offset, offset + length) of an object; read into the start of `into` when given (at
   * least `length` bytes long), so that a restore can use the same few buffers again.
   */
  getRange(
    key: string,
    offset: number,
    length: number,
    into?: Buffer
  ): Promise<Buffer>;
  getStream(key: string): Promise<Readable>;
  /**
   * Bytes [offset, offset + length) of an object as they arrive, for a remote store where each
   * request costs (a restore reads many spans in one); resumed where it broke off, like getStream.
   */
  getRangeStream?(
    key: string,
    offset: number,
    length: number
  ): Promise<AsyncIterable<Buffer>>;
  /**
   * A URL that GETs the object without credentials for a while (a presigned URL on S3), for a
   * restore's writer threads to read their spans themselves (restore/run-fetch.ts).
   */
  presignGet?(key: string): Promise<string>;
  /** Writes an object whole; with `ifAbsent`, fails with {@link AlreadyExistsError} when the key exists. */
  put(
    key: string,
    body: Buffer,
    options?: { ifAbsent?: boolean }
  ): Promise<void>;
  /** Streams a possibly large object (multipart on S3). */
  putStream(key: string, body: Readable | Buffer): Promise<void>;
  exists(key: string): Promise<boolean>;
  list(prefix: string): AsyncIterable<IObjectInfo>;
  /** Lists the "folders" directly under a prefix (keys up to the next "/"). */
  listFolders(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /** Removes the half-written temporaries of writers that died, older than `ageMs` (file:// only). */
  removeStaleTemporaries?(ageMs: number): Promise<void>;
}

/** A failure a person can act on; the message is one line saying what failed and what to do. */
export class StorageError extends Error {
  constructor(
    message: string,
    readonly code: string = 'storage'
  ) {
    super(message);
  }
}

export class NotFoundError extends StorageError {
  constructor(readonly key: string) {
    super(`Object ${key} is missing from the repository.`, 'not-found');
  }
}

export class AlreadyExistsError extends StorageError {
  constructor(readonly key: string) {
    super(`Object ${key} already exists.`, 'exists');
  }
}
