/** Finding files by name in every snapshot; no DOM here. */
import type { SearchResponse } from '@studio-backup/lcc/contract';
import { ISignal, Signal } from '@lumino/signaling';
import { errorMessage } from './errors';

export interface ISearchSource {
  search(pattern: string): Promise<SearchResponse>;
}

export class SearchModel {
  constructor(private readonly _source: ISearchSource) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get pattern(): string {
    return this._pattern;
  }
  get result(): SearchResponse | undefined {
    return this._result;
  }
  get error(): string | undefined {
    return this._error;
  }
  get busy(): boolean {
    return this._busy;
  }

  /** Searches; an answer to an older search that comes late never replaces a newer one. */
  async search(pattern: string): Promise<void> {
    const seq = ++this._seq;
    this._pattern = pattern;
    this._busy = true;
    this._changed.emit();
    try {
      const result = await this._source.search(pattern);
      if (seq === this._seq) {
        this._result = result;
        this._error = undefined;
      }
    } catch (err) {
      if (seq === this._seq) {
        this._result = undefined;
        this._error = errorMessage(err);
      }
    } finally {
      if (seq === this._seq) {
        this._busy = false;
        this._changed.emit();
      }
    }
  }

  private _seq = 0;
  private _pattern = '';
  private _result?: SearchResponse;
  private _error?: string;
  private _busy = false;
  private readonly _changed = new Signal<this, void>(this);
}
