import { Command, CommanderError } from 'commander';
import { VERSION } from '../version';
import { agentCommand } from './cmd_agent';

export function buildProgram(): Command {
  return new Command('studio-backup')
    .description(
      'Backups and self-service restore of SageMaker Studio home directories.'
    )
    .version(VERSION)
    .option('--debug', 'print stack traces of errors')
    .addCommand(agentCommand())
    .exitOverride();
}

/** Runs the CLI and returns its exit code; errors become one line on stderr, never a stack trace unless --debug. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its message (or the help text).
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    console.error(`studio-backup: ${message}`);
    if (argv.includes('--debug') && err instanceof Error) {
      console.error(err.stack);
    }
    return 1;
  }
}
