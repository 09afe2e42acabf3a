/** Snapshots, the running job and the protection summary: state and signals, no DOM. */
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import type {
  Job,
  RestorePlanResponse,
  RestoreRequestBody,
  SnapshotSummary,
  StatusResponse,
  TreeResponse
} from '@studio-backup/lcc/contract';
import { errorMessage } from './errors';

/** What the snapshots model needs from the agent (the panel's AgentClient; a test double in unit tests). */
export interface IBackupsSource {
  status(): Promise<StatusResponse>;
  snapshots(): Promise<SnapshotSummary[]>;
  startBackup(): Promise<Job>;
  cancelJob(id: string): Promise<Job>;
  tree(snapshot: string, path: string, cursor?: string): Promise<TreeResponse>;
  planRestore(
    body: Omit<RestoreRequestBody, 'dryRun'>
  ): Promise<RestorePlanResponse>;
  startRestore(body: Omit<RestoreRequestBody, 'dryRun'>): Promise<Job>;
  followJob(id: string, onUpdate: (job: Job) => void): Promise<Job>;
}

export interface IDayGroup {
  /** "Today", "Yesterday" or the date (YYYY-MM-DD), in the browser's time zone. */
  label: string;
  snapshots: SnapshotSummary[];
}

function localDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Newest first, grouped by the local day they were taken. */
export function groupByDay(
  snapshots: SnapshotSummary[],
  now = new Date()
): IDayGroup[] {
  const today = localDay(now);
  const yesterday = localDay(new Date(now.getTime() - 86_400_000));
  const groups: IDayGroup[] = [];
  const sorted = [...snapshots].sort((a, b) =>
    a.time < b.time ? 1 : a.time > b.time ? -1 : 0
  );
  for (const snapshot of sorted) {
    const day = localDay(new Date(snapshot.time));
    const label =
      day === today ? 'Today' : day === yesterday ? 'Yesterday' : day;
    const group = groups[groups.length - 1];
    if (group?.label === label) {
      group.snapshots.push(snapshot);
    } else {
      groups.push({ label, snapshots: [snapshot] });
    }
  }
  return groups;
}

/** One row of the virtualized snapshot list: a day heading or a snapshot. */
export type SnapshotRow =
  | { kind: 'day'; label: string }
  | { kind: 'snapshot'; snapshot: SnapshotSummary };

export function snapshotRows(groups: IDayGroup[]): SnapshotRow[] {
  const rows: SnapshotRow[] = [];
  for (const group of groups) {
    rows.push({ kind: 'day', label: group.label });
    for (const snapshot of group.snapshots) {
      rows.push({ kind: 'snapshot', snapshot });
    }
  }
  return rows;
}

type TreeEntry = TreeResponse['entries'][number];

/** Entries whose name contains the filter, ignoring case; all of them for an empty filter. */
export function filterEntries(
  entries: TreeEntry[],
  filter: string
): TreeEntry[] {
  const needle = filter.trim().toLowerCase();
  return needle
    ? entries.filter(e => e.name.toLowerCase().includes(needle))
    : entries;
}

export function ago(
  from: Date,
  now = new Date(),
  // Without a translator (tests): English, placeholders filled in.
  trans: TranslationBundle = nullTranslator.load('sagemaker-studio-backup')
): string {
  const minutes = Math.max(
    0,
    Math.round((now.getTime() - from.getTime()) / 60_000)
  );
  if (minutes < 1) {
    return trans.__('just now');
  }
  if (minutes < 60) {
    return trans.__('%1 min ago', minutes);
  }
  const hours = Math.round(minutes / 60);
  return hours < 48
    ? trans.__('%1 h ago', hours)
    : trans._n('%1 day ago', '%1 days ago', Math.round(hours / 24));
}

/** The one line at the top of the panel, translated. */
export function protectionLine(
  status: StatusResponse | null,
  job: Job | null,
  latest: SnapshotSummary | undefined,
  now = new Date(),
  // Without a translator (tests): English, placeholders filled in.
  trans: TranslationBundle = nullTranslator.load('sagemaker-studio-backup'),
  cancelling = false
): string {
  if (job?.state === 'running' && cancelling) {
    return trans.__('Cancelling the backup…');
  }
  if (job?.state === 'running') {
    const p = job.progress;
    const percent =
      p && p.bytesTotal > 0
        ? Math.floor((100 * p.bytesDone) / p.bytesTotal)
        : 0;
    return trans.__('Backing up… %1%', percent);
  }
  const last = status?.lastBackup;
  if (job?.state === 'cancelled' || (!job && last?.state === 'cancelled')) {
    return latest
      ? trans.__(
          'Backup cancelled: nothing new saved, last backup %1',
          ago(new Date(latest.time), now, trans)
        )
      : trans.__('Backup cancelled: nothing saved yet');
  }
  if (last?.state === 'failed') {
    return trans.__(
      'Last backup failed: %1',
      last.error ?? trans.__('unknown error')
    );
  }
  if (!latest) {
    return trans.__('No backup yet');
  }
  const since = ago(new Date(latest.time), now, trans);
  if (!status?.nextBackup) {
    return trans.__('Protected — last backup %1', since);
  }
  const minutes = Math.max(
    0,
    Math.round((Date.parse(status.nextBackup) - now.getTime()) / 60_000)
  );
  return trans.__('Protected — last backup %1, next in %2 min', since, minutes);
}

export class SnapshotsModel {
  constructor(private readonly _source: IBackupsSource) {}

  get snapshots(): SnapshotSummary[] {
    return this._snapshots;
  }

  get status(): StatusResponse | null {
    return this._status;
  }

  get job(): Job | null {
    return this._job;
  }

  get error(): string | null {
    return this._error;
  }

  /** Why the snapshots could not be listed at the last refresh, if they could not. */
  get listError(): string | null {
    return this._listError;
  }

  /** The folder of a snapshot being browsed, or null on the snapshot list. */
  get browsing(): TreeResponse | null {
    return this._browsing;
  }

  /**
   * Opens a folder of a snapshot ("" is its root); later pages are appended with {@link more}.
   * With `orParent` (the timeline, moving to another snapshot), a folder that snapshot does not
   * hold opens its closest parent there instead.
   */
  async browse(snapshot: string, path = '', orParent = false): Promise<void> {
    // A slow answer for a folder left since must not replace the one opened after it.
    const seq = ++this._browseSeq;
    try {
      const tree = await this._treeOrParent(snapshot, path, orParent);
      if (seq !== this._browseSeq) {
        return;
      }
      this._browsing = tree;
      this._selected = new Set();
      this._error = null;
    } catch (err) {
      if (seq !== this._browseSeq) {
        return;
      }
      this._error = errorMessage(err);
    }
    this._changed.emit();
  }

  private async _treeOrParent(
    snapshot: string,
    path: string,
    orParent: boolean
  ): Promise<TreeResponse> {
    try {
      return await this._source.tree(snapshot, path);
    } catch (err) {
      if (!orParent || !path || (err as { status?: number }).status !== 404) {
        throw err;
      }
      const slash = path.lastIndexOf('/');
      return this._treeOrParent(
        snapshot,
        slash < 0 ? '' : path.slice(0, slash),
        true
      );
    }
  }

  /** Loads the next page of the folder being browsed; a call while one loads does nothing. */
  async more(): Promise<void> {
    const current = this._browsing;
    if (!current?.nextCursor || this._loadingMore) {
      return;
    }
    this._loadingMore = true;
    try {
      const page = await this._source.tree(
        current.snapshot,
        current.path,
        current.nextCursor
      );
      // The user may have moved to another folder meanwhile.
      if (this._browsing === current) {
        this._browsing = {
          ...page,
          entries: [...current.entries, ...page.entries]
        };
      }
    } catch (err) {
      this._error = errorMessage(err);
    } finally {
      this._loadingMore = false;
    }
    this._changed.emit();
  }

  /** Paths of the browsed folder ticked for a multi-selection restore. */
  get selected(): ReadonlySet<string> {
    return this._selected;
  }

  toggleSelected(path: string): void {
    const next = new Set(this._selected);
    if (!next.delete(path)) {
      next.add(path);
    }
    this._selected = next;
    this._changed.emit();
  }

  closeBrowser(): void {
    // A folder still loading does not reopen the browser once closed.
    this._browseSeq++;
    this._browsing = null;
    this._selected = new Set();
    this._changed.emit();
  }

  /** Restores after the caller saw the dry run; resolves with the finished job. */
  async restore(body: Omit<RestoreRequestBody, 'dryRun'>): Promise<Job> {
    try {
      const job = await this._source.startRestore(body);
      this._restoreJob = job;
      this._changed.emit();
      return await this._source.followJob(job.id, update => {
        this._restoreJob = update;
        this._changed.emit();
      });
    } finally {
      this._restoreJob = null;
      this._changed.emit();
    }
  }

  planRestore(
    body: Omit<RestoreRequestBody, 'dryRun'>
  ): Promise<RestorePlanResponse> {
    return this._source.planRestore(body);
  }

  get restoreJob(): Job | null {
    return this._restoreJob;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  async refresh(): Promise<void> {
    try {
      // The agent answers no snapshots before the first backup; a failure here is the repository's
      // (unreadable, denied), shown in place of the list, while the status still comes through.
      const [status, listed] = await Promise.all([
        this._source.status(),
        this._source.snapshots().then(
          snapshots => ({ snapshots, error: null }),
          (err: unknown) => ({
            snapshots: this._snapshots,
            error: errorMessage(err)
          })
        )
      ]);
      this._status = status;
      this._snapshots = listed.snapshots;
      this._listError = listed.error;
      this._error = null;
      if (status.running && this._job?.id !== status.running.id) {
        void this._follow(status.running);
      }
    } catch (err) {
      this._error = errorMessage(err);
    }
    this._changed.emit();
  }

  /** Starts a backup and follows it; the snapshot list is reloaded when it ends. */
  async backupNow(): Promise<Job | null> {
    try {
      return await this._follow(await this._source.startBackup());
    } catch (err) {
      this._error = errorMessage(err);
      this._changed.emit();
      return null;
    }
  }

  /** Cancels the running backup; its event stream then ends with "cancelled". */
  async cancelBackup(): Promise<void> {
    const job = this._job;
    if (job?.state !== 'running' || this._cancelling) {
      return;
    }
    this._cancelling = true;
    this._changed.emit();
    try {
      await this._source.cancelJob(job.id);
    } catch (err) {
      this._cancelling = false;
      this._error = errorMessage(err);
      this._changed.emit();
    }
  }

  /** A cancel was asked and the backup has not stopped yet. */
  get cancelling(): boolean {
    return this._cancelling;
  }

  private async _follow(job: Job): Promise<Job> {
    this._job = job;
    this._changed.emit();
    try {
      this._job = await this._source.followJob(job.id, update => {
        this._job = update;
        this._changed.emit();
      });
    } finally {
      this._cancelling = false;
      await this.refresh();
    }
    return this._job;
  }

  private _snapshots: SnapshotSummary[] = [];
  private _listError: string | null = null;
  private _status: StatusResponse | null = null;
  private _job: Job | null = null;
  private _error: string | null = null;
  private _browsing: TreeResponse | null = null;
  private _browseSeq = 0;
  private _cancelling = false;
  private _restoreJob: Job | null = null;
  private _selected: ReadonlySet<string> = new Set();
  private _loadingMore = false;
  private _changed = new Signal<this, void>(this);
}
