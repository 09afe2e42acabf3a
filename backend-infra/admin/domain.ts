/** A Studio domain named by its id or its name, and its user profiles, for the admin commands. */
import {
  DescribeDomainCommand,
  DescribeDomainCommandOutput,
  paginateListDomains,
  paginateListUserProfiles
} from '@aws-sdk/client-sagemaker';
import type { IAdminContext } from './clients';
import { AdminError } from './commands';

const unknownDomain = (domain: string) =>
  new AdminError(
    `No Studio domain ${domain}: give its id (d-…) or its name, as "aws sagemaker list-domains" shows them.`
  );

/** The domain's id: `d-…` as it is, a name looked up in ListDomains. */
export async function domainId(
  ctx: IAdminContext,
  domain: string
): Promise<string> {
  let id: string | undefined;
  for await (const page of paginateListDomains({ client: ctx.sagemaker }, {})) {
    id ??= page.Domains?.find(
      d => d.DomainId === domain || d.DomainName === domain
    )?.DomainId;
  }
  if (!id) throw unknownDomain(domain);
  return id;
}

export async function domainProfiles(
  ctx: IAdminContext,
  domain: string
): Promise<{ id: string; profiles: string[] }> {
  const id = await domainId(ctx, domain);
  const profiles: string[] = [];
  for await (const page of paginateListUserProfiles(
    { client: ctx.sagemaker },
    { DomainIdEquals: id }
  )) {
    profiles.push(...(page.UserProfiles ?? []).map(p => p.UserProfileName!));
  }
  return { id, profiles };
}

/** DescribeDomain of a domain named by id or name; an unknown one is one clear line. */
export async function describeDomain(
  ctx: IAdminContext,
  id: string
): Promise<DescribeDomainCommandOutput> {
  try {
    return await ctx.sagemaker.send(
      new DescribeDomainCommand({ DomainId: id })
    );
  } catch (e) {
    if ((e as Error).name === 'ResourceNotFound') throw unknownDomain(id);
    throw e;
  }
}

/** `arn:<partition>:sagemaker:<region>:<account>:domain/d-…` into its parts. */
export function arnParts(arn: string): {
  partition: string;
  region: string;
  account: string;
} {
  const [, partition, , region, account] = arn.split(':');
  return { partition, region, account };
}
