import { createWriteStream } from 'node:fs';
import {
  mkdir,
  open,
  readdir,
  rename,
  rm,
  stat,
  link,
  unlink
} from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import {
  AlreadyExistsError,
  IBackend,
  IObjectInfo,
  NotFoundError,
  StorageError
} from './backend';

function fsError(err: unknown, what: string): Error {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOSPC':
      return new StorageError(
        `No space left on the device while ${what}: free some space and retry.`,
        'no-space'
      );
    case 'EACCES':
    case 'EPERM':
      return new StorageError(
        `Permission denied while ${what}: check the repository folder's permissions.`,
        'access-denied'
      );
    case 'ENOTDIR':
    case 'EISDIR':
    case 'ELOOP':
      return new StorageError(
        `The repository's path does not lead to a folder of the repository (${e.code === 'EISDIR' ? 'a folder stands where a file should be' : 'a part of it is a file or a link loop'}) while ${what}: check the repository location.`,
        'not-a-repository'
      );
    default:
      return err as Error;
  }
}

/** A repository in a local directory; writes go to a temporary name and are renamed into place. */
export class FileBackend implements IBackend {
  readonly url: string;
  constructor(readonly root: string) {
    this.url = pathToFileURL(root).href;
  }

  private path(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  async get(key: string): Promise<Buffer> {
    const handle = await this.openForRead(key);
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  async getRange(
    key: string,
    offset: number,
    length: number,
    into?: Buffer
  ): Promise<Buffer> {
    const handle = await this.openForRead(key);
    try {
      const buffer = into ? into.subarray(0, length) : Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      if (bytesRead !== length) {
        throw new StorageError(
          `Object ${key} is shorter than expected: run "studio-backup check".`,
          'corrupt'
        );
      }
      return buffer;
    } finally {
      await handle.close();
    }
  }

  async getStream(key: string): Promise<Readable> {
    const handle = await this.openForRead(key);
    return handle.createReadStream();
  }

  private async openForRead(key: string) {
    try {
      return await open(this.path(key), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NotFoundError(key);
      }
      throw fsError(err, `reading ${key}`);
    }
  }

  async put(
    key: string,
    body: Buffer,
    options: { ifAbsent?: boolean } = {}
  ): Promise<void> {
    await this.writeAtomically(key, options.ifAbsent ?? false, async tmp => {
      const handle = await open(tmp, 'wx');
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  async putStream(key: string, body: Readable | Buffer): Promise<void> {
    if (Buffer.isBuffer(body)) {
      return this.put(key, body);
    }
    await this.writeAtomically(key, false, tmp =>
      pipeline(body, createWriteStream(tmp, { flags: 'wx' }))
    );
  }

  private async writeAtomically(
    key: string,
    ifAbsent: boolean,
    write: (tmp: string) => Promise<void>
  ): Promise<void> {
    const target = this.path(key);
    const tmp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      await mkdir(dirname(target), { recursive: true }).catch(err => {
        // EEXIST from a recursive mkdir: a file stands where the folder should be.
        throw (err as NodeJS.ErrnoException).code === 'EEXIST'
          ? fsError({ code: 'ENOTDIR' }, `writing ${key}`)
          : err;
      });
      await write(tmp);
      if (ifAbsent) {
        // link() fails when the target exists: the file-system equivalent of If-None-Match: *.
        try {
          await link(tmp, target);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
            throw new AlreadyExistsError(key);
          }
          throw err;
        } finally {
          await unlink(tmp).catch(() => undefined);
        }
      } else {
        await rename(tmp, target);
      }
    } catch (err) {
      // Never in place of the error that brought us here (rm too fails where a folder is a file).
      await rm(tmp, { force: true }).catch(() => undefined);
      if (err instanceof StorageError) {
        throw err;
      }
      throw fsError(err, `writing ${key}`);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.path(key));
      return true;
    } catch {
      return false;
    }
  }

  async *list(prefix: string): AsyncIterable<IObjectInfo> {
    // Keys are listed from the deepest existing folder that the prefix names.
    const folder = prefix.includes('/')
      ? prefix.slice(0, prefix.lastIndexOf('/'))
      : '';
    const start = this.path(folder);
    const walk = async function* (
      dir: string,
      root: string
    ): AsyncIterable<IObjectInfo> {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          return;
        }
        throw err;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) {
          yield* walk(full, root);
        } else if (entry.isFile() && !entry.name.includes('.tmp-')) {
          const key = relative(root, full).split(sep).join('/');
          const info = await stat(full).catch(() => undefined);
          if (info) {
            yield { key, size: info.size, lastModified: info.mtime };
          }
        }
      }
    };
    for await (const item of walk(start, this.root)) {
      if (item.key.startsWith(prefix)) {
        yield item;
      }
    }
  }

  /**
   * The folders that hold at least one object, as S3 has them: a folder whose files were all
   * deleted (a forgotten reference copy) is not listed, though the directories stay on disk.
   */
  async listFolders(prefix: string): Promise<string[]> {
    const base = this.path(prefix.replace(/\/$/, ''));
    const hasFile = async (dir: string): Promise<boolean> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(
        () => []
      );
      for (const e of entries) {
        if (!e.isDirectory() || (await hasFile(join(dir, e.name)))) {
          return true;
        }
      }
      return false;
    };
    try {
      const entries = await readdir(base, { withFileTypes: true });
      const folders: string[] = [];
      for (const e of entries) {
        if (e.isDirectory() && (await hasFile(join(base, e.name)))) {
          folders.push(e.name);
        }
      }
      return folders.sort();
    } catch {
      return [];
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async removeStaleTemporaries(ageMs: number): Promise<void> {
    const visit = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(
        () => []
      );
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) {
          await visit(full);
        } else if (entry.name.includes('.tmp-')) {
          const info = await stat(full).catch(() => undefined);
          if (info && Date.now() - info.mtimeMs >= ageMs) {
            await rm(full, { force: true });
          }
        }
      }
    };
    for (const folder of ['data', 'index', 'snapshots']) {
      await visit(join(this.root, folder));
    }
  }
}
