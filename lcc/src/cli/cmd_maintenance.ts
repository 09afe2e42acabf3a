import { Command, InvalidArgumentError, Option } from 'commander';
import { check } from '../maintenance/check';
import { forget } from '../maintenance/forget';
import { DEFAULT_GRACE_MS, prune } from '../maintenance/prune';
import { repairIndex, repairSnapshots } from '../maintenance/repair';
import { repositoryStats } from '../maintenance/stats';
import {
  countPrinter,
  EXIT_ERROR,
  humanBytes,
  openRepository,
  printJson,
  setExitCode,
  table,
  withRepo
} from './common';

function count(value: string): number {
  if (!/^\d+$/.test(value)) {
    throw new InvalidArgumentError('expected a whole number.');
  }
  return Number(value);
}

function duration(value: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(value.trim());
  if (!m) {
    throw new InvalidArgumentError('expected a duration such as 30m, 1h or 0.');
  }
  return (
    Number(m[1]) *
    { s: 1000, m: 60000, h: 3600000, d: 86400000 }[
      (m[2] ?? 's') as 's' | 'm' | 'h' | 'd'
    ]
  );
}

export function forgetCommand(): Command {
  return withRepo(new Command('forget'))
    .description(
      'remove snapshots that the retention rules do not keep (run prune afterwards to free space)'
    )
    .option('--keep-last <n>', 'keep the n newest snapshots', count)
    .option(
      '--keep-hourly <n>',
      'keep the newest snapshot of each of the last n hours with one',
      count
    )
    .option('--keep-daily <n>', 'the same per day', count)
    .option('--keep-weekly <n>', 'the same per ISO week', count)
    .option('--keep-monthly <n>', 'the same per month', count)
    .option('--dry-run', 'show what would be removed, remove nothing')
    .action(async options => {
      const repo = await openRepository(options);
      const decision = await forget(
        repo,
        {
          last: options.keepLast,
          hourly: options.keepHourly,
          daily: options.keepDaily,
          weekly: options.keepWeekly,
          monthly: options.keepMonthly
        },
        { dryRun: options.dryRun }
      );
      if (options.json) {
        printJson({
          dryRun: Boolean(options.dryRun),
          keep: decision.keep.map(k => ({
            id: k.snapshot.id,
            time: k.snapshot.time,
            reasons: k.reasons
          })),
          remove: decision.remove.map(s => ({ id: s.id, time: s.time }))
        });
        return;
      }
      for (const k of decision.keep) {
        console.log(
          `keep    ${k.snapshot.shortId}  ${k.snapshot.time}  (${k.reasons.join(', ')})`
        );
      }
      for (const s of decision.remove) {
        console.log(
          `${options.dryRun ? 'would remove' : 'remove'}  ${s.shortId}  ${s.time}`
        );
      }
      console.log(
        `${decision.keep.length} kept, ${decision.remove.length} ${options.dryRun ? 'would be removed' : 'removed'}`
      );
    });
}

export function pruneCommand(): Command {
  return withRepo(new Command('prune'))
    .description(
      'delete data that no snapshot references (under the exclusive lock)'
    )
    .addOption(
      new Option('--grace <duration>', 'never delete packs younger than this')
        .argParser(duration)
        .default(DEFAULT_GRACE_MS, '1h')
    )
    .option('--dry-run', 'list the packs that would be deleted or repacked')
    .action(async options => {
      const repo = await openRepository(options);
      const result = await prune(repo, {
        graceMs: options.grace,
        dryRun: options.dryRun,
        log: line => !options.json && console.error(line)
      });
      if (options.json) {
        printJson({ dryRun: Boolean(options.dryRun), ...result });
        return;
      }
      if (options.dryRun) {
        for (const pack of result.packs) {
          console.log(
            `would ${pack.action.padEnd(6)}  ${pack.id.slice(0, 16)}  ${humanBytes(pack.size)}${pack.action === 'repack' ? ` (${humanBytes(pack.usedBytes)} in use)` : ''}`
          );
        }
      }
      console.log(
        `${options.dryRun ? 'would delete' : 'deleted'} ${result.packsDeleted} packs (${result.packsRepacked} repacked), freeing ${humanBytes(result.bytesFreed)}; ${result.blobsKept} blobs in use`
      );
    });
}

export function checkCommand(): Command {
  return withRepo(new Command('check'))
    .description(
      'verify manifests, indexes and references; with --read-data, re-read and re-hash all content'
    )
    .option('--read-data', 'download every pack and verify every blob')
    .action(async options => {
      const repo = await openRepository(options);
      const result = await check(repo, {
        readData: options.readData,
        onPack: options.json
          ? undefined
          : countPrinter('reading packs', 'packs')
      });
      if (options.json) {
        printJson(result);
      } else {
        for (const problem of result.problems) {
          console.error(`error: ${problem.message}`);
        }
        console.log(
          `${result.snapshots} snapshots, ${result.packs} packs, ${result.blobs} blobs checked${options.readData ? `, ${humanBytes(result.bytesRead)} read` : ''}: ${result.problems.length === 0 ? 'no errors' : `${result.problems.length} problems`}`
        );
      }
      if (result.problems.length > 0) {
        setExitCode(EXIT_ERROR);
      }
    });
}

export function statsCommand(): Command {
  return withRepo(new Command('stats'))
    .description('what the repository stores and how much deduplication saves')
    .action(async options => {
      const stats = await repositoryStats(await openRepository(options));
      const { storedBytes: stored, packs, logicalBytes: logical } = stats;
      const latest = stats.latestBytes;
      if (options.json) {
        printJson(stats);
        return;
      }
      console.log(
        table([
          ['snapshots', String(stats.snapshots)],
          ['packs', String(packs)],
          ['stored', humanBytes(stored)],
          ['latest snapshot', humanBytes(latest)],
          ['all snapshots (logical)', humanBytes(logical)],
          ['space saved', stored > 0 ? `${stats.ratio.toFixed(1)}x` : '-']
        ])
      );
    });
}

export function repairCommand(): Command {
  const repair = new Command('repair').description(
    'mend a damaged repository: rebuild the index from the packs, or drop unreadable snapshots'
  );
  repair.addCommand(
    withRepo(new Command('index'))
      .description("rebuild the index from the packs' own trailers")
      .option('--dry-run', 'read the packs, write and delete nothing')
      .action(async options => {
        const result = await repairIndex(await openRepository(options), {
          dryRun: options.dryRun,
          onPack: options.json
            ? undefined
            : countPrinter('reading pack trailers', 'packs')
        });
        if (options.json) {
          printJson({ dryRun: Boolean(options.dryRun), ...result });
        } else {
          for (const bad of result.unreadable) {
            console.error(`error: pack ${bad.pack.slice(0, 12)}: ${bad.error}`);
          }
          console.log(
            `${options.dryRun ? 'would index' : 'indexed'} ${result.blobs} blobs in ${result.packsRead} packs${options.dryRun ? '' : `, replacing ${result.indexFilesReplaced} index files`}; ${result.unreadable.length} packs unreadable`
          );
        }
        if (result.unreadable.length > 0) {
          setExitCode(EXIT_ERROR);
        }
      })
  );
  repair.addCommand(
    withRepo(new Command('snapshots'))
      .description('remove snapshot manifests that cannot be read')
      .option('--dry-run', 'list them, remove nothing')
      .action(async options => {
        const result = await repairSnapshots(await openRepository(options), {
          dryRun: options.dryRun
        });
        if (options.json) {
          printJson({ dryRun: Boolean(options.dryRun), ...result });
          return;
        }
        for (const id of result.removed) {
          console.log(
            `${options.dryRun ? 'would remove' : 'removed'}  ${id.slice(0, 8)}  ${result.reasons[id]}`
          );
        }
        console.log(
          `${result.checked} snapshots checked, ${result.removed.length} ${options.dryRun ? 'would be removed' : 'removed'}; run "studio-backup prune" to free their data`
        );
      })
  );
  return repair;
}
