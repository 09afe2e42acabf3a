import { Command } from 'commander';
import { openView } from '../browse/view';
import { normaliseRelative } from '../browse/names';
import { humanBytes, openReadOnly, printJson, table, withRepo } from './common';

export function lsCommand(): Command {
  return withRepo(new Command('ls'))
    .description('list one folder of a snapshot')
    .argument(
      '<snapshot>',
      'snapshot id, unique prefix, reference timestamp, or "latest"'
    )
    .argument('[path]', 'folder inside the snapshot', '')
    .action(async (snapshot: string, path: string, options) => {
      const view = await openView(await openReadOnly(options), snapshot);
      const rel = normaliseRelative(path);
      const entries = await view.listDir(rel);
      if (!entries) {
        throw new Error(
          `${rel || '/'} is not a folder in snapshot ${view.info.shortId}.`
        );
      }
      if (options.json) {
        printJson(
          entries.map(({ contentId, ...e }) => ({
            ...e,
            path: rel ? `${rel}/${e.name}` : e.name
          }))
        );
        return;
      }
      const rows = [['TYPE', 'SIZE', 'MODIFIED', 'NAME']];
      for (const e of entries) {
        rows.push([
          e.type,
          e.type === 'file' ? humanBytes(e.size) : '',
          e.mtime
            ? new Date(e.mtime).toISOString().replace('T', ' ').slice(0, 19)
            : '',
          e.type === 'dir'
            ? `${e.name}/`
            : e.type === 'symlink'
              ? `${e.name} -> ${e.target}`
              : e.name
        ]);
      }
      console.log(table(rows));
    });
}
