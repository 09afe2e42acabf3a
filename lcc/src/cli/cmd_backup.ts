import { Command, InvalidArgumentError } from 'commander';
import { homedir } from 'node:os';
import { backup } from '../backup/backup';
import { checkSource } from '../backup/scan';
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

function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(value.trim());
  if (!m) {
    throw new InvalidArgumentError('expected a size such as 500M or 2G.');
  }
  const power = ' kmgt'.indexOf(m[2].toLowerCase() || ' ');
  return Math.round(Number(m[1]) * 1024 ** power);
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function backupCommand(): Command {
  return withRepo(new Command('backup'))
    .description(
      'back up a folder (default: the home) as a new snapshot; creates the repository on first use'
    )
    .option(
      '--source <dir>',
      'folder to back up',
      process.env.HOME ?? homedir()
    )
    .option(
      '--exclude <pattern>',
      'leave out paths matching this gitignore-style pattern (repeatable)',
      collect,
      []
    )
    .option(
      '--include-hidden <folder>',
      'back up this hidden top-level folder too (repeatable)',
      collect,
      []
    )
    .option(
      '--max-file-size <size>',
      'skip files larger than this (e.g. 2G)',
      parseSize
    )
    .option('--tag <tag>', 'tag the snapshot (repeatable)', collect, [])
    .option(
      '--cache-dir <dir>',
      'where the local file cache lives (default ~/.cache/studio-backup)'
    )
    .action(async options => {
      await checkSource(options.source);
      const repo = await openRepository(options, true);
      const result = await backup(repo, {
        source: options.source,
        exclude: options.exclude,
        includeHidden: options.includeHidden,
        maxFileSize: options.maxFileSize,
        tags: options.tag,
        cacheDir: options.cacheDir,
        profile: process.env.STUDIO_BACKUP_PROFILE,
        space: process.env.STUDIO_BACKUP_SPACE,
        appType: process.env.STUDIO_BACKUP_APP_TYPE,
        onProgress: progressPrinter(options.json)
      });
      const t = result.manifest.totals;
      if (options.json) {
        printJson({
          type: 'summary',
          snapshot: result.snapshotId,
          ...result.manifest,
          warnings: result.warnings
        });
      } else {
        for (const warning of result.warnings) {
          console.error(`warning: ${warning}`);
        }
        console.log(
          `snapshot ${result.snapshotId.slice(0, 8)} saved: ${t.files} files (${t.filesNew} new, ${t.filesChanged} changed, ${t.filesUnchanged} unchanged), ${humanBytes(t.bytes)}, ${humanBytes(t.bytesAdded)} new, ${humanBytes(repo.bytesUploaded)} uploaded, ${(result.manifest.durationMs / 1000).toFixed(1)} s`
        );
      }
      setExitCode(result.warnings.length > 0 ? EXIT_PARTIAL : EXIT_OK);
    });
}
