/**
 * The buffers a restore reads its spans into, used again and again: each goes to a writer thread
 * with its span and comes back with the answer. A buffer dropped after each span was garbage in
 * the thread that wrote it, which collects it only once its own small heap fills: in a restore of
 * the benchmark home, the main thread's process.memoryUsage().arrayBuffers, sampled every 100 ms,
 * stayed at 60-150 MiB of spans already written. Here the bytes held are capped: a read waits for a buffer once `budget` bytes are taken.
 */
export class SpanBuffers {
  private readonly free: Buffer[] = [];
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly size: number,
    private readonly budget: number
  ) {}

  /** A buffer of at least `length` bytes, no one else's until given back; waits while the budget is spent. */
  async take(length: number): Promise<Buffer> {
    const need = await this.reserve(length);
    const i = this.free.findIndex(b => b.length >= need);
    const buffer =
      i >= 0
        ? this.free.splice(i, 1)[0]
        : // Owns its whole ArrayBuffer (never a slice of Node's shared pool): it can move to a thread.
          Buffer.allocUnsafeSlow(need);
    if (i < 0) {
      // Too small for what is asked now: let it go rather than hold both.
      this.free.shift();
    }
    // Counted as asked; a free buffer taken may be larger.
    this.held += buffer.length - need;
    return buffer;
  }

  /**
   * Counts `length` bytes (at least a span) against the budget, waiting while it is spent, for a
   * buffer held elsewhere: a writer thread reading a run itself (run-fetch.ts). Returns the bytes
   * counted, to give back with release().
   */
  async reserve(length: number): Promise<number> {
    const need = Math.max(length, this.size);
    // One larger than the budget (a blob larger than a span) still goes, alone.
    while (this.held > 0 && this.held + need > this.budget) {
      await new Promise<void>(resolve => this.waiting.push(resolve));
    }
    this.held += need;
    return need;
  }

  release(size: number): void {
    this.held -= size;
    this.waiting.shift()?.();
  }

  /**
   * Ends a take() of `size` bytes: `bytes` is the buffer (or what a writer thread returned of it),
   * undefined when it is lost (moved to a thread that failed).
   */
  giveBack(size: number, bytes?: Uint8Array): void {
    if (bytes && bytes.buffer.byteLength === size) {
      this.free.push(Buffer.from(bytes.buffer as ArrayBuffer, 0, size));
    }
    this.release(size);
  }
}
