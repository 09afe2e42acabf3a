/** Who and where we are inside Studio: the space's metadata file and its owner, as the reference LCC finds them. */
import {
  DescribeSpaceCommand,
  DescribeUserProfileCommand,
  SageMakerClient
} from '@aws-sdk/client-sagemaker';
import { readFile } from 'node:fs/promises';

export const DEFAULT_METADATA = '/opt/ml/metadata/resource-metadata.json';

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
  if (!owner) {
    throw new Error(
      `Space ${meta.spaceName} has no owner user profile (a shared space?): its backups need one.`
    );
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
