import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_AGENT_PORT } from '../api/contract';
import { createAgentServer, listen, AGENT_HOST } from '../agent/server';
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
    .action(async (options: { port: number; repo?: string }) => {
      const repository = formatLocation(parseLocation(options.repo ?? ''));
      const server = createAgentServer({ version: VERSION, repository });
      const port = await listen(server, options.port);
      console.log(
        `studio-backup agent ${VERSION} listening on http://${AGENT_HOST}:${port}, repository ${repository}`
      );
      await new Promise<void>(resolve => {
        const stop = () => server.close(() => resolve());
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
}
