/**
 * What an admin runs once per domain: stage the agent (and the panel's wheel) in the bucket, create
 * the lifecycle configurations, and attach them to the domain, keeping the ones already attached.
 */
import {
  CreateStudioLifecycleConfigCommand,
  DescribeDomainCommand,
  DescribeUserProfileCommand,
  UpdateUserProfileCommand,
  SageMakerClient,
  StudioLifecycleConfigAppType,
  UpdateDomainCommand,
  UserSettings
} from '@aws-sdk/client-sagemaker';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { IBackend } from '../repository/backend';
import { sha256 } from '../repository/format';

export const LCC_LIMIT = 16 * 1024;

export interface IInstallOptions {
  bucket: string;
  prefix: string;
  intervalMinutes: number;
  /** The backend's tables (stack outputs), when it is deployed. */
  requestsTable?: string;
  historyTable?: string;
  /** The maintenance tables: the panel shows the policy in force and the last run. */
  retentionTable?: string;
  resultsTable?: string;
  domainId: string;
  /** Attach to these user profiles instead of the domain's defaults. */
  profiles?: string[];
  name: string;
  makeDefault: boolean;
  agentBundle: string;
  wheel?: string;
  script: string;
  dryRun: boolean;
}

export function renderScript(
  template: string,
  options: Pick<
    IInstallOptions,
    | 'bucket'
    | 'prefix'
    | 'intervalMinutes'
    | 'requestsTable'
    | 'historyTable'
    | 'retentionTable'
    | 'resultsTable'
  >
): string {
  const safe = /^[A-Za-z0-9._/-]+$/;
  const tables = [
    options.requestsTable ?? '',
    options.historyTable ?? '',
    options.retentionTable ?? '',
    options.resultsTable ?? ''
  ];
  if (
    !safe.test(options.bucket) ||
    !safe.test(options.prefix) ||
    tables.some(t => t !== '' && !safe.test(t))
  ) {
    throw new Error(
      'The bucket, prefix and table names may only contain letters, digits, ".", "_", "-" and "/".'
    );
  }
  return template
    .replace('__BUCKET__', options.bucket)
    .replace('__PREFIX__', options.prefix)
    .replace('__INTERVAL__', String(options.intervalMinutes))
    .replace('__REQUESTS_TABLE__', tables[0])
    .replace('__HISTORY_TABLE__', tables[1])
    .replace('__RETENTION_TABLE__', tables[2])
    .replace('__RESULTS_TABLE__', tables[3]);
}

const APPS: Array<{
  type: StudioLifecycleConfigAppType;
  settings: 'JupyterLabAppSettings' | 'CodeEditorAppSettings';
  suffix: string;
}> = [
  {
    type: 'JupyterLab',
    settings: 'JupyterLabAppSettings',
    suffix: 'jupyterlab'
  },
  {
    type: 'CodeEditor',
    settings: 'CodeEditorAppSettings',
    suffix: 'codeeditor'
  }
];

export async function installLcc(
  client: SageMakerClient,
  artifacts: IBackend,
  options: IInstallOptions,
  log: (line: string) => void
): Promise<{ arns: string[] }> {
  const script = renderScript(await readFile(options.script, 'utf8'), options);
  const size = Buffer.byteLength(script);
  if (size > LCC_LIMIT) {
    throw new Error(
      `The lifecycle configuration is ${size} bytes, over Studio's ${LCC_LIMIT}-byte limit.`
    );
  }
  const verb = options.dryRun ? 'would' : 'will';
  const uploads: Array<[string, string]> = [
    [options.agentBundle, 'studio-backup.js']
  ];
  if (options.wheel) {
    uploads.push([options.wheel, basename(options.wheel)]);
  }
  for (const [file, key] of uploads) {
    log(`${verb} upload ${file} to ${artifacts.url}/${key}`);
    if (!options.dryRun) {
      await artifacts.put(key, await readFile(file));
    }
  }

  // The content is immutable once created, so its hash is part of the name: a re-run with the same
  // settings reuses it, a changed script gets a new configuration.
  const hash = sha256(script).slice(0, 8);
  const arns: Partial<Record<(typeof APPS)[number]['settings'], string>> = {};
  const domain = await client.send(
    new DescribeDomainCommand({ DomainId: options.domainId })
  );
  for (const app of APPS) {
    const name = `${options.name}-${app.suffix}-${hash}`;
    let arn = (domain.DomainArn ?? '').replace(
      /:domain\/.*$/,
      `:studio-lifecycle-config/${name}`
    );
    log(
      `${verb} create lifecycle configuration ${name} (${app.type}, ${size} bytes)`
    );
    if (!options.dryRun) {
      try {
        const created = await client.send(
          new CreateStudioLifecycleConfigCommand({
            StudioLifecycleConfigName: name,
            StudioLifecycleConfigAppType: app.type,
            StudioLifecycleConfigContent: Buffer.from(script).toString('base64')
          })
        );
        arn = created.StudioLifecycleConfigArn ?? arn;
      } catch (err) {
        if ((err as Error).name !== 'ResourceInUse') {
          throw err;
        }
        log(`lifecycle configuration ${name} already exists: reusing it`);
      }
    }
    arns[app.settings] = arn;
  }

  /** Keeps what the admin attached before, drops older Studio Backup configurations, adds ours. */
  const merged = (
    current: UserSettings | undefined,
    where: string
  ): UserSettings => {
    const settings: UserSettings = {};
    for (const app of APPS) {
      const arn = arns[app.settings]!;
      const existing = current?.[app.settings] ?? {};
      const kept = (existing.LifecycleConfigArns ?? []).filter(
        a => !a.includes(`/${options.name}-${app.suffix}-`)
      );
      (settings as Record<string, unknown>)[app.settings] = {
        ...existing,
        LifecycleConfigArns: [...kept, arn],
        ...(options.makeDefault
          ? {
              DefaultResourceSpec: {
                ...(existing.DefaultResourceSpec ?? {}),
                LifecycleConfigArn: arn
              }
            }
          : {})
      };
      log(
        `${verb} attach the ${app.type} one to ${where} (${kept.length} other configuration(s) kept${options.makeDefault ? ', as the default' : ''})`
      );
    }
    return settings;
  };

  if (options.profiles && options.profiles.length > 0) {
    for (const profile of options.profiles) {
      const current = await client.send(
        new DescribeUserProfileCommand({
          DomainId: options.domainId,
          UserProfileName: profile
        })
      );
      const settings = merged(current.UserSettings, `user profile ${profile}`);
      if (!options.dryRun) {
        await client.send(
          new UpdateUserProfileCommand({
            DomainId: options.domainId,
            UserProfileName: profile,
            UserSettings: settings
          })
        );
      }
    }
  } else {
    const settings = merged(
      domain.DefaultUserSettings,
      `domain ${options.domainId}`
    );
    if (!options.dryRun) {
      await client.send(
        new UpdateDomainCommand({
          DomainId: options.domainId,
          DefaultUserSettings: settings
        })
      );
    }
  }
  return { arns: Object.values(arns) as string[] };
}

export function lccRoot(): string {
  const candidates = [join(__dirname, '..'), join(__dirname, '..', '..')];
  return (
    candidates.find(dir => existsSync(join(dir, 'on-start.sh'))) ??
    candidates[1]
  );
}
