/**
 * A stand-in for the SageMaker API calls that moto (5.2.5, checked) does not implement:
 * DescribeSpace, DescribeUserProfile, UpdateUserProfile, ListUserProfiles, CreateStudioLifecycleConfig,
 * UpdateDomain, DescribeDomain (moto has it, but no profiles to go with it, nor DomainSettings),
 * and the tag calls on their ARNs. It speaks the real wire protocol (JSON 1.1 with X-Amz-Target),
 * so the code under test uses the real @aws-sdk/client-sagemaker over HTTP. Everything else goes to moto.
 */
import {
  IJsonStandin,
  JsonHandlers,
  serveJsonProtocol
} from './json-protocol-server';

export interface ISageMakerState {
  spaces: Record<
    string,
    {
      domainId: string;
      owner?: string;
      arn: string;
      efsUid?: string;
      /** SpaceSharingSettings.SharingType (Private when absent). */
      sharing?: 'Private' | 'Shared';
    }
  >;
  profiles: Record<
    string,
    {
      domainId: string;
      arn: string;
      userSettings?: Record<string, any>;
      efsUid?: string;
    }
  >;
  tags: Record<string, Record<string, string>>;
  lifecycleConfigs: Record<
    string,
    { type: string; content: string; arn: string }
  >;
  domains: Record<
    string,
    {
      defaultUserSettings: Record<string, any>;
      /** DomainSettings, as DescribeDomain returns them (ExecutionRoleIdentityConfig). */
      domainSettings?: Record<string, any>;
      name?: string;
      efsId?: string;
    }
  >;
  calls: string[];
}

export function newState(): ISageMakerState {
  return {
    spaces: {},
    profiles: {},
    tags: {},
    lifecycleConfigs: {},
    domains: {},
    calls: []
  };
}

/** One page of a List call, as SageMaker pages them: MaxResults (10 by default) and a NextToken. */
function page(
  key: string,
  items: unknown[],
  input: { MaxResults?: number; NextToken?: string }
): Record<string, unknown> {
  const start = Number(input.NextToken ?? 0);
  const end = start + (input.MaxResults ?? 10);
  return {
    [key]: items.slice(start, end),
    ...(end < items.length ? { NextToken: String(end) } : {})
  };
}

export async function startSageMaker(
  state: ISageMakerState
): Promise<IJsonStandin> {
  const notFound = (what: string) => ({
    status: 400,
    body: { __type: 'ResourceNotFound', Message: `${what} does not exist` }
  });
  const handlers: JsonHandlers = {
    DescribeSpace: ({ DomainId, SpaceName }) => {
      const space = state.spaces[SpaceName];
      if (!space || space.domainId !== DomainId)
        return notFound(`Space ${SpaceName}`);
      return {
        body: {
          DomainId,
          SpaceName,
          SpaceArn: space.arn,
          Status: 'InService',
          HomeEfsFileSystemUid: space.efsUid,
          OwnershipSettings: space.owner
            ? { OwnerUserProfileName: space.owner }
            : undefined,
          SpaceSharingSettings: { SharingType: space.sharing ?? 'Private' }
        }
      };
    },
    DescribeUserProfile: ({ DomainId, UserProfileName }) => {
      const profile = state.profiles[UserProfileName];
      if (!profile || profile.domainId !== DomainId)
        return notFound(`User profile ${UserProfileName}`);
      return {
        body: {
          DomainId,
          UserProfileName,
          UserProfileArn: profile.arn,
          Status: 'InService',
          HomeEfsFileSystemUid: profile.efsUid,
          UserSettings: profile.userSettings
        }
      };
    },
    UpdateUserProfile: ({ DomainId, UserProfileName, UserSettings }) => {
      const profile = state.profiles[UserProfileName];
      if (!profile || profile.domainId !== DomainId) {
        return notFound(`User profile ${UserProfileName}`);
      }
      profile.userSettings = {
        ...(profile.userSettings ?? {}),
        ...UserSettings
      };
      return { body: { UserProfileArn: profile.arn } };
    },
    ListTags: ({ ResourceArn }) => ({
      body: {
        Tags: Object.entries(state.tags[ResourceArn] ?? {}).map(
          ([Key, Value]) => ({ Key, Value })
        )
      }
    }),
    AddTags: ({ ResourceArn, Tags }) => {
      state.tags[ResourceArn] = {
        ...(state.tags[ResourceArn] ?? {}),
        ...Object.fromEntries(Tags.map((t: any) => [t.Key, t.Value]))
      };
      return { body: { Tags } };
    },
    DeleteTags: ({ ResourceArn, TagKeys }) => {
      for (const key of TagKeys) delete state.tags[ResourceArn]?.[key];
      return { body: {} };
    },
    CreateStudioLifecycleConfig: ({
      StudioLifecycleConfigName,
      StudioLifecycleConfigContent,
      StudioLifecycleConfigAppType
    }) => {
      if (state.lifecycleConfigs[StudioLifecycleConfigName]) {
        return {
          status: 400,
          body: {
            __type: 'ResourceInUse',
            Message: `Lifecycle config ${StudioLifecycleConfigName} already exists`
          }
        };
      }
      if (Buffer.from(StudioLifecycleConfigContent, 'base64').length > 16384) {
        return {
          status: 400,
          body: {
            __type: 'ValidationException',
            Message: 'content is larger than 16384 bytes'
          }
        };
      }
      const arn = `arn:aws:sagemaker:us-east-1:123456789012:studio-lifecycle-config/${StudioLifecycleConfigName}`;
      state.lifecycleConfigs[StudioLifecycleConfigName] = {
        type: StudioLifecycleConfigAppType,
        content: StudioLifecycleConfigContent,
        arn
      };
      return { body: { StudioLifecycleConfigArn: arn } };
    },
    DeleteStudioLifecycleConfig: ({ StudioLifecycleConfigName }) => {
      delete state.lifecycleConfigs[StudioLifecycleConfigName];
      return { body: {} };
    },
    ListDomains: input => ({
      body: page(
        'Domains',
        Object.entries(state.domains).map(([DomainId, d]) => ({
          DomainId,
          DomainName: d.name
        })),
        input
      )
    }),
    ListUserProfiles: input => ({
      body: page(
        'UserProfiles',
        Object.entries(state.profiles)
          .filter(
            ([, p]) =>
              !input.DomainIdEquals || p.domainId === input.DomainIdEquals
          )
          .map(([UserProfileName, p]) => ({
            DomainId: p.domainId,
            UserProfileName
          })),
        input
      )
    }),
    ListSpaces: input => ({
      body: page(
        'Spaces',
        Object.entries(state.spaces)
          .filter(
            ([, sp]) =>
              !input.DomainIdEquals || sp.domainId === input.DomainIdEquals
          )
          .map(([SpaceName, sp]) => ({ DomainId: sp.domainId, SpaceName })),
        input
      )
    }),
    DescribeDomain: ({ DomainId }) => {
      const domain = state.domains[DomainId];
      if (!domain) return notFound(`Domain ${DomainId}`);
      return {
        body: {
          DomainId,
          DomainArn: `arn:aws:sagemaker:us-east-1:123456789012:domain/${DomainId}`,
          Status: 'InService',
          DomainName: domain.name,
          HomeEfsFileSystemId: domain.efsId,
          DefaultUserSettings: domain.defaultUserSettings,
          DomainSettings: domain.domainSettings
        }
      };
    },
    UpdateDomain: ({ DomainId, DefaultUserSettings }) => {
      const domain = state.domains[DomainId];
      if (!domain) return notFound(`Domain ${DomainId}`);
      domain.defaultUserSettings = {
        ...domain.defaultUserSettings,
        ...DefaultUserSettings
      };
      return {
        body: {
          DomainArn: `arn:aws:sagemaker:us-east-1:123456789012:domain/${DomainId}`
        }
      };
    }
  };
  return serveJsonProtocol(handlers, state.calls);
}
