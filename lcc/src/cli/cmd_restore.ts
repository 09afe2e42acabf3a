import { Command, Option } from 'commander';
import { restore } from '../restore/restore';
import { openView } from '../browse/view';
import {
  EXIT_OK,
  EXIT_PARTIAL,
  setExitCode,
  humanBytes,
  openReadOnly,
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
    .option('--keep-setid', 'restore setuid/setgid bits as stored')
    .option(
      '--verify',
      'read back every restored file and compare it with the snapshot'
    )
    .action(async (snapshot: string, paths: string[], options) => {
      const view = await openView(await openReadOnly(options), snapshot);
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
        keepSetid: options.keepSetid,
        verify: options.verify,
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
          warnings: result.warnings,
          damaged: result.damaged,
          ...(result.verified ? { verified: result.verified } : {})
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
        if (result.damaged.length > 0) {
          console.error(
            `${result.damaged.length} files are damaged in the backup and were not restored (the files in place are untouched): run "studio-backup check --read-data".`
          );
        }
        if (result.verified) {
          console.log(
            `verified ${result.verified.files} files: ${result.verified.mismatches.length === 0 ? 'all match the snapshot' : `${result.verified.mismatches.length} differ`}`
          );
        }
      }
      setExitCode(result.warnings.length > 0 ? EXIT_PARTIAL : EXIT_OK);
    });
}
