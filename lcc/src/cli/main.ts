import { Command, CommanderError } from 'commander';
import { VERSION } from '../version';
import { agentCommand } from './cmd_agent';
import { backupCommand } from './cmd_backup';
import { lsCommand } from './cmd_ls';
import { restoreCommand } from './cmd_restore';
import { snapshotsCommand } from './cmd_snapshots';
import { diffCommand, findCommand } from './cmd_compare';
import {
  checkCommand,
  forgetCommand,
  pruneCommand,
  repairCommand,
  statsCommand
} from './cmd_maintenance';
import { studioStartCommand } from './cmd_studio';
import { installLccCommand } from './cmd_install';
import { importCommand } from './cmd_import';
import { takeExitCode } from './common';

export function buildProgram(): Command {
  return new Command('studio-backup')
    .description(
      'Backups and self-service restore of SageMaker Studio home directories.'
    )
    .version(VERSION)
    .option('--debug', 'print stack traces of errors')
    .addCommand(backupCommand())
    .addCommand(snapshotsCommand())
    .addCommand(lsCommand())
    .addCommand(restoreCommand())
    .addCommand(diffCommand())
    .addCommand(findCommand())
    .addCommand(forgetCommand())
    .addCommand(pruneCommand())
    .addCommand(checkCommand())
    .addCommand(repairCommand())
    .addCommand(statsCommand())
    .addCommand(importCommand())
    .addCommand(agentCommand())
    .addCommand(studioStartCommand())
    .addCommand(installLccCommand())
    .exitOverride();
}

/** Runs the CLI and returns its exit code; errors become one line on stderr, never a stack trace unless --debug. */
export async function main(argv: string[]): Promise<number> {
  // Studio images ship Node 18 or 20: the SDK's multi-line notice about future versions would break
  // the one-line output of every command, so it stays off unless asked for.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return takeExitCode();
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
