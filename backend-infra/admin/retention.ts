/**
 * `studio-backup-admin retention set|show|unset`: the retention policy the maintenance run applies,
 * for the whole domain (the default) or one profile (an override that replaces the default whole).
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { Command } from 'commander';
import type { IRetentionPolicy } from '../../lcc/src/maintenance/retention';
import {
  DEFAULT_SCOPE,
  defaultRetention,
  describePolicy,
  profileScope,
  removeRetention,
  retentionFor,
  RULES,
  writeRetention
} from '../core/retention-store';
import type { IAdminContext } from './clients';
import { AdminError } from './commands';

type Print = (rows: Array<Record<string, unknown>>, columns: string[]) => void;

const COLUMNS = ['scope', 'policy', 'reference_copies', 'source', 'updated'];

function count(value: string, option: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new AdminError(
      `${option} takes a whole number, 1 or more, not "${value}".`
    );
  }
  return n;
}

/** The rules given as --keep-<rule> options; at least one. */
export function policyFromOptions(o: Record<string, string | undefined>) {
  const policy: IRetentionPolicy = {};
  for (const rule of RULES) {
    const key = `keep${rule[0].toUpperCase()}${rule.slice(1)}`;
    if (o[key] !== undefined) {
      policy[rule] = count(o[key]!, `--keep-${rule}`);
    }
  }
  if (Object.keys(policy).length === 0) {
    throw new AdminError(
      'No retention rule given: pass at least one of --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly.'
    );
  }
  return policy;
}

function scopeOf(profile: string | undefined): string {
  if (profile === undefined) {
    return DEFAULT_SCOPE;
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(profile)) {
    throw new AdminError(`"${profile}" is not a user profile name.`);
  }
  return profileScope(profile);
}

export async function setRetention(
  ctx: IAdminContext,
  table: string,
  options: {
    profile?: string;
    policy: IRetentionPolicy;
    includeReferenceCopies: boolean;
    dryRun: boolean;
  }
) {
  const scope = scopeOf(options.profile);
  if (!options.dryRun) {
    await writeRetention(ctx.dynamodb, table, scope, options);
  }
  return {
    scope,
    policy: describePolicy(options.policy),
    reference_copies: options.includeReferenceCopies ? 'forgotten too' : 'kept',
    dryRun: options.dryRun
  };
}

/** The default, then every override (or, with a profile, the policy in force for it). */
export async function showRetention(
  ctx: IAdminContext,
  table: string,
  profile?: string
) {
  const row = (scope: string, s: Awaited<ReturnType<typeof retentionFor>>) => ({
    scope,
    policy: describePolicy(s.policy),
    reference_copies: s.includeReferenceCopies ? 'forgotten too' : 'kept',
    source: s.source,
    updated: s.updatedAt ?? ''
  });
  if (profile !== undefined) {
    const scope = scopeOf(profile);
    return [row(scope, await retentionFor(ctx.dynamodb, table, profile))];
  }
  const rows = [
    row(DEFAULT_SCOPE, await defaultRetention(ctx.dynamodb, table))
  ];
  const overrides: string[] = [];
  let start: Record<string, any> | undefined;
  do {
    const page = await ctx.dynamodb.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start })
    );
    overrides.push(
      ...(page.Items ?? [])
        .map(i => String(unmarshall(i).scope))
        .filter(scope => scope.startsWith('profile#'))
    );
    start = page.LastEvaluatedKey;
  } while (start);
  for (const scope of overrides.sort()) {
    const name = scope.slice('profile#'.length);
    rows.push(row(scope, await retentionFor(ctx.dynamodb, table, name)));
  }
  return rows;
}

/** The retention table: --retention-table, STUDIO_BACKUP_RETENTION_TABLE, or the default name. */
export const retentionTable = (program: Command): string =>
  (program.opts().retentionTable as string | undefined) ??
  process.env.STUDIO_BACKUP_RETENTION_TABLE ??
  'studioBackupRetention';

export function registerRetention(
  program: Command,
  context: () => IAdminContext,
  print: Print
): void {
  const table = () => retentionTable(program);
  program.option(
    '--retention-table <name>',
    'the retention table (stack output RetentionTable; or STUDIO_BACKUP_RETENTION_TABLE)'
  );
  const retention = program
    .command('retention')
    .description(
      'the retention policy of the nightly maintenance (forget + prune), for the domain or one profile'
    );
  const set = retention
    .command('set')
    .description(
      'set the domain default, or with --profile an override that replaces it for that profile'
    )
    .option('--profile <profile>', 'only this user profile');
  for (const rule of RULES) {
    set.option(
      `--keep-${rule} <n>`,
      `keep the ${rule === 'last' ? 'n newest snapshots' : `newest snapshot of each of the n newest ${rule} periods`}`
    );
  }
  set
    .option(
      '--include-reference-copies',
      "also forget the reference LCC's full copies (<timestamp>/) by this policy; they are kept otherwise"
    )
    .option('--dry-run', 'show the policy without writing it')
    .action(async o => {
      print(
        [
          await setRetention(context(), table(), {
            profile: o.profile,
            policy: policyFromOptions(o),
            includeReferenceCopies: !!o.includeReferenceCopies,
            dryRun: !!o.dryRun
          })
        ],
        ['scope', 'policy', 'reference_copies', 'dryRun']
      );
    });
  retention
    .command('show')
    .description(
      'the domain default and every override, or the policy in force for one profile'
    )
    .option('--profile <profile>', 'the policy this profile gets')
    .action(async o => {
      print(await showRetention(context(), table(), o.profile), COLUMNS);
    });
  retention
    .command('unset')
    .description("drop a profile's override: the domain default applies again")
    .requiredOption('--profile <profile>', 'the user profile')
    .action(async o => {
      const scope = scopeOf(o.profile);
      await removeRetention(context().dynamodb, table(), scope);
      print(await showRetention(context(), table(), o.profile), COLUMNS);
    });
}
