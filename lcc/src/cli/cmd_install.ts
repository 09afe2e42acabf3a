import { Command } from 'commander';
import { join } from 'node:path';
import { S3Backend } from '../repository/s3-backend';
import { sagemakerClient } from '../studio/identity';
import { installLcc, lccRoot } from '../studio/install-lcc';
import { printJson } from './common';

const collect = (value: string, previous: string[]) => [...previous, value];

export function installLccCommand(): Command {
  return new Command('install-lcc')
    .description(
      'admin: stage the agent in the bucket, create the lifecycle configurations and attach them to a domain'
    )
    .requiredOption('--bucket <name>', 'the backup bucket')
    .requiredOption('--domain <id>', 'the Studio domain, e.g. d-abc123')
    .option(
      '--prefix <prefix>',
      'prefix of the backups in the bucket',
      'studio-backups'
    )
    .option('--interval <minutes>', 'minutes between backups', Number, 60)
    .option(
      '--requests-table <name>',
      "the backend's restore-requests table (stack output RestoreRequestsTable)"
    )
    .option(
      '--history-table <name>',
      "the backend's studioUserHistory table (stack output StudioUserHistoryTable)"
    )
    .option(
      '--retention-table <name>',
      "the backend's retention table (stack output RetentionTable)"
    )
    .option(
      '--results-table <name>',
      "the backend's maintenance results table (stack output MaintenanceResultsTable)"
    )
    .option(
      '--profile <name>',
      'attach to this user profile instead of the domain defaults (repeatable)',
      collect,
      []
    )
    .option(
      '--name <name>',
      'name prefix of the lifecycle configurations',
      'studio-backup'
    )
    .option(
      '--default',
      'also make them the default lifecycle configuration of new apps'
    )
    .option(
      '--wheel <file>',
      'the extension wheel to stage (pip wheel --no-deps .)',
      collect,
      []
    )
    .option('--dry-run', 'print what would be done, change nothing')
    .option('--json', 'print the result as JSON')
    .action(async options => {
      const root = lccRoot();
      const lines: string[] = [];
      const result = await installLcc(
        sagemakerClient(),
        S3Backend.create(options.bucket, 'artifacts'),
        {
          bucket: options.bucket,
          prefix: options.prefix,
          intervalMinutes: options.interval,
          requestsTable: options.requestsTable,
          historyTable: options.historyTable,
          retentionTable: options.retentionTable,
          resultsTable: options.resultsTable,
          domainId: options.domain,
          profiles: options.profile,
          name: options.name,
          makeDefault: Boolean(options.default),
          agentBundle: join(root, 'dist', 'studio-backup.js'),
          wheel: options.wheel[0],
          script: join(root, 'on-start.sh'),
          dryRun: Boolean(options.dryRun)
        },
        line => (options.json ? lines.push(line) : console.log(line))
      );
      if (options.json) {
        printJson({
          dryRun: Boolean(options.dryRun),
          steps: lines,
          lifecycleConfigArns: result.arns
        });
      }
    });
}
