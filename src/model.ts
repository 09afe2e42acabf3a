/** The panel's state, polling and signals; no DOM here (as in JupyterLab's file browser model). */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { IDisposable } from '@lumino/disposable';
import { HealthResponse } from '@studio-backup/lcc/contract';
import { AgentError, AgentErrorKind } from './api';

/** What the panel knows about the agent. */
export type AgentState =
  | { kind: 'checking' }
  | { kind: 'running'; health: HealthResponse }
  | { kind: 'failed'; reason: AgentErrorKind; message: string };

/** The slice of the API client the model needs; the tests give it a real agent or a failing one. */
export interface IHealthSource {
  readonly port: number;
  health(): Promise<HealthResponse>;
}

export const HEALTH_POLL_INTERVAL_MS = 15_000;

export class AgentModel implements IDisposable {
  constructor(client: IHealthSource, pollInterval = HEALTH_POLL_INTERVAL_MS) {
    this._client = client;
    this._poll = new Poll({
      factory: () => this.refresh(),
      frequency: { interval: pollInterval, backoff: false },
      standby: 'when-hidden'
    });
  }

  get state(): AgentState {
    return this._state;
  }

  get port(): number {
    return this._client.port;
  }

  get stateChanged(): ISignal<this, AgentState> {
    return this._stateChanged;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Points the model at another agent (the port setting changed) and checks it at once. */
  setClient(client: IHealthSource): Promise<void> {
    this._client = client;
    this._set({ kind: 'checking' });
    return this.refresh();
  }

  /** Asks the agent for its health now; never throws, the outcome is in {@link state}. */
  async refresh(): Promise<void> {
    const client = this._client;
    let next: AgentState;
    try {
      next = { kind: 'running', health: await client.health() };
    } catch (err) {
      next =
        err instanceof AgentError
          ? { kind: 'failed', reason: err.kind, message: err.message }
          : { kind: 'failed', reason: 'bad-response', message: String(err) };
    }
    // A slower answer from a previous client must not overwrite the current one.
    if (client === this._client) {
      this._set(next);
    }
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  private _set(state: AgentState): void {
    if (JSON.stringify(state) === JSON.stringify(this._state)) {
      return;
    }
    this._state = state;
    this._stateChanged.emit(state);
  }

  private _client: IHealthSource;
  private _poll: Poll;
  private _state: AgentState = { kind: 'checking' };
  private _stateChanged = new Signal<this, AgentState>(this);
}
