import { Command } from 'commander';
import {
  IImportedCopy,
  importReference,
  parseSince
} from '../maintenance/import-reference';
import { openBackend } from '../repository/open';
import { parseLocation } from '../repository/location';
import { humanBytes, printJson, withRepo } from './common';

/** <prefix>/<profile>/<space>, the reference's layout: the last two parts name the owner and the space. */
function identityOf(url: string): { profile?: string; space?: string } {
  const location = parseLocation(url);
  const parts = (location.kind === 's3' ? location.prefix : location.path)
    .split('/')
    .filter(Boolean);
  return parts.length >= 2
    ? { profile: parts[parts.length - 2], space: parts[parts.length - 1] }
    : {};
}

function describe(copy: IImportedCopy): string {
  const size = `${copy.objects} objects, ${humanBytes(copy.bytes)}`;
  switch (copy.status) {
    case 'imported':
      return `imported  ${copy.ts} as snapshot ${copy.snapshot!.slice(0, 8)} (${size}, ${humanBytes(copy.bytesAdded ?? 0)} new)`;
    case 'already-imported':
      return `skipped   ${copy.ts}: imported before (${size})`;
    case 'would-import':
      return `would import ${copy.ts} (${size})`;
    default:
      return `skipped   ${copy.ts}: incomplete (${size})`;
  }
}

export function importCommand(): Command {
  return withRepo(new Command('import-reference'))
    .description(
      "turn the reference LCC's full copies at this location into deduplicated snapshots (the copies stay)"
    )
    .option(
      '--since <time>',
      'only copies taken at or after YYYY-MM-DD[-HH-MM-SS]',
      parseSince
    )
    .option(
      '--from <url>',
      "where the copies are, when not under --repo (e.g. the reference script's own bucket and prefix for this space)"
    )
    .option('--dry-run', 'list what would be imported, write nothing')
    .action(async options => {
      const url: string = options.repo ?? '';
      const result = await importReference(openBackend(url), {
        ...(options.from ? { copies: openBackend(options.from) } : {}),
        since: options.since,
        dryRun: options.dryRun,
        ...identityOf(options.from ?? url),
        onCopy: options.json
          ? copy => printJson({ type: 'copy', ...copy })
          : copy => {
              console.log(describe(copy));
              copy.warnings.forEach(w => console.error(`warning: ${w}`));
            }
      });
      const { copiesBytes, repositoryBefore, repositoryAfter } = result;
      const count = result.copies.length;
      if (options.json) {
        printJson({
          type: 'summary',
          dryRun: Boolean(options.dryRun),
          copies: count,
          imported: result.copies.filter(c => c.status === 'imported').length,
          copiesBytes,
          repositoryBefore,
          repositoryAfter
        });
        return;
      }
      if (count === 0) {
        console.log(
          `No reference copies in ${options.from ?? url}${options.since ? ` since ${options.since}` : ''}.`
        );
        return;
      }
      console.log(
        `storage: ${count} reference copies ${humanBytes(copiesBytes)}; repository ${humanBytes(repositoryBefore)} before, ${humanBytes(repositoryAfter)} after` +
          (options.dryRun ? ' (dry run: nothing written)' : '')
      );
    });
}
