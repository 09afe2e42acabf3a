/** `roles create` and `doctor`: setting a domain up for Studio Backup, and checking that it is. */
import type { Command } from 'commander';
import type { IAdminContext } from './clients';
import { AdminError } from './commands';
import { DEFAULT_PREFIX, doctor, ICheck } from './doctor';
import { createProfileRoles, IBackendNames } from './profile-roles';
import { retentionTable } from './retention';

type Print = (rows: Array<Record<string, unknown>>, columns: string[]) => void;

/** The options of both commands that name the backend's bucket. */
function bucketOptions(command: Command): Command {
  return command
    .requiredOption('--domain <domain>', 'the Studio domain (id or name)')
    .option(
      '--bucket <name>',
      'the backup bucket (stack output BackupBucketName; or STUDIO_BACKUP_BUCKET)'
    )
    .option(
      '--prefix <prefix>',
      'the prefix of the snapshots in the bucket (the stack context prefix; or STUDIO_BACKUP_PREFIX)'
    );
}

/** Ok and problem lines, each problem followed by its fixes. */
export function checkLines(checks: ICheck[]): string[] {
  const width = Math.max(...checks.map(c => c.check.length));
  const lines = checks.flatMap(c => [
    `${c.status.padEnd(8)} ${c.check.padEnd(width)}  ${c.detail}`,
    ...(c.fix ?? []).map(fix => `${' '.repeat(9)}fix: ${fix}`)
  ]);
  const problems = checks.filter(c => c.status === 'problem').length;
  return [
    ...lines,
    problems
      ? `${problems} problem${problems > 1 ? 's' : ''} found.`
      : 'Everything checked is in place.'
  ];
}

export function registerSetup(
  program: Command,
  context: () => IAdminContext,
  print: Print,
  setExitCode: (code: number) => void
): void {
  program.option(
    '--results-table <name>',
    'the maintenance results table (stack output MaintenanceResultsTable; or STUDIO_BACKUP_RESULTS_TABLE)'
  );
  const names = (o: { bucket?: string; prefix?: string }): IBackendNames => {
    const env = process.env;
    const bucket = o.bucket ?? env.STUDIO_BACKUP_BUCKET;
    if (!bucket) {
      throw new AdminError(
        'Name the backup bucket: --bucket <BackupBucketName> (a stack output), or STUDIO_BACKUP_BUCKET.'
      );
    }
    const g = program.opts();
    return {
      bucket,
      prefix: o.prefix ?? env.STUDIO_BACKUP_PREFIX ?? DEFAULT_PREFIX,
      userTable: g.userTable,
      requestsTable: g.requestsTable,
      historyTable: g.historyTable,
      retentionTable: retentionTable(program),
      resultsTable:
        g.resultsTable ??
        env.STUDIO_BACKUP_RESULTS_TABLE ??
        'studioBackupResults'
    };
  };

  const roles = program
    .command('roles')
    .description(
      'execution roles of their own for user profiles: isolation without source identity'
    );
  bucketOptions(
    roles
      .command('create')
      .description(
        "give a profile (or every profile) a role of its own, studio-backup-profile-<profile>, scoped to its folder, and make it the profile's execution role"
      )
  )
    .option('--profile <profile>', 'this user profile')
    .option('--all', 'every user profile of the domain')
    .option(
      '--managed-policy <arns...>',
      'managed policies to attach as well (what users need besides backups, e.g. the ones of the domain default role)'
    )
    .option('--dry-run', 'show what would be created and changed')
    .action(async o => {
      print(
        await createProfileRoles(context(), names(o), {
          domain: o.domain,
          profile: o.profile,
          all: o.all,
          managedPolicy: o.managedPolicy,
          dryRun: o.dryRun
        }),
        ['profile', 'role', 'action', 'policy', 'was']
      );
    });

  bucketOptions(
    program
      .command('doctor')
      .description(
        "check a domain's setup: identity, execution roles and their policies, lifecycle configurations, bucket, agent, tables; each problem with the command that fixes it (exit code 1)"
      )
  )
    .option(
      '--isolation-policy-arn <arn>',
      'the stack output UserIsolationPolicyArn (else a policy named like *UserIsolationPolicy* counts)'
    )
    .option(
      '--lcc-name <name>',
      'the name prefix install-lcc was given',
      'studio-backup'
    )
    .action(async o => {
      const ctx = context();
      const report = await doctor(ctx, names(o), {
        domain: o.domain,
        isolationPolicyArn: o.isolationPolicyArn,
        lccName: o.lccName
      });
      if (program.opts().json) {
        ctx.out(JSON.stringify(report, null, 2));
      } else {
        ctx.out(`Studio Backup doctor: domain ${report.domain}`);
        checkLines(report.checks).forEach(line => ctx.out(line));
      }
      setExitCode(report.ok ? 0 : 1);
    });
}
