/**
 * What a backup leaves out. Defaults follow the reference LCC: lost+found, the restore folder
 * restored-files/, and hidden folders at the top of the home (caches, conda, ...), except those
 * on the allow-list. Then --exclude patterns and a .backupignore file (gitignore syntax).
 */
import ignore, { Ignore } from 'ignore';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const RESTORE_FOLDER = 'restored-files';
/** The temporary files of a restore (ours, and the older `.name.studio-backup-xxxxxxxx`): never backed up. */
export const RESTORE_TEMP =
  /^\.(studio-backup-[0-9a-f]{8}\.tmp|.+\.studio-backup-[0-9a-f]{8})$/s;
export const IGNORE_FILE = '.backupignore';

export interface IExcludeOptions {
  /** Hidden top-level folders to back up anyway, e.g. ".config". */
  includeHidden?: string[];
  /** Extra patterns, gitignore syntax. */
  exclude?: string[];
  /** Files larger than this many bytes are skipped and reported. */
  maxFileSize?: number;
}

export class Excludes {
  private constructor(
    private readonly rules: Ignore,
    private readonly includeHidden: Set<string>,
    readonly maxFileSize: number,
    /** Whether any rule can leave out a file, not only a folder (see onlyFolderRules). */
    private readonly rulesForFiles: boolean
  ) {}

  static async load(
    source: string,
    options: IExcludeOptions = {}
  ): Promise<Excludes> {
    const rules = ignore().add(['lost+found/', `/${RESTORE_FOLDER}/`]);
    const patterns = [...(options.exclude ?? [])];
    try {
      patterns.push(
        ...(await readFile(join(source, IGNORE_FILE), 'utf8')).split(/\r?\n/)
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw err;
      }
    }
    const hidden = new Set(
      (options.includeHidden ?? []).map(name => name.replace(/^\/+|\/+$/g, ''))
    );
    rules.add(patterns);
    return new Excludes(
      rules,
      hidden,
      options.maxFileSize ?? Infinity,
      !onlyFolderRules(patterns)
    );
  }

  /** `path` is relative to the source, with "/" separators. */
  excluded(path: string, isDir: boolean): boolean {
    if (!isDir && RESTORE_TEMP.test(path.slice(path.lastIndexOf('/') + 1))) {
      return true;
    }
    if (
      isDir &&
      !path.includes('/') &&
      path.startsWith('.') &&
      !this.includeHidden.has(path)
    ) {
      return true;
    }
    if (!isDir && !this.rulesForFiles) {
      return false;
    }
    return this.rules.ignores(isDir ? `${path}/` : path);
  }

  /** Like {@link excluded}, but also true when a folder above `path` is excluded. */
  excludedWithParents(path: string, isDir: boolean): boolean {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      if (this.excluded(parts.slice(0, i).join('/'), true)) {
        return true;
      }
    }
    return this.excluded(path, isDir);
  }
}

/**
 * Whether every pattern that leaves something out ends with "/", so names only folders (as the
 * defaults do): a file is then never left out by a rule, and the scan asks the rules about folders
 * only (asking about each of 100,000 files took 4% of their first backup). A negation only brings
 * back; anything unusual counts as a rule for files.
 */
function onlyFolderRules(patterns: string[]): boolean {
  return patterns.every(line => {
    const p = line.trim();
    return (
      p === '' || p.startsWith('#') || p.startsWith('!') || p.endsWith('/')
    );
  });
}
