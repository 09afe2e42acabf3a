/** Full-restore requests the user filed and the backend's recovery history; no DOM here. */
import { ISignal, Signal } from '@lumino/signaling';
import type { FullRestoreRecord } from '@studio-backup/lcc/contract';
import type { NewRestoreRequest, Recoveries } from './api';
import { errorMessage } from './errors';

export interface IRequestsSource {
  restoreRequests(): Promise<FullRestoreRecord[]>;
  createRestoreRequest(request: NewRestoreRequest): Promise<FullRestoreRecord>;
  recoveries(): Promise<Recoveries>;
}

/** "profile" or "profile/space", as typed in the recovery dialog. */
export function parseFormerHome(
  text: string
): { fromProfile: string; fromSpace?: string } | null {
  const [profile, space, ...rest] = text.trim().split('/');
  if (!profile || rest.length > 0 || space === '') {
    return null;
  }
  return space === undefined
    ? { fromProfile: profile }
    : { fromProfile: profile, fromSpace: space };
}

/** How a recovery request names its source in the list. */
export const formerHome = (
  r: Pick<FullRestoreRecord, 'fromProfile' | 'fromSpace'>
) =>
  r.fromSpace
    ? `${r.fromProfile ?? '?'}/${r.fromSpace}`
    : (r.fromProfile ?? '?');

export class RequestsModel {
  constructor(private readonly _source: IRequestsSource) {}

  /** Newest first. */
  get requests(): FullRestoreRecord[] {
    return this._requests;
  }

  get recoveries(): Recoveries['recoveries'] {
    return this._recoveries.recoveries;
  }

  /** Why there is no recovery history (no backend deployed), when there is none. */
  get recoveriesReason(): string | undefined {
    return this._recoveries.reason;
  }

  get error(): string | null {
    return this._error;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  async refresh(): Promise<void> {
    try {
      const [requests, recoveries] = await Promise.all([
        this._source.restoreRequests(),
        this._source.recoveries()
      ]);
      this._requests = [...requests].sort((a, b) =>
        a.created < b.created ? 1 : -1
      );
      this._recoveries = recoveries;
      this._error = null;
    } catch (err) {
      this._error = errorMessage(err);
    }
    this._changed.emit();
  }

  /** Files a request; a refusal (e.g. no backend for a profile recovery) becomes {@link error}. */
  async create(request: NewRestoreRequest): Promise<FullRestoreRecord | null> {
    try {
      const created = await this._source.createRestoreRequest(request);
      await this.refresh();
      return created;
    } catch (err) {
      this._error = errorMessage(err);
      this._changed.emit();
      return null;
    }
  }

  private _requests: FullRestoreRecord[] = [];
  private _recoveries: Recoveries = { recoveries: [] };
  private _error: string | null = null;
  private _changed = new Signal<this, void>(this);
}
