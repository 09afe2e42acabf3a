import { Command, Option } from 'commander';
import { restore } from '../restore/restore';
import { openView } from '../restore/view';
import {
  EXIT_OK,
  EXIT_PARTIAL,
  setExitCode,
  humanBytes,
  openRepository,
  printJson,
  progressPrinter,
  withRepo
} from './common';

export function restoreCommand(): Command {
  return withRepo(new Command('restore'))
    .description('restore a whole snapshot or selected paths')
    .argument(
      '<snapshot>',
      'snapshot id, unique prefix, reference timestamp, or "latest"'
    )
    .argument('[paths...]', 'paths inside the snapshot (default: everything)')
    .option(
      '--target <dir>',
      'where to restore (default: the folder the snapshot was taken of)'
    )
    .addOption(
      new Option('--conflict <mode>', 'when a different file is already there')
        .choices(['skip', 'overwrite', 'rename'])
        .default('skip')
    )
    .option('--dry-run', 'list what would change, write nothing')
    .option(
      '--allow-external-symlinks',
      'recreate symlinks that point outside the target'
    )
    .action(async (snapshot: string, paths: string[], options) => {
      const view = await openView(await openRepository(options), snapshot);
      const target = options.target ?? view.info.manifest?.source;
      if (!target) {
        throw new Error(
          'This snapshot does not record where it came from: pass --target DIR.'
        );
      }
      const result = await restore(view, {
        paths,
        target,
        conflict: options.conflict,
        dryRun: options.dryRun,
        allowExternalSymlinks: options.allowExternalSymlinks,
        onProgress: options.dryRun ? undefined : progressPrinter(options.json)
      });
      const c = result.counts;
      if (options.json) {
        printJson({
          type: 'summary',
          snapshot: view.info.id,
          target,
          dryRun: Boolean(options.dryRun),
          counts: c,
          bytes: result.bytes,
          items: result.items.map(i => ({
            path: i.rel,
            dest: i.dest,
            type: i.entry.type,
            action: i.action
          })),
          warnings: result.warnings
        });
      } else {
        if (options.dryRun) {
          for (const item of result.items.filter(i => i.entry.type !== 'dir')) {
            console.log(`${item.action.padEnd(9)} ${item.dest}`);
          }
        }
        for (const warning of result.warnings) {
          console.error(`warning: ${warning}`);
        }
        const verb = options.dryRun ? 'would restore' : 'restored';
        console.log(
          `${verb} ${c.restore} new, ${c.overwrite} overwritten, ${c.rename} kept both, ${c.skip} skipped, ${c.unchanged} unchanged (${humanBytes(result.bytes)}) into ${target}`
        );
      }
      setExitCode(result.warnings.length > 0 ? EXIT_PARTIAL : EXIT_OK);
    });
}
