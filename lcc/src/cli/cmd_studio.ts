import { Command } from 'commander';
import { join } from 'node:path';
import { DEFAULT_AGENT_PORT } from '../api/contract';
import { AGENT_HOST, createAgentServer, listen } from '../agent/server';
import { newAgentSecret, publishAgentSecret } from '../agent/secret';
import { backupBeforeStop } from '../agent/stop-backup';
import { openBackend } from '../repository/open';
import { Repository } from '../repository/repository';
import {
  NOT_PROTECTED_EXIT,
  repositoryFor,
  SharedSpaceError,
  resolveIdentity,
  sagemakerClient
} from '../studio/identity';
import { applyPendingRestores } from '../studio/restore-at-start';
import { VERSION } from '../version';
import { parsePort } from './cmd_agent';

const log = (line: string) =>
  console.log(`${new Date().toISOString()} studio-backup: ${line}`);

/** What on-start.sh runs (under its supervisor): identity, pending restores, then the agent with its schedule. */
export function studioStartCommand(): Command {
  return new Command('studio-start')
    .description(
      'inside a Studio space: find the owner, apply pending restores, then run the agent with scheduled backups'
    )
    .requiredOption('--bucket <name>', 'the backup bucket')
    .option('--prefix <prefix>', 'prefix inside the bucket', 'studio-backups')
    .option(
      '--interval <minutes>',
      'minutes between backups; 0: the backup at start only',
      Number,
      60
    )
    .option(
      '--first-backup <seconds>',
      'seconds after start of the first backup (the reference backs up at every start)',
      Number,
      60
    )
    .option('--port <port>', 'agent port', parsePort, DEFAULT_AGENT_PORT)
    .option(
      '--metadata <path>',
      'Studio metadata file (default /opt/ml/metadata/resource-metadata.json)'
    )
    .option('--home <dir>', 'the home folder', process.env.HOME)
    .option(
      '--requests-table <name>',
      "the backend's restore-requests table (stack output RestoreRequestsTable); empty: no backend",
      ''
    )
    .option(
      '--history-table <name>',
      "the backend's studioUserHistory table (stack output StudioUserHistoryTable)",
      ''
    )
    .option(
      '--retention-table <name>',
      "the backend's retention table (stack output RetentionTable)",
      ''
    )
    .option(
      '--results-table <name>',
      "the backend's maintenance results table (stack output MaintenanceResultsTable)",
      ''
    )
    .option(
      '--stop-grace <seconds>',
      'at most this long for one last backup when the app stops (0: none)',
      Number,
      20
    )
    .action(async options => {
      const home = options.home ?? '/home/sagemaker-user';
      const client = sagemakerClient();
      const identity = await resolveIdentity(client, options.metadata).catch(
        (err: Error) => {
          if (err instanceof SharedSpaceError) {
            log(`NOT PROTECTED: ${err.message}`);
            process.exit(NOT_PROTECTED_EXIT);
          }
          throw err;
        }
      );
      const repository = repositoryFor(
        options.bucket,
        options.prefix,
        identity
      );
      log(
        `space ${identity.spaceName} of ${identity.userProfile} in ${identity.domainId} (${identity.appType}), repository ${repository}`
      );
      const repo = await Repository.open(openBackend(repository), {
        create: true
      });
      const stateDir = join(home, '.studio-backup');
      const { requests: startRestores } = await applyPendingRestores({
        client,
        identity,
        repo,
        home,
        stateDir,
        log
      });
      const secret = newAgentSecret();
      const server = createAgentServer({
        version: VERSION,
        repository,
        secret,
        home,
        stateDir,
        intervalMinutes: options.interval,
        startRestores,
        firstBackupDelayMs: options.firstBackup * 1000,
        identity: {
          profile: identity.userProfile,
          space: identity.spaceName,
          appType: identity.appType
        },
        backend:
          options.requestsTable && options.historyTable
            ? {
                requestsTable: options.requestsTable,
                historyTable: options.historyTable,
                retentionTable: options.retentionTable || undefined,
                resultsTable: options.resultsTable || undefined,
                profile: identity.userProfile,
                domainId: identity.domainId,
                space: identity.spaceName
              }
            : undefined,
        log
      });
      const port = await listen(server, options.port);
      // The panel's only way in: the Jupyter server extension reads this file and forwards with it.
      // Without it the panel cannot reach the agent, but scheduled backups still run.
      const unpublish = await publishAgentSecret(stateDir, port, secret).catch(
        (err: Error) => {
          log(`the Backups panel cannot reach the agent: ${err.message}`);
          return async () => undefined;
        }
      );
      log(
        `agent ${VERSION} listening on http://${AGENT_HOST}:${port}, ${options.interval > 0 ? `backing up every ${options.interval} min` : 'backing up at start only (interval 0)'}`
      );
      await new Promise<void>(resolve => {
        const stop = async () => {
          if (options.stopGrace > 0) {
            await backupBeforeStop(port, secret, options.stopGrace * 1000, log);
          }
          await unpublish();
          server.close(() => resolve());
          // Open event streams must not keep the process alive.
          setTimeout(resolve, 1000).unref();
        };
        process.once('SIGTERM', () => void stop());
        process.once('SIGINT', () => void stop());
      });
    });
}
