/**
 * An in-process fault injector around a real backend: reads or writes of chosen keys fail as a
 * storage outage would. The S3 fault proxy (fault-proxy.ts) does the same over HTTP; this one lets a
 * file:// repository misbehave too. Only the failure is simulated: every other call is the real one.
 */
import { Readable } from 'node:stream';
import {
  IBackend,
  IObjectInfo,
  StorageError
} from '../../src/repository/backend';

export interface IFaultRule {
  op: 'read' | 'write' | 'delete' | 'list';
  /** Keys the rule applies to. */
  key: RegExp;
  /** How many calls fail (default: every one while the rule is set). */
  times?: number;
}

export class FaultyBackend implements IBackend {
  readonly url: string;
  readonly rules: IFaultRule[] = [];
  injected = 0;
  /** A pause before each write and delete (ms), so that uploads in flight finish in another order. */
  pause?: () => number;
  /** Reorders what list() yields (IBackend promises no order: S3 sorts by key, a folder does not). */
  listOrder?: (items: IObjectInfo[]) => IObjectInfo[];
  /** Called before every read, write, delete and list (e.g. to cancel a backup at its first pack). */
  onCall?: (op: IFaultRule['op'], key: string) => void;

  constructor(readonly inner: IBackend) {
    this.url = inner.url;
  }

  private async paused(): Promise<void> {
    const ms = this.pause?.() ?? 0;
    if (ms > 0) {
      await new Promise(resolve => setTimeout(resolve, ms));
    }
  }

  private fault(op: IFaultRule['op'], key: string): void {
    this.onCall?.(op, key);
    const rule = this.rules.find(
      r => r.op === op && r.key.test(key) && (r.times ?? 1) > 0
    );
    if (!rule) {
      return;
    }
    if (rule.times !== undefined) {
      rule.times--;
    }
    this.injected++;
    throw new StorageError(
      `S3 failed while ${op === 'read' ? 'reading' : op} ${key}: SlowDown (injected)`,
      's3'
    );
  }

  async get(key: string): Promise<Buffer> {
    this.fault('read', key);
    return this.inner.get(key);
  }
  async getRange(
    key: string,
    offset: number,
    length: number,
    into?: Buffer
  ): Promise<Buffer> {
    this.fault('read', key);
    return this.inner.getRange(key, offset, length, into);
  }
  async getStream(key: string): Promise<Readable> {
    this.fault('read', key);
    return this.inner.getStream(key);
  }
  async put(
    key: string,
    body: Buffer,
    options?: { ifAbsent?: boolean }
  ): Promise<void> {
    await this.paused();
    this.fault('write', key);
    return this.inner.put(key, body, options);
  }
  async putStream(key: string, body: Readable | Buffer): Promise<void> {
    await this.paused();
    this.fault('write', key);
    return this.inner.putStream(key, body);
  }
  exists(key: string): Promise<boolean> {
    return this.inner.exists(key);
  }
  async *list(prefix: string): AsyncIterable<IObjectInfo> {
    this.fault('list', prefix);
    if (!this.listOrder) {
      yield* this.inner.list(prefix);
      return;
    }
    const items: IObjectInfo[] = [];
    for await (const item of this.inner.list(prefix)) {
      items.push(item);
    }
    yield* this.listOrder(items);
  }
  listFolders(prefix: string): Promise<string[]> {
    return this.inner.listFolders(prefix);
  }
  async delete(key: string): Promise<void> {
    await this.paused();
    this.fault('delete', key);
    return this.inner.delete(key);
  }
}
