/** What a repository stores, what its snapshots hold, and what S3 Standard would charge for it. */
import { Repository } from '../repository/repository';

export interface IRepositoryStats {
  snapshots: number;
  packs: number;
  /** Every object of the repository (packs, indexes, manifests, and reference copies). */
  storedBytes: number;
  /** All snapshots' files added up, as full copies would store them. */
  logicalBytes: number;
  latestBytes: number;
  /** logicalBytes ÷ storedBytes: how much deduplication saves. */
  ratio: number;
}

export async function repositoryStats(
  repo: Repository
): Promise<IRepositoryStats> {
  const snapshots = (await repo.listSnapshots()).filter(
    s => s.kind === 'studio-backup'
  );
  let stored = 0;
  let packs = 0;
  for await (const item of repo.backend.list('')) {
    stored += item.size;
    packs += item.key.startsWith('data/') ? 1 : 0;
  }
  const logical = snapshots.reduce(
    (n, s) => n + (s.manifest?.totals.bytes ?? 0),
    0
  );
  return {
    snapshots: snapshots.length,
    packs,
    storedBytes: stored,
    logicalBytes: logical,
    latestBytes: snapshots[0]?.manifest?.totals.bytes ?? 0,
    ratio: stored > 0 ? logical / stored : 0
  };
}

/**
 * S3 Standard, first 50 TB, USD per GB-month, as AWS published them in 2025 (aws.amazon.com/s3/
 * pricing). Requests and transfer are left out: the estimate is storage only.
 */
export const S3_STANDARD_PRICES = {
  date: '2025',
  perGbMonth: {
    'us-east-1': 0.023,
    'us-east-2': 0.023,
    'us-west-1': 0.026,
    'us-west-2': 0.023,
    'ca-central-1': 0.025,
    'eu-west-1': 0.023,
    'eu-west-2': 0.024,
    'eu-west-3': 0.024,
    'eu-central-1': 0.0245,
    'eu-north-1': 0.023,
    'ap-south-1': 0.025,
    'ap-northeast-1': 0.025,
    'ap-northeast-2': 0.025,
    'ap-southeast-1': 0.025,
    'ap-southeast-2': 0.025,
    'sa-east-1': 0.0405
  } as Record<string, number>
};

/** An estimate of a month of S3 Standard storage; regions not in the table use us-east-1's price. */
export function monthlyStorageCost(
  storedBytes: number,
  region: string
): { usd: number; region: string; pricePerGbMonth: number; priceDate: string } {
  const known = region in S3_STANDARD_PRICES.perGbMonth;
  const priced = known ? region : 'us-east-1';
  const price = S3_STANDARD_PRICES.perGbMonth[priced];
  return {
    usd: (storedBytes / 1024 ** 3) * price,
    region: priced,
    pricePerGbMonth: price,
    priceDate: S3_STANDARD_PRICES.date
  };
}
