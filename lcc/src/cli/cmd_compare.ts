import { Command } from 'commander';
import { resolve } from 'node:path';
import { Excludes } from '../backup/excludes';
import { diffSnapshots, diffWithFolder, findVersions } from '../browse/compare';
import { normaliseRelative } from '../browse/names';
import { searchSnapshots } from '../browse/search';
import { humanBytes, openReadOnly, printJson, table, withRepo } from './common';

export function diffCommand(): Command {
  return withRepo(new Command('diff'))
    .description(
      'what was added, removed or changed between two snapshots, or a snapshot and a folder'
    )
    .argument('<from>', 'snapshot')
    .argument('[to]', 'another snapshot (or use --source)')
    .option('--source <dir>', 'compare with this folder instead of a snapshot')
    .action(async (from: string, to: string | undefined, options) => {
      const repo = await openReadOnly(options);
      let result;
      if (to) {
        result = await diffSnapshots(repo, from, to);
      } else if (options.source) {
        const source = resolve(options.source);
        const excludes = await Excludes.load(source);
        result = await diffWithFolder(repo, from, source, (rel, isDir) =>
          excludes.excludedWithParents(rel, isDir)
        );
      } else {
        throw new Error(
          'Give a second snapshot or --source DIR to compare with.'
        );
      }
      if (options.json) {
        printJson(result);
        return;
      }
      for (const p of result.added) console.log(`+ ${p}`);
      for (const p of result.removed) console.log(`- ${p}`);
      for (const p of result.changed) console.log(`M ${p}`);
      console.log(
        `${result.added.length} added, ${result.removed.length} removed, ${result.changed.length} changed`
      );
    });
}

export function findCommand(): Command {
  return withRepo(new Command('find'))
    .description('every version of one path across snapshots, newest first')
    .argument('<path>', 'path relative to the home')
    .action(async (path: string, options) => {
      const versions = await findVersions(
        await openReadOnly(options),
        normaliseRelative(path)
      );
      if (options.json) {
        printJson(versions);
        return;
      }
      if (versions.length === 0) {
        console.log(`No snapshot holds ${path}.`);
        return;
      }
      const rows = [['SNAPSHOT', 'TIME', 'KIND', 'TYPE', 'SIZE']];
      for (const v of versions) {
        rows.push([
          v.shortId,
          v.time.replace('T', ' ').slice(0, 19),
          v.kind,
          v.type,
          v.type === 'file' ? humanBytes(v.size) : ''
        ]);
      }
      console.log(table(rows));
    });
}

export function searchCommand(): Command {
  return withRepo(new Command('search'))
    .description(
      'files whose name matches, in every snapshot, with each distinct version'
    )
    .argument(
      '<pattern>',
      'a glob ("*.ipynb", "data/**/*.csv") or part of a name; case-insensitive'
    )
    .option('--limit <n>', 'at most this many paths', '200')
    .action(async (pattern: string, options) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) {
        throw new Error(
          `--limit must be a positive whole number, not ${options.limit}.`
        );
      }
      const result = await searchSnapshots(
        await openReadOnly(options),
        pattern,
        {
          limit
        }
      );
      if (options.json) {
        printJson(result);
        return;
      }
      if (result.paths.length === 0) {
        console.log(
          `No file matches ${pattern} in ${result.snapshots} snapshots.`
        );
        return;
      }
      const rows = [['PATH', 'SNAPSHOT', 'TIME', 'SIZE']];
      for (const found of result.paths) {
        for (const v of found.versions) {
          rows.push([
            found.path,
            v.shortId,
            v.time.replace('T', ' ').slice(0, 19),
            v.type === 'file' ? humanBytes(v.size) : v.type
          ]);
        }
      }
      console.log(table(rows));
      if (result.truncated) {
        console.log(
          `Only the first ${limit} paths are listed: narrow the pattern or raise --limit.`
        );
      }
    });
}
