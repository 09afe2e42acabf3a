/**
 * What a recovery from a former profile's S3 snapshots copies, decided before the copy starts:
 * every object of our format (deduplicated, cheap), but of the reference script's full copies
 * (`<space>/<YYYY-MM-DD-HH-MM-SS>/…`, one whole home each) only the newest of each space. And what
 * the space is tagged with afterwards: `latest@<profile>` when there are snapshots of ours, else the
 * newest reference timestamp, which the agent restores just as well.
 */
import { paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { REFERENCE_TIMESTAMP } from '../../lcc/src/api/layout';

export interface ICopyPlan {
  /** For each source space ('' when the source is one space), the reference copy to keep. */
  keep_reference: Record<string, string>;
  /** The snapshot to restore: latest@<profile>, or a reference timestamp. */
  restore: string;
}

/** The folder names directly under a prefix, every page of the listing. */
export async function folders(
  s3: S3Client,
  bucket: string,
  prefix: string
): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: prefix, Delimiter: '/' }
  )) {
    for (const p of page.CommonPrefixes ?? []) {
      names.push(p.Prefix!.slice(prefix.length, -1));
    }
  }
  return names;
}

export async function planCopy(
  s3: S3Client,
  bucket: string,
  source: { source_prefix: string; all_spaces: boolean; from_profile: string }
): Promise<ICopyPlan> {
  const spaces = source.all_spaces
    ? await folders(s3, bucket, source.source_prefix)
    : [''];
  const plan: ICopyPlan = { keep_reference: {}, restore: '' };
  let ours = false;
  let newest = '';
  for (const space of spaces) {
    const inside = await folders(
      s3,
      bucket,
      `${source.source_prefix}${space ? `${space}/` : ''}`
    );
    ours ||= inside.includes('snapshots');
    // The format sorts by time as text.
    const reference = inside.filter(n => REFERENCE_TIMESTAMP.test(n)).sort();
    const last = reference[reference.length - 1];
    if (last) {
      plan.keep_reference[space] = last;
      newest = last > newest ? last : newest;
    }
  }
  plan.restore = ours || !newest ? `latest@${source.from_profile}` : newest;
  return plan;
}
