/**
 * Fills `studioUser` from the domains, user profiles and spaces that exist already (the reference's
 * seeding Lambda). Used at deploy by a custom resource and by `studio-backup-admin seed`.
 */
import {
  paginateListDomains,
  paginateListSpaces,
  paginateListUserProfiles,
  SageMakerClient
} from '@aws-sdk/client-sagemaker';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import {
  describeCreated,
  IDeps,
  IStudioUserRow,
  recordCreated
} from './studio-events';

/** Every item of every page (the List calls return 10 at a time by default). */
async function all<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) {
    out.push(page);
  }
  return out;
}

/** Every profile and space (of one domain, or all), described as the CreateX events would be. */
export async function existingHomes(
  deps: Pick<IDeps, 'sagemaker'>,
  onlyDomain?: string
): Promise<IStudioUserRow[]> {
  const client = { client: deps.sagemaker };
  const domains = (await all(paginateListDomains(client, {}))).flatMap(
    p => p.Domains ?? []
  );
  const rows: IStudioUserRow[] = [];
  for (const domain of domains) {
    const domainId = domain.DomainId!;
    if (
      onlyDomain &&
      onlyDomain !== domainId &&
      onlyDomain !== domain.DomainName
    ) {
      continue;
    }
    // A fresh input each: the SDK's paginators write their NextToken into it.
    const query = () => ({ DomainIdEquals: domainId });
    const created = [
      ...(await all(paginateListUserProfiles(client, query()))).flatMap(p =>
        (p.UserProfiles ?? []).map(u => ({
          eventName: 'CreateUserProfile',
          requestParameters: { domainId, userProfileName: u.UserProfileName }
        }))
      ),
      ...(await all(paginateListSpaces(client, query()))).flatMap(p =>
        (p.Spaces ?? []).map(sp => ({
          eventName: 'CreateSpace',
          requestParameters: { domainId, spaceName: sp.SpaceName }
        }))
      )
    ];
    for (const detail of created) {
      const row = await describeCreated(deps.sagemaker, { detail });
      if (row) rows.push(row);
    }
  }
  return rows;
}

export async function seed(
  deps: IDeps,
  onlyDomain?: string
): Promise<IStudioUserRow[]> {
  const rows = await existingHomes(deps, onlyDomain);
  for (const row of rows) {
    await recordCreated(deps, row);
  }
  return rows;
}

/** The custom resource: seeds on Create and Update, nothing on Delete (the tables are kept). */
export async function handler(
  event: CloudFormationCustomResourceEvent
): Promise<{ PhysicalResourceId: string; Data: { Seeded: number } }> {
  const id = 'studio-backup-seed';
  if (event.RequestType === 'Delete') {
    return { PhysicalResourceId: id, Data: { Seeded: 0 } };
  }
  const rows = await seed({
    sagemaker: new SageMakerClient({}),
    dynamodb: new DynamoDBClient({}),
    userTable: process.env.USER_TABLE!,
    historyTable: process.env.HISTORY_TABLE!
  });
  return { PhysicalResourceId: id, Data: { Seeded: rows.length } };
}
