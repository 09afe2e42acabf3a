import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_AGENT_PORT } from '../api/contract';
import { newAgentSecret, publishAgentSecret } from '../agent/secret';
import {
  agentDirs,
  createAgentServer,
  listen,
  AGENT_HOST
} from '../agent/server';
import { formatLocation, parseLocation } from '../repository/location';
import { VERSION } from '../version';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(
      'expected a port number between 0 and 65535.'
    );
  }
  return port;
}

function parseMinutes(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) {
    throw new InvalidArgumentError(
      'expected a number of minutes (0: only on request).'
    );
  }
  return Number(value);
}

interface IAgentCliOptions {
  port: number;
  repo?: string;
  home?: string;
  cacheDir?: string;
  stateDir?: string;
  interval: number;
}

export function agentCommand(): Command {
  return new Command('agent')
    .description(
      'run the local agent that the Backups panel talks to (listens on 127.0.0.1 only)'
    )
    .option(
      '--port <port>',
      'port to listen on (0 picks a free one)',
      parsePort,
      DEFAULT_AGENT_PORT
    )
    .option(
      '--repo <url>',
      'repository: s3://bucket/prefix, file:///dir or a directory',
      process.env.STUDIO_BACKUP_REPO
    )
    .option(
      '--home <dir>',
      'the home folder it backs up and restores into',
      process.env.HOME
    )
    .option(
      '--cache-dir <dir>',
      'where the local file cache lives (default ~/.cache/studio-backup)'
    )
    .option(
      '--state-dir <dir>',
      'where the agent keeps its settings, pending restore requests and the secret the Jupyter server forwards with (default <home>/.studio-backup)'
    )
    .option(
      '--interval <minutes>',
      'back up every this many minutes, with jitter (0: only on request)',
      parseMinutes,
      0
    )
    .action(async (options: IAgentCliOptions) => {
      const repository = formatLocation(parseLocation(options.repo ?? ''));
      const { stateDir } = agentDirs(options);
      const secret = newAgentSecret();
      const server = createAgentServer({
        version: VERSION,
        repository,
        secret,
        home: options.home,
        cacheDir: options.cacheDir,
        stateDir: options.stateDir,
        intervalMinutes: options.interval,
        log: line =>
          console.log(`${new Date().toISOString()} studio-backup: ${line}`)
      });
      const port = await listen(server, options.port);
      // Only a caller that read this file (the Jupyter server extension) is answered.
      const unpublish = await publishAgentSecret(stateDir, port, secret).catch(
        (err: Error) => {
          server.close();
          throw err;
        }
      );
      console.log(
        `studio-backup agent ${VERSION} listening on http://${AGENT_HOST}:${port}, repository ${repository}`
      );
      await new Promise<void>(resolve => {
        const stop = () => server.close(() => resolve());
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await unpublish();
    });
}
