/**
 * Where a worker thread's script is: the single-file bundle holds every worker (cli/entry.ts
 * imports their modules), lcc/lib holds `<name>.js` beside the module that starts it, and under
 * ts-jest the sources use the compiled script that scripts/setup.sh builds. Undefined where there
 * is none: the caller then does the work on the main thread.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';

declare const STUDIO_BACKUP_VERSION: string | undefined;

const SRC = join(__dirname, '..');

/** `dir` is the starting module's __dirname, `name` the worker module's file name without .js. */
export function workerScript(dir: string, name: string): string | undefined {
  if (typeof STUDIO_BACKUP_VERSION === 'string') {
    // The single-file bundle: it holds the workers too.
    return __filename;
  }
  const compiled = join(dir, `${name}.js`);
  if (existsSync(compiled)) {
    return compiled;
  }
  const built = join(SRC, '..', 'lib', relative(SRC, dir), `${name}.js`);
  return existsSync(built) ? built : undefined;
}
