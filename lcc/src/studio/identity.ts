/** Who and where we are inside Studio: the space's metadata file and its owner, as the reference LCC finds them. */
import {
  DescribeSpaceCommand,
  DescribeUserProfileCommand,
  SageMakerClient
} from '@aws-sdk/client-sagemaker';
import { readFile } from 'node:fs/promises';

export const DEFAULT_METADATA = '/opt/ml/metadata/resource-metadata.json';

/**
 * Shared spaces are not protected. Their sessions carry the owner's identity, so a repository under
 * the owner's folder would let every member read the owner's private spaces' snapshots, and one
 * under the space would need a second, per-space isolation that IAM cannot tie to membership.
 */
export class SharedSpaceError extends Error {
  constructor(space: string) {
    super(
      `Space ${space} is a shared space: Studio Backup does not back it up (its members would reach its owner's backups). Keep work to protect in a private space.`
    );
  }
}

/** on-start.sh's supervisor does not restart an agent that exits with this code. */
export const NOT_PROTECTED_EXIT = 3;

export interface IStudioIdentity {
  domainId: string;
  spaceName: string;
  appType: string;
  userProfile: string;
  userProfileArn: string;
  spaceArn?: string;
}

export function sagemakerClient(): SageMakerClient {
  return new SageMakerClient({ maxAttempts: 6 });
}

export async function readMetadata(
  path = process.env.STUDIO_BACKUP_METADATA || DEFAULT_METADATA
) {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(
      `Cannot read the Studio metadata at ${path} (${(err as NodeJS.ErrnoException).code ?? 'invalid JSON'}): is this a SageMaker Studio space?`
    );
  }
  const domainId = raw.DomainId;
  const spaceName = raw.SpaceName;
  if (typeof domainId !== 'string' || typeof spaceName !== 'string') {
    throw new Error(
      `The Studio metadata at ${path} has no DomainId or SpaceName.`
    );
  }
  return {
    domainId,
    spaceName,
    appType: typeof raw.AppType === 'string' ? raw.AppType : 'JupyterLab'
  };
}

/** DescribeSpace gives the owner (OwnershipSettings.OwnerUserProfileName), DescribeUserProfile its ARN. */
export async function resolveIdentity(
  client: SageMakerClient,
  metadataPath?: string
): Promise<IStudioIdentity> {
  const meta = await readMetadata(metadataPath);
  const space = await client.send(
    new DescribeSpaceCommand({
      DomainId: meta.domainId,
      SpaceName: meta.spaceName
    })
  );
  const owner = space.OwnershipSettings?.OwnerUserProfileName;
  if (space.SpaceSharingSettings?.SharingType === 'Shared' || !owner) {
    throw new SharedSpaceError(meta.spaceName);
  }
  const profile = await client.send(
    new DescribeUserProfileCommand({
      DomainId: meta.domainId,
      UserProfileName: owner
    })
  );
  return {
    ...meta,
    userProfile: owner,
    userProfileArn: profile.UserProfileArn ?? '',
    spaceArn: space.SpaceArn
  };
}

/** s3://bucket/prefix/<user-profile>/<space>, the reference LCC's layout (so its snapshots show up too). */
export function repositoryFor(
  bucket: string,
  prefix: string,
  id: IStudioIdentity
): string {
  const parts = [
    prefix.replace(/^\/+|\/+$/g, ''),
    id.userProfile,
    id.spaceName
  ].filter(Boolean);
  return `s3://${bucket}/${parts.join('/')}`;
}
