#!/usr/bin/env node
/**
 * studio-backup-admin: the Studio admin's tool for the backend (replaces the reference's Python
 * scripts). Table names come from the stack's outputs, via options or STUDIO_BACKUP_* variables.
 */
import { Command, CommanderError } from 'commander';
import { AdminError } from './commands';
import * as commands from './commands';
import {
  credentialsProblem,
  defaultClients,
  IAdminClients,
  IAdminContext,
  table
} from './clients';
import { registerMigrate } from './migrate';
import { registerRetention } from './retention';
import { registerSetup } from './setup-commands';

function split(
  value: string,
  what: string
): { domain: string; profile: string } {
  const [domain, profile, ...rest] = value.split('/');
  if (!domain || !profile || rest.length) {
    throw new AdminError(`${what} must be <domain>/<profile>, got "${value}".`);
  }
  return { domain, profile };
}

export async function main(
  argv: string[],
  options: {
    clients?: IAdminClients;
    out?: (line: string) => void;
    err?: (line: string) => void;
  } = {}
): Promise<number> {
  const out =
    options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err =
    options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const env = process.env;
  const program = new Command('studio-backup-admin')
    .description(
      'Administer the Studio Backup backend: recovery status, replication switches, mappings, restore requests.'
    )
    .option(
      '--user-table <name>',
      'the studioUser table (stack output StudioUserTable)',
      env.STUDIO_BACKUP_USER_TABLE ?? 'studioUser'
    )
    .option(
      '--history-table <name>',
      'the studioUserHistory table',
      env.STUDIO_BACKUP_HISTORY_TABLE ?? 'studioUserHistory'
    )
    .option(
      '--requests-table <name>',
      'the restore-requests table',
      env.STUDIO_BACKUP_REQUESTS_TABLE ?? 'studioBackupRequests'
    )
    .option('--json', 'print JSON instead of a table')
    .exitOverride()
    .configureOutput({
      writeOut: s => out(s.trimEnd()),
      writeErr: s => err(s.trimEnd())
    });

  let ctx: IAdminContext | undefined;
  const context = (): IAdminContext => {
    if (!ctx) {
      const g = program.opts();
      ctx = {
        ...(options.clients ?? defaultClients()),
        userTable: g.userTable,
        historyTable: g.historyTable,
        requestsTable: g.requestsTable,
        out
      };
    }
    return ctx;
  };
  const print = (rows: Array<Record<string, unknown>>, columns: string[]) => {
    if (program.opts().json) {
      out(JSON.stringify(rows, null, 2));
    } else {
      out(rows.length ? table(rows, columns) : '(none)');
    }
  };

  program
    .command('status')
    .description(
      'users and spaces, their EFS home, and their last recovery (bytes, duration, status)'
    )
    .option('--domain <domain>', 'only this domain (name or id)')
    .option('--profile <profile>', 'only this profile or space')
    .action(async o => {
      print(await commands.status(context(), o), [
        'domain',
        'profile',
        'kind',
        'replication',
        'efs',
        'last_recovery',
        'bytes',
        'duration_s',
        'error'
      ]);
    });

  program
    .command('replication')
    .description('switch recovery on or off for one profile or space')
    .argument('<on|off>')
    .requiredOption('--domain <domain>', 'domain name')
    .option('--profile <profile>', 'user profile name')
    .option('--space <space>', 'space name (instead of --profile)')
    .option('--dry-run', 'show the change without making it')
    .action(async (state: string, o) => {
      if (state !== 'on' && state !== 'off') {
        throw new AdminError(
          `replication takes "on" or "off", not "${state}".`
        );
      }
      if (!o.profile === !o.space) {
        throw new AdminError(
          'replication takes one of --profile <profile> or --space <space>.'
        );
      }
      print(
        [
          await commands.setReplication(
            context(),
            o.domain,
            { profile: o.profile, space: o.space },
            state === 'on',
            !!o.dryRun
          )
        ],
        ['domain', 'profile', 'was', 'replication', 'dryRun']
      );
    });

  program
    .command('map')
    .description(
      "make a profile that does not exist yet recover another profile's home when it is created"
    )
    .requiredOption(
      '--from <domain/profile>',
      'the profile whose home to recover'
    )
    .requiredOption('--to <domain/profile>', 'the profile about to be created')
    .option(
      '--space <old:new...>',
      'a new space that takes over an old space of another name (default: the same name)'
    )
    .option('--dry-run', 'show the mapping without writing it')
    .action(async o => {
      const row = await commands.map(
        context(),
        split(o.from, '--from'),
        split(o.to, '--to'),
        !!o.dryRun,
        commands.spaceMap(o.space)
      );
      print(
        [row],
        [
          'domain_name',
          'profile_name',
          'mapped_from',
          'efs_sys_id',
          'efs_uid',
          'dryRun'
        ]
      );
    });

  program
    .command('allow-datasync')
    .description(
      "let DataSync's security group reach the EFS mount targets on TCP 2049 (idempotent)"
    )
    .requiredOption(
      '--file-system <ids...>',
      'EFS file system ids of the Studio domains'
    )
    .requiredOption(
      '--security-group <id>',
      "DataSync's security group (the stack's securityGroupArn)"
    )
    .option('--dry-run', 'show what would be allowed')
    .action(async o => {
      print(
        await commands.allowDataSync(
          context(),
          o.fileSystem,
          o.securityGroup,
          !!o.dryRun
        ),
        ['file_system', 'mount_target', 'security_group', 'action']
      );
    });

  program
    .command('seed')
    .description(
      'record every existing profile and space (as the deploy-time seeding does)'
    )
    .option('--domain <domain>', 'only this domain (name or id)')
    .option('--dry-run', 'list what would be recorded')
    .action(async o => {
      print(await commands.seedCommand(context(), o.domain, !!o.dryRun), [
        'domain',
        'profile',
        'efs',
        'action'
      ]);
    });

  const requests = program
    .command('requests')
    .description('restore requests filed from the Backups panel');
  requests
    .command('list')
    .option(
      '--state <state>',
      'only requests in this state (e.g. pending-approval)'
    )
    .action(async o => {
      print(await commands.listRequests(context(), o.state), [
        'user_profile_name',
        'request_id',
        'kind',
        'from_profile',
        'space_name',
        'state',
        'bytes_copied',
        'created',
        'message'
      ]);
    });
  requests
    .command('show')
    .description('every attribute of one request, with the cause of a failure')
    .argument('<profile>', 'the user profile that filed it')
    .argument('<id>', 'the request id')
    .action(async (profile: string, id: string) => {
      const request = await commands.getRequest(context(), profile, id);
      if (program.opts().json) {
        out(JSON.stringify(request, null, 2));
      } else {
        print(
          Object.entries(request)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([attribute, value]) => ({ attribute, value })),
          ['attribute', 'value']
        );
      }
    });
  for (const decision of ['approve', 'reject'] as const) {
    requests
      .command(decision)
      .argument('<profile>', 'the user profile that filed it')
      .argument('<id>', 'the request id')
      .option(
        '--reason <text>',
        'recorded with the decision, shown to the user'
      )
      .option('--dry-run', 'check the request without deciding')
      .action(async (profile: string, id: string, o) => {
        const state = decision === 'approve' ? 'approved' : 'rejected';
        print(
          [
            await commands.decideRequest(
              context(),
              profile,
              id,
              state,
              o.reason,
              !!o.dryRun
            )
          ],
          ['profile', 'id', 'state', 'dryRun']
        );
      });
  }

  registerRetention(program, context, print);
  registerMigrate(program, context, print);
  let exitCode = 0;
  registerSetup(program, context, print, code => (exitCode = code));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode;
    }
    const message = e instanceof Error ? e.message : String(e);
    err(
      `studio-backup-admin: ${e instanceof AdminError ? message : (credentialsProblem(e) ?? message.split('\n')[0])}`
    );
    return 1;
  }
}

if (require.main === module) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  void main(process.argv.slice(2)).then(code => {
    process.exitCode = code;
  });
}
