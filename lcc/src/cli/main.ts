import { Command, CommanderError } from 'commander';
import { VERSION } from '../version';

/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * Each command's module is loaded only when that command runs: together they pull in three AWS SDK
 * clients, about a second of start-up that `--version` or a backup to a local folder need not pay.
 */
const COMMANDS: Record<string, () => Command[]> = {
  backup: () => [require('./cmd_backup').backupCommand()],
  snapshots: () => [require('./cmd_snapshots').snapshotsCommand()],
  ls: () => [require('./cmd_ls').lsCommand()],
  restore: () => [require('./cmd_restore').restoreCommand()],
  diff: () => [require('./cmd_compare').diffCommand()],
  find: () => [require('./cmd_compare').findCommand()],
  search: () => [require('./cmd_compare').searchCommand()],
  forget: () => [require('./cmd_maintenance').forgetCommand()],
  prune: () => [require('./cmd_maintenance').pruneCommand()],
  check: () => [require('./cmd_maintenance').checkCommand()],
  repair: () => [require('./cmd_maintenance').repairCommand()],
  stats: () => [require('./cmd_maintenance').statsCommand()],
  'import-reference': () => [require('./cmd_import').importCommand()],
  agent: () => [require('./cmd_agent').agentCommand()],
  'studio-start': () => [require('./cmd_studio').studioStartCommand()],
  'install-lcc': () => [require('./cmd_install').installLccCommand()]
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The program with the command named in `argv` only; with none named, every command (for the help
 * and its errors), except for a bare --version, which needs none.
 */
export function buildProgram(argv: string[] = []): Command {
  const program = new Command('studio-backup')
    .description(
      'Backups and self-service restore of SageMaker Studio home directories.'
    )
    .version(VERSION)
    .option('--debug', 'print stack traces of errors')
    .exitOverride();
  const words = argv.slice(2);
  const named = words.find(word => !word.startsWith('-'));
  const wanted =
    named !== undefined && named in COMMANDS
      ? [named]
      : words.length === 1 && ['--version', '-V'].includes(words[0])
        ? []
        : Object.keys(COMMANDS);
  for (const name of wanted) {
    for (const command of COMMANDS[name]()) {
      program.addCommand(command);
    }
  }
  return program;
}

/** Runs the CLI and returns its exit code; errors become one line on stderr, never a stack trace unless --debug. */
export async function main(argv: string[]): Promise<number> {
  // Studio images ship Node 18 or 20: the SDK's multi-line notice about future versions would break
  // the one-line output of every command, so it stays off unless asked for.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const program = buildProgram(argv);
  try {
    await program.parseAsync(argv);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./common') as typeof import('./common')).takeExitCode();
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
