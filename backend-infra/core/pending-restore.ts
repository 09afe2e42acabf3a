/**
 * New Studio (EBS) spaces: when a space is created with the name of one that has snapshots in the
 * bucket (<prefix>/<owner profile>/<space>/), tag it studio-backup:restore=latest, so the lifecycle
 * configuration restores the latest snapshot into restored-files/ at its first start and then
 * removes the tag (lcc/src/studio/restore-at-start.ts).
 */
import { AddTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { REFERENCE_TIMESTAMP, RESTORE_TAG } from '../../lcc/src/api/layout';

export { RESTORE_TAG };

export interface IPendingRestoreDeps {
  s3: S3Client;
  sagemaker: SageMakerClient;
  bucket: string;
  prefix: string;
}

/**
 * Does the repository of this space hold any snapshot: a manifest of ours, or a copy of the
 * reference script (a `<YYYY-MM-DD-HH-MM-SS>/` folder)? A repository with packs and no manifest
 * (a copy that failed half-way) holds none.
 */
export async function hasSnapshots(
  deps: IPendingRestoreDeps,
  profile: string,
  space: string
): Promise<boolean> {
  const base = `${deps.prefix.replace(/\/+$/, '')}/${profile}/${space}/`;
  const ours = await deps.s3.send(
    new ListObjectsV2Command({
      Bucket: deps.bucket,
      Prefix: `${base}snapshots/`,
      MaxKeys: 1
    })
  );
  if ((ours.KeyCount ?? 0) > 0) {
    return true;
  }
  let token: string | undefined;
  do {
    const page = await deps.s3.send(
      new ListObjectsV2Command({
        Bucket: deps.bucket,
        Prefix: base,
        Delimiter: '/',
        ContinuationToken: token
      })
    );
    if (
      (page.CommonPrefixes ?? []).some(p =>
        REFERENCE_TIMESTAMP.test(
          (p.Prefix ?? '').slice(base.length).replace(/\/$/, '')
        )
      )
    ) {
      return true;
    }
    token = page.NextContinuationToken;
  } while (token);
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
