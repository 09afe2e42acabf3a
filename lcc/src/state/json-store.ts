/**
 * The agent's state files (settings, restore requests, the last backup): each read through its
 * schema and written whole, through a temp file and a rename, so a crash never leaves half a file.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ZodType } from 'zod';

export class JsonFile<T> {
  constructor(
    readonly path: string,
    private readonly schema: ZodType<T, any, any>,
    private readonly fallback: T
  ) {}

  /** The saved value; a missing or damaged file reads as the fallback (the defaults apply). */
  read(): T {
    try {
      return this.schema.parse(JSON.parse(readFileSync(this.path, 'utf8')));
    } catch {
      return this.fallback;
    }
  }

  /**
   * Synchronous on purpose: the files are small, and two writers in one event loop can then never
   * interleave on the temp file, nor a reader see the state before a write that has returned.
   */
  write(value: T): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const temp = `${this.path}.tmp`;
    writeFileSync(temp, JSON.stringify(value, null, 2));
    renameSync(temp, this.path);
  }
}
