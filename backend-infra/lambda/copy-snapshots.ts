/**
 * One batch of the request processor's distributed map: copies objects of a former profile's
 * repository into the requester's, server-side, so the requester's agent can restore them (IAM lets
 * a session read only its own profile's prefix).
 *
 * Merging two repositories is safe because everything but `config` and `locks/` is written once
 * under a content hash (packs, index files, manifests) or a timestamp (the reference's copies):
 * - `locks/` is never copied (a lock belongs to the repository that took it);
 * - `config` is copied only when the target has none, after checking the source's format; blob ids
 *   are SHA-256 of content whatever the chunker, so the target keeps its own;
 * - an object already in the target with the same size is left alone, so a retried batch or a second
 *   request copies nothing twice.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCopyCommand,
  AbortMultipartUploadCommand
} from '@aws-sdk/client-s3';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import pLimit from 'p-limit';
import { REFERENCE_TIMESTAMP } from '../../lcc/src/api/layout';

/** CopyObject takes up to 5 GiB; larger objects (the reference's plain copies) go in parts. */
const COPY_LIMIT = 5 * 1024 ** 3;
const PART_SIZE = 512 * 1024 ** 2;

export interface ICopyBatch {
  Items: Array<{ Key: string; Size: number }>;
  BatchInput: {
    bucket: string;
    /** `<prefix>/<from profile>/` or `<prefix>/<from profile>/<space>/` */
    source_prefix: string;
    /** `<prefix>/<requester>/<space>/` */
    target_prefix: string;
    /** true when source_prefix is the whole profile: the space folder is dropped from each key. */
    all_spaces: boolean;
    /** The one reference copy of each space that is copied (plan-copy.ts); older ones are left. */
    keep_reference?: Record<string, string>;
  };
}

export interface ICopyResult {
  copied: number;
  skipped: number;
  bytes: number;
}

export interface ICopyOptions {
  copyLimit?: number;
  partSize?: number;
  concurrency?: number;
}

/** The key relative to the target repository, or undefined for what is never copied. */
export function relativeKey(
  key: string,
  input: ICopyBatch['BatchInput']
): string | undefined {
  if (!key.startsWith(input.source_prefix)) {
    throw new Error(
      `${key} is not under ${input.source_prefix}: the batch does not belong to this request.`
    );
  }
  let rel = key.slice(input.source_prefix.length);
  let space = '';
  if (input.all_spaces) {
    const slash = rel.indexOf('/');
    space = slash < 0 ? '' : rel.slice(0, slash);
    rel = slash < 0 ? '' : rel.slice(slash + 1);
  }
  if (!rel || rel.endsWith('/') || rel.startsWith('locks/')) {
    return undefined;
  }
  const top = rel.split('/')[0];
  if (
    input.keep_reference &&
    REFERENCE_TIMESTAMP.test(top) &&
    input.keep_reference[space] !== top
  ) {
    return undefined;
  }
  if (rel.split('/').some(part => part === '..' || part === '.')) {
    throw new Error(`${key} has a "." or ".." component: refusing to copy it.`);
  }
  return rel;
}

/** CopySource is "bucket/key", URL-encoded part by part. */
const copySource = (bucket: string, key: string) =>
  `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

async function sizeOf(
  s3: S3Client,
  bucket: string,
  key: string
): Promise<number | undefined> {
  try {
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key })
    );
    return head.ContentLength ?? 0;
  } catch (err) {
    const status = (err as S3ServiceException).$metadata?.httpStatusCode;
    if (status === 404 || (err as Error).name === 'NotFound') {
      return undefined;
    }
    throw err;
  }
}

/** The source config must be one this format knows, or its packs would be misread. */
async function checkConfig(s3: S3Client, bucket: string, key: string) {
  const body = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: key })
  );
  const text = await body.Body!.transformToString();
  let config: { format?: string; version?: number };
  try {
    config = JSON.parse(text);
  } catch {
    throw new Error(`${key} is not JSON: not a Studio Backup repository.`);
  }
  if (config.format !== 'studio-backup' || config.version !== 1) {
    throw new Error(
      `${key} is format ${config.format} version ${config.version}; this backend copies studio-backup version 1 only.`
    );
  }
}

async function copyInParts(
  s3: S3Client,
  bucket: string,
  from: string,
  to: string,
  size: number,
  partSize: number
): Promise<void> {
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: to })
  );
  try {
    const parts = [];
    for (let start = 0, n = 1; start < size; start += partSize, n++) {
      const end = Math.min(start + partSize, size) - 1;
      const part = await s3.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: to,
          UploadId,
          PartNumber: n,
          CopySource: copySource(bucket, from),
          CopySourceRange: `bytes=${start}-${end}`
        })
      );
      parts.push({ PartNumber: n, ETag: part.CopyPartResult?.ETag });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: to,
        UploadId,
        MultipartUpload: { Parts: parts }
      })
    );
  } catch (err) {
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: to, UploadId })
    );
    throw err;
  }
}

export async function copyBatch(
  s3: S3Client,
  batch: ICopyBatch,
  options: ICopyOptions = {}
): Promise<ICopyResult> {
  const { bucket } = batch.BatchInput;
  const limit = pLimit(options.concurrency ?? 16);
  const result: ICopyResult = { copied: 0, skipped: 0, bytes: 0 };
  await Promise.all(
    batch.Items.map(item =>
      limit(async () => {
        const rel = relativeKey(item.Key, batch.BatchInput);
        if (rel === undefined) {
          result.skipped++;
          return;
        }
        const to = batch.BatchInput.target_prefix + rel;
        const isConfig = rel === 'config';
        const existing = await sizeOf(s3, bucket, to);
        if (existing !== undefined && (isConfig || existing === item.Size)) {
          result.skipped++;
          return;
        }
        if (isConfig) {
          await checkConfig(s3, bucket, item.Key);
        }
        if (item.Size > (options.copyLimit ?? COPY_LIMIT)) {
          await copyInParts(
            s3,
            bucket,
            item.Key,
            to,
            item.Size,
            options.partSize ?? PART_SIZE
          );
        } else {
          await s3.send(
            new CopyObjectCommand({
              Bucket: bucket,
              Key: to,
              CopySource: copySource(bucket, item.Key)
            })
          );
        }
        result.copied++;
        result.bytes += item.Size;
      })
    )
  );
  return result;
}

/** An item as the map's ItemSelector shapes it: the listed object and where it goes. */
export interface IMapItem {
  Key: string;
  Size: number;
  copy: Omit<ICopyBatch['BatchInput'], 'bucket'> & {
    /** The request whose row counts the bytes and objects copied so far. */
    request?: { user_profile_name: string; request_id: string };
  };
}

/** Adds a batch's copies to the request row, which the panel shows while the map runs. */
export async function countOnRequest(
  dynamodb: DynamoDBClient,
  table: string,
  request: { user_profile_name: string; request_id: string },
  result: ICopyResult
): Promise<void> {
  await dynamodb.send(
    new UpdateItemCommand({
      TableName: table,
      Key: marshall(request),
      UpdateExpression: 'ADD bytes_copied :b, objects_copied :n',
      ExpressionAttributeValues: marshall({
        ':b': result.bytes,
        ':n': result.copied
      })
    })
  );
}

const s3 = new S3Client({});
const dynamodb = new DynamoDBClient({});

export async function handler(event: {
  Items: IMapItem[];
}): Promise<ICopyResult> {
  const [first] = event.Items;
  if (!first) {
    return { copied: 0, skipped: 0, bytes: 0 };
  }
  if (
    event.Items.some(i => JSON.stringify(i.copy) !== JSON.stringify(first.copy))
  ) {
    throw new Error(
      'A batch mixes objects of two requests: refusing to copy it.'
    );
  }
  const { request, ...spec } = first.copy;
  const result = await copyBatch(s3, {
    Items: event.Items.map(({ Key, Size }) => ({ Key, Size })),
    BatchInput: { ...spec, bucket: process.env.BACKUP_BUCKET! }
  });
  if (request && process.env.REQUESTS_TABLE) {
    await countOnRequest(dynamodb, process.env.REQUESTS_TABLE, request, result);
  }
  return result;
}
