/**
 * Fills `studioUser` from the domains, user profiles and spaces that exist already (the reference's
 * seeding Lambda). Used at deploy by a custom resource and by `studio-backup-admin seed`.
 */
import {
  ListDomainsCommand,
  ListSpacesCommand,
  ListUserProfilesCommand
} from '@aws-sdk/client-sagemaker';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import {
  describeCreated,
  IDeps,
  IStudioUserRow,
  recordCreated
} from './studio-events';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';

/** Every profile and space (of one domain, or all), described as the CreateX events would be. */
export async function existingHomes(
  deps: Pick<IDeps, 'sagemaker'>,
  onlyDomain?: string
): Promise<IStudioUserRow[]> {
  const rows: IStudioUserRow[] = [];
  const domains =
    (await deps.sagemaker.send(new ListDomainsCommand({}))).Domains ?? [];
  for (const domain of domains) {
    const domainId = domain.DomainId!;
    if (
      onlyDomain &&
      onlyDomain !== domainId &&
      onlyDomain !== domain.DomainName
    ) {
      continue;
    }
    const profiles =
      (
        await deps.sagemaker.send(
          new ListUserProfilesCommand({ DomainIdEquals: domainId })
        )
      ).UserProfiles ?? [];
    for (const p of profiles) {
      const row = await describeCreated(deps.sagemaker, {
        detail: {
          eventName: 'CreateUserProfile',
          requestParameters: { domainId, userProfileName: p.UserProfileName }
        }
      });
      if (row) rows.push(row);
    }
    const spaces =
      (
        await deps.sagemaker.send(
          new ListSpacesCommand({ DomainIdEquals: domainId })
        )
      ).Spaces ?? [];
    for (const s of spaces) {
      const row = await describeCreated(deps.sagemaker, {
        detail: {
          eventName: 'CreateSpace',
          requestParameters: { domainId, spaceName: s.SpaceName }
        }
      });
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
