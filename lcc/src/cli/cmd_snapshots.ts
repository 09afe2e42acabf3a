import { Command } from 'commander';
import { humanBytes, openReadOnly, printJson, table, withRepo } from './common';

export function snapshotsCommand(): Command {
  return withRepo(new Command('snapshots'))
    .description(
      'list snapshots, newest first (ours and those written by the reference LCC)'
    )
    .action(async options => {
      const repo = await openReadOnly(options);
      const snapshots = await repo.listSnapshots();
      if (options.json) {
        printJson(snapshots);
        return;
      }
      if (snapshots.length === 0) {
        console.log('No snapshots yet.');
        return;
      }
      const rows = [['ID', 'TIME', 'KIND', 'FILES', 'SIZE', 'ADDED', 'TAGS']];
      for (const s of snapshots) {
        const t = s.manifest?.totals;
        rows.push([
          s.shortId,
          s.time.replace('T', ' ').slice(0, 19),
          s.kind === 'reference'
            ? `reference${s.complete ? '' : ' (incomplete)'}`
            : s.damaged
              ? 'damaged'
              : 'studio-backup',
          t ? String(t.files) : '-',
          t ? humanBytes(t.bytes) : '-',
          t ? humanBytes(t.bytesAdded) : '-',
          s.manifest?.tags.join(',') ?? ''
        ]);
      }
      console.log(table(rows));
      for (const s of snapshots.filter(s => s.damaged)) {
        console.error(`warning: snapshot ${s.shortId}: ${s.damaged}`);
      }
    });
}
