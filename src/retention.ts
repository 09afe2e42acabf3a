/** Retention in force, the last maintenance run, storage and "kept until"; no DOM here. */
import type { MaintenanceResponse } from '@studio-backup/lcc/contract';
import { ISignal, Signal } from '@lumino/signaling';
import { errorMessage } from './errors';

export interface IMaintenanceSource {
  maintenance(): Promise<MaintenanceResponse>;
}

/** The rules of a policy in the order forget applies them, with their counts. */
export function policyRules(
  policy: MaintenanceResponse['retention']['policy']
): Array<{
  rule: 'last' | 'hourly' | 'daily' | 'weekly' | 'monthly';
  count: number;
}> {
  return (['last', 'hourly', 'daily', 'weekly', 'monthly'] as const)
    .filter(rule => (policy[rule] ?? 0) > 0)
    .map(rule => ({ rule, count: policy[rule]! }));
}

export class MaintenanceModel {
  constructor(private readonly _source: IMaintenanceSource) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get info(): MaintenanceResponse | null {
    return this._info;
  }
  get error(): string | null {
    return this._error;
  }

  /** When retention will forget a snapshot (ISO time), null when not within two years. */
  keptUntil(snapshot: string): string | null | undefined {
    return this._info?.keptUntil[snapshot];
  }

  async refresh(): Promise<void> {
    const seq = ++this._seq;
    try {
      const info = await this._source.maintenance();
      if (seq === this._seq) {
        this._info = info;
        this._error = null;
      }
    } catch (err) {
      if (seq === this._seq) {
        this._error = errorMessage(err);
      }
    }
    if (seq === this._seq) {
      this._changed.emit();
    }
  }

  private _seq = 0;
  private _info: MaintenanceResponse | null = null;
  private _error: string | null = null;
  private readonly _changed = new Signal<this, void>(this);
}
