/**
 * New Studio (EBS) spaces: when a space is created with the name of one that has snapshots in the
 * bucket (<prefix>/<owner profile>/<space>/), tag it studio-backup:restore=latest, so the lifecycle
 * configuration restores the latest snapshot into restored-files/ at its first start and then
 * removes the tag (lcc/src/studio/restore-at-start.ts).
 */
import { AddTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { RESTORE_TAG } from '../../lcc/src/api/layout';

export { RESTORE_TAG };

export interface IPendingRestoreDeps {
  s3: S3Client;
  sagemaker: SageMakerClient;
  bucket: string;
  prefix: string;
}

/** Does the repository of this space hold any snapshot (ours, or the reference script's copies)? */
export async function hasSnapshots(
  deps: IPendingRestoreDeps,
  profile: string,
  space: string
): Promise<boolean> {
  const base = `${deps.prefix.replace(/\/+$/, '')}/${profile}/${space}/`;
  for (const prefix of [`${base}snapshots/`, base]) {
    const page = await deps.s3.send(
      new ListObjectsV2Command({
        Bucket: deps.bucket,
        Prefix: prefix,
        MaxKeys: 1
      })
    );
    if ((page.KeyCount ?? 0) > 0) {
      return true;
    }
  }
  return false;
}

/** Tags the created space when it has snapshots; returns whether it did. */
export async function markPendingRestore(
  deps: IPendingRestoreDeps,
  space: { arn: string; owner: string; name: string }
): Promise<boolean> {
  if (!space.owner || !(await hasSnapshots(deps, space.owner, space.name))) {
    return false;
  }
  await deps.sagemaker.send(
    new AddTagsCommand({
      ResourceArn: space.arn,
      Tags: [{ Key: RESTORE_TAG, Value: 'latest' }]
    })
  );
  return true;
}
