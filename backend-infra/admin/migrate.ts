/**
 * `studio-backup-admin migrate`: the reference LCC's full copies of every space of a domain become
 * deduplicated snapshots, through the backend's migration state machine (lib/migration.ts); with
 * --delete-copies, each copy is deleted once its snapshot passed check --read-data. Deleting the
 * copies stays the admin's decision: without the flag, nothing is deleted.
 */
import {
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand
} from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { parseSince } from '../../lcc/src/maintenance/import-reference';
import type { IAdminContext } from './clients';
import { AdminError } from './commands';
import { domainProfiles } from './domain';

type Print = (rows: Array<Record<string, unknown>>, columns: string[]) => void;

export interface IMigrateOptions {
  domain: string;
  since?: string;
  deleteCopies?: boolean;
  wait?: boolean;
  dryRun?: boolean;
}

export async function migrate(
  ctx: IAdminContext,
  stateMachineArn: string,
  options: IMigrateOptions
): Promise<Record<string, unknown>> {
  const since = options.since ? parseSince(options.since) : '';
  const { id, profiles } = await domainProfiles(ctx, options.domain);
  const input = {
    deleteCopies: options.deleteCopies === true,
    since,
    profiles
  };
  const row: Record<string, unknown> = {
    domain: id,
    profiles: profiles.length,
    since: since || 'every copy',
    delete_copies: input.deleteCopies ? 'yes, once verified' : 'no'
  };
  if (options.dryRun) {
    return { ...row, execution: '(dry run: not started)' };
  }
  const sfn = ctx.sfn ?? new SFNClient({});
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn,
      name: `migrate-${id}-${Date.now()}`,
      input: JSON.stringify(input)
    })
  );
  row.execution = executionArn;
  if (options.wait) {
    // A second at first, then longer, up to half a minute: a run takes minutes to hours.
    for (let pause = 1000; ; pause = Math.min(pause * 2, 30_000)) {
      const run = await sfn.send(
        new DescribeExecutionCommand({ executionArn })
      );
      if (run.status !== 'RUNNING') {
        row.status = run.status;
        if (run.status !== 'SUCCEEDED') {
          throw new AdminError(
            `The migration ${executionArn} ended ${run.status}${run.error ? ` (${run.error})` : ''}: the repositories it could not migrate are in the migration dead-letter queue, their copies kept.`
          );
        }
        break;
      }
      await new Promise(resolve => setTimeout(resolve, pause));
    }
  }
  return row;
}

export function registerMigrate(
  program: Command,
  context: () => IAdminContext,
  print: Print
): void {
  program.option(
    '--migration-arn <arn>',
    'the migration state machine (stack output MigrationStateMachineArn; or STUDIO_BACKUP_MIGRATION_ARN)'
  );
  program
    .command('migrate')
    .description(
      "import the reference LCC's copies of every space of a domain as deduplicated snapshots, through the backend"
    )
    .requiredOption('--domain <domain>', 'the Studio domain (id or name)')
    .option(
      '--since <time>',
      'only the copies taken at or after YYYY-MM-DD or YYYY-MM-DD-HH-MM-SS'
    )
    .option(
      '--delete-copies',
      'delete each copy once its snapshot passed check --read-data (kept otherwise)'
    )
    .option('--wait', 'follow the run to its end')
    .option('--dry-run', 'show what would be started')
    .action(async o => {
      const arn =
        (program.opts().migrationArn as string | undefined) ??
        process.env.STUDIO_BACKUP_MIGRATION_ARN;
      if (!arn && !o.dryRun) {
        throw new AdminError(
          'Name the migration state machine: --migration-arn <MigrationStateMachineArn> (a stack output), or STUDIO_BACKUP_MIGRATION_ARN.'
        );
      }
      print(
        [
          await migrate(context(), arn ?? '', {
            domain: o.domain,
            since: o.since,
            deleteCopies: o.deleteCopies,
            wait: o.wait,
            dryRun: o.dryRun
          })
        ],
        ['domain', 'profiles', 'since', 'delete_copies', 'execution', 'status']
      );
    });
}
