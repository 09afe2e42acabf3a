import { Button, FilterBox } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { TreeResponse } from '@studio-backup/lcc/contract';
import type { IBackupsContext } from '../context';
import { CommandIDs } from '../commands';
import { filterEntries } from '../snapshots';
import { formatSize } from './format';
import { restoreWithDialogs } from './restoreFlow';
import { VirtualList } from './VirtualList';
import { ENTRY_ROW_HEIGHT } from './SnapshotList';

type Entry = TreeResponse['entries'][number];
const UP = '..';

/**
 * One folder of a snapshot: go into folders and up, filter by name, preview a file, tick entries
 * and restore them (or one entry) to the original place or to restored-files/.
 */
export function SnapshotBrowser(props: {
  ctx: IBackupsContext;
  tree: TreeResponse;
}): JSX.Element {
  const { ctx, tree } = props;
  const { snapshots: model, trans } = ctx;
  const [filter, setFilter] = React.useState('');
  React.useEffect(() => setFilter(''), [tree.snapshot, tree.path]);
  // FilterBox hands over a match function and the query; the entries are matched by name as the
  // tests of filterEntries say (a substring, any case, spaces around it ignored).
  const updateFilter = React.useCallback(
    (_: unknown, query?: string) => setFilter(query ?? ''),
    []
  );
  // Its search box and its clear button have no label of their own (axe-core: a button without
  // a name): the placeholder's words for the box, "Clear the filter" for the button.
  const filterBox = React.useRef<HTMLInputElement>(null);
  React.useEffect(() => {
    const box = filterBox.current;
    box?.setAttribute('aria-label', trans.__('Filter by name'));
    box?.shadowRoot
      ?.querySelector('[part="clear-button"]')
      ?.setAttribute('aria-label', trans.__('Clear the filter'));
  }, [tree.snapshot, tree.path, trans]);
  const shortId = tree.snapshot.slice(0, 8);
  const parent = tree.path.includes('/')
    ? tree.path.slice(0, tree.path.lastIndexOf('/'))
    : '';
  const shown = React.useMemo(
    () => filterEntries(tree.entries, filter),
    [tree, filter]
  );
  const entries = React.useMemo(
    () =>
      tree.path === ''
        ? shown
        : [{ name: UP, path: UP, type: 'dir', size: 0 } as Entry, ...shown],
    [tree, shown]
  );
  // Of the entries loaded so far (a long folder loads page by page as it scrolls).
  const filtered = filter.trim() !== '';
  const matching = shown.length;
  const restore = (paths: string[]) =>
    void restoreWithDialogs(ctx, {
      snapshot: tree.snapshot,
      shortId,
      paths,
      askTarget: true
    });
  // Opened from a snapshot's row (a click or Enter): focus stays in the panel, on the way back;
  // opened from the timeline, focus stays on the timeline, to go on moving.
  // (The ui-components Button takes no ref: the way back is found in its crumbs.)
  const crumbs = React.useRef<HTMLDivElement>(null);
  React.useEffect(() => {
    if (!document.activeElement?.closest('.jp-StudioBackup-timeline')) {
      crumbs.current
        ?.querySelector<HTMLButtonElement>('.jp-StudioBackup-backToList')
        ?.focus();
    }
  }, [tree.snapshot]);
  const selected = model.selected;
  const render = (entry: Entry) => {
    if (entry.path === UP) {
      return (
        <div className="jp-StudioBackup-entry" data-path={UP}>
          <button
            className="jp-StudioBackup-entryName"
            onClick={() => void model.browse(tree.snapshot, parent)}
          >
            {UP}
          </button>
        </div>
      );
    }
    return (
      <div
        className="jp-StudioBackup-entry"
        data-path={entry.path}
        data-selected={selected.has(entry.path) || undefined}
      >
        <input
          type="checkbox"
          className="jp-StudioBackup-select"
          checked={selected.has(entry.path)}
          aria-label={trans.__('Select %1', entry.name)}
          onChange={() => model.toggleSelected(entry.path)}
        />
        {entry.type === 'dir' ? (
          <button
            className="jp-StudioBackup-entryName"
            onClick={() => void model.browse(tree.snapshot, entry.path)}
          >
            {entry.name}/
          </button>
        ) : (
          <button
            className="jp-StudioBackup-entryName"
            title={trans.__('Preview %1', entry.name)}
            onClick={() =>
              void ctx.commands.execute(CommandIDs.preview, {
                snapshot: tree.snapshot,
                path: entry.path
              })
            }
          >
            {entry.name}
          </button>
        )}
        <span className="jp-StudioBackup-entrySize">
          {entry.type === 'file' ? formatSize(entry.size) : ''}
        </span>
        <Button
          minimal
          className="jp-StudioBackup-restore"
          title={trans.__('Restore %1', entry.path)}
          aria-label={trans.__('Restore %1', entry.path)}
          onClick={() => restore([entry.path])}
        >
          {trans.__('Restore')}
        </Button>
      </div>
    );
  };
  return (
    <div
      className="jp-StudioBackup-browser"
      aria-label={trans.__('Snapshot %1', shortId)}
    >
      <div className="jp-StudioBackup-crumbs" ref={crumbs}>
        <Button
          minimal
          className="jp-StudioBackup-backToList"
          onClick={() => model.closeBrowser()}
        >
          {trans.__('All snapshots')}
        </Button>
        <span className="jp-StudioBackup-path">
          {shortId}:/{tree.path}
        </span>
      </div>
      <div className="jp-StudioBackup-browserTools">
        <div className="jp-StudioBackup-filter">
          {/* The file browser's filter box; a new one (empty) for each folder. */}
          <FilterBox
            key={`${tree.snapshot}:${tree.path}`}
            inputRef={filterBox}
            placeholder={trans.__('Filter by name')}
            updateFilter={updateFilter}
            useFuzzyFilter={false}
          />
        </div>
        <Button
          className="jp-mod-styled jp-StudioBackup-restoreSelected"
          disabled={selected.size === 0}
          onClick={() => restore([...selected])}
        >
          {trans.__('Restore selected (%1)', selected.size)}
        </Button>
      </div>
      <div className="jp-StudioBackup-count" role="status" aria-live="polite">
        {filtered
          ? trans._n(
              '%2 of %1 entry matches',
              '%2 of %1 entries match',
              tree.entries.length,
              matching
            )
          : trans.__(
              '%1 of %2 entries loaded',
              tree.entries.length,
              tree.total
            )}
      </div>
      <VirtualList
        items={entries}
        rowHeight={ENTRY_ROW_HEIGHT}
        className="jp-StudioBackup-entries"
        label={trans.__('Entries of %1', tree.path || '/')}
        itemKey={entry => entry.path}
        render={render}
        onNearEnd={() => void model.more()}
      />
    </div>
  );
}
