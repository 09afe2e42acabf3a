/**
 * The first step of a maintenance run: every repository in the bucket, `<prefix>/<profile>/<space>`,
 * found by listing "folders" (ListObjectsV2 with a delimiter: one request per 1,000 profiles, then
 * one per profile), written as a JSON array for the distributed map's ItemReader. The bucket is the
 * source of truth: a deleted profile's repository, which no profile table lists any more, still
 * needs its retention applied.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { RUNS_PREFIX } from '../core/bucket-layout';
import { folders } from '../core/plan-copy';

export interface IListEvent {
  /** Names the list object; the state machine passes its execution name. */
  run: string;
}

export interface IListResult {
  bucket: string;
  key: string;
  repositories: number;
}

export async function listRepositories(
  s3: S3Client,
  bucket: string,
  root: string,
  run: string
): Promise<IListResult> {
  if (!/^[A-Za-z0-9_.:-]+$/.test(run)) {
    throw new Error(
      `"${run}" cannot name a run's list: letters, digits, _ . : - only.`
    );
  }
  const limit = pLimit(16);
  const profiles = await folders(s3, bucket, `${root}/`);
  const spaces = await Promise.all(
    profiles.map(profile =>
      limit(async () =>
        (await folders(s3, bucket, `${root}/${profile}/`)).map(space => ({
          prefix: `${root}/${profile}/${space}`
        }))
      )
    )
  );
  const items = spaces.flat();
  const key = `${RUNS_PREFIX}${run}.json`;
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(items),
      ContentType: 'application/json'
    })
  );
  return { bucket, key, repositories: items.length };
}

let s3: S3Client | undefined;

export async function handler(event: IListEvent): Promise<IListResult> {
  s3 ??= new S3Client({});
  return listRepositories(
    s3,
    process.env.BACKUP_BUCKET!,
    process.env.BACKUP_PREFIX!,
    event.run
  );
}
