/**
 * New Studio (EBS) spaces of a mapped profile: `studio-backup-admin map --from <domain>/<old>
 * --to <domain>/<new>` wrote `mapped_from` on the new profile's studioUser row. When a space is
 * created in that profile and the old profile has a repository for a space of the same name (or the
 * one the admin named with `map --space <old>:<new>`, kept as `space_map` on the row), a restore
 * request is recorded, already approved by the mapping (approved_by: 'map'): the request processing
 * (lambda/requests.ts) copies `<prefix>/<old>/<space>/` into `<prefix>/<new>/<space>/` server-side
 * (the new profile's role cannot read the old prefix) and tags the space, so the LCC restores it.
 *
 * One request per space (request_id `map-<space>`, written only if absent, or if its copy failed): a
 * second CreateSpace event for the same space, or a redelivered one, files nothing more while the
 * copy runs or once it is done; after a failed copy, creating the space again tries again.
 */
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { IRequestRow } from '../../lcc/src/api/backend-rows';
import { STUDIO_NAME } from '../../lcc/src/api/layout';
import { hasSnapshots, IPendingRestoreDeps } from './pending-restore';
import type { IStudioUserRow } from './studio-homes';

export interface IMappedRestoreDeps extends IPendingRestoreDeps {
  dynamodb: DynamoDBClient;
  userTable: string;
  requestsTable: string;
  now?: () => number;
}

/** The request a mapped profile's space gets: one per space, so a repeated event finds it. */
export const mappedRequestId = (space: string) => `map-${space}`;

/** The old profile and the space of it that this space of the mapped profile takes over, if any. */
export async function mappedSource(
  deps: IMappedRestoreDeps,
  space: Pick<
    IStudioUserRow,
    'user_profile_name' | 'domain_name' | 'space_name'
  >
): Promise<{ mappedFrom: string; profile: string; space: string } | undefined> {
  const found = await deps.dynamodb.send(
    new GetItemCommand({
      TableName: deps.userTable,
      Key: marshall({
        profile_name: space.user_profile_name,
        domain_name: space.domain_name
      }),
      ProjectionExpression: 'mapped_from, space_map'
    })
  );
  const row = found.Item ? unmarshall(found.Item) : {};
  const mappedFrom = String(row.mapped_from ?? '');
  // `<domain>/<profile>`: the repositories are keyed by profile only, whatever the domain.
  const profile = mappedFrom.slice(mappedFrom.lastIndexOf('/') + 1);
  const from = String(row.space_map?.[space.space_name] ?? space.space_name);
  if (!STUDIO_NAME.test(profile) || !STUDIO_NAME.test(from)) {
    return undefined;
  }
  return (await hasSnapshots(deps, profile, from))
    ? { mappedFrom, profile, space: from }
    : undefined;
}

/** Records the approved request for a created space of a mapped profile; returns it, if it wrote one. */
export async function fileMappedRestore(
  deps: IMappedRestoreDeps,
  space: IStudioUserRow
): Promise<IRequestRow | undefined> {
  if (!space.user_profile_name || !space.space_name) {
    return undefined;
  }
  const source = await mappedSource(deps, space);
  if (!source) {
    return undefined;
  }
  const now = new Date((deps.now ?? Date.now)()).toISOString();
  const request: IRequestRow = {
    user_profile_name: space.user_profile_name,
    request_id: mappedRequestId(space.space_name),
    kind: 'recover-profile',
    from_profile: source.profile,
    from_space: source.space,
    space_name: space.space_name,
    domain_id: space.domain_id,
    domain_name: space.domain_name,
    state: 'approved',
    approved_by: 'map',
    message: `Approved by the admin's mapping from ${source.mappedFrom}: the snapshots of its space ${source.space} come into this space.`,
    created: now
  };
  try {
    await deps.dynamodb.send(
      new PutItemCommand({
        TableName: deps.requestsTable,
        Item: marshall(request),
        // Or in place of one whose copy failed: the space created again tries again.
        ConditionExpression:
          'attribute_not_exists(request_id) OR #state = :failed',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: marshall({ ':failed': 'failed' })
      })
    );
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') {
      return undefined;
    }
    throw err;
  }
  return request;
}
