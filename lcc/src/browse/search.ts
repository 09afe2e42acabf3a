/**
 * Finds files by name in every snapshot: "where did I have train*.py, and which versions?". A
 * folder's matches are found once per folder content (our trees are content-addressed), so a
 * thousand snapshots that share most of their trees cost little more than one.
 */
import picomatch from 'picomatch';
import { Repository } from '../repository/repository';
import { IVersion, sameEntry } from './compare';
import { IViewEntry, viewFor } from './view';

export interface IFoundPath {
  path: string;
  /** Each distinct version, newest first (a snapshot that holds the same content is not repeated). */
  versions: IVersion[];
}

export interface ISearchResult {
  paths: IFoundPath[];
  /** More paths matched than the limit: the pattern should be narrower. */
  truncated: boolean;
  snapshots: number;
}

/**
 * A name pattern as typed in a search box: a glob (`*.ipynb`, `data/**\/*.csv`) or, without glob
 * characters, a part of the name. Case-insensitive; a pattern without "/" matches the name alone.
 */
export function nameMatcher(pattern: string): (rel: string) => boolean {
  const trimmed = pattern.trim();
  if (trimmed === '') {
    throw new Error('Give a name or a pattern to search for, e.g. "*.ipynb".');
  }
  const glob = picomatch.scan(trimmed).isGlob ? trimmed : `*${trimmed}*`;
  return picomatch(glob, {
    nocase: true,
    dot: true,
    basename: !trimmed.includes('/')
  });
}

type Match = { rel: string; entry: IViewEntry };
type Found = {
  path: string;
  versions: Array<IVersion & { entry: IViewEntry }>;
};

export async function searchSnapshots(
  repo: Repository,
  pattern: string,
  options: { limit?: number } = {}
): Promise<ISearchResult> {
  const limit = options.limit ?? 200;
  const matches = nameMatcher(pattern);
  const nameOnly = !pattern.includes('/');
  // Matches below a folder, relative to it, by its content id (and its path, for path patterns).
  const memo = new Map<string, Match[]>();
  const found = new Map<string, Found>();
  let truncated = false;
  const snapshots = (await repo.listSnapshots()).filter(s => !s.damaged);
  for (const info of snapshots) {
    const view = await viewFor(repo, info);
    const below = async (dir: string, id: string): Promise<Match[]> => {
      const key = nameOnly ? id : `${id}\0${dir}`;
      const known = id === '' ? undefined : memo.get(key);
      if (known) {
        return known;
      }
      const out: Match[] = [];
      for (const entry of (await view.listDir(dir)) ?? []) {
        const rel = dir ? `${dir}/${entry.name}` : entry.name;
        if (matches(rel)) {
          out.push({ rel: entry.name, entry });
        }
        if (entry.type === 'dir') {
          for (const m of await below(rel, entry.contentId)) {
            out.push({ rel: `${entry.name}/${m.rel}`, entry: m.entry });
          }
        }
      }
      if (id !== '') {
        memo.set(key, out);
      }
      return out;
    };
    const root = await view.stat('');
    for (const { rel, entry } of await below('', root?.contentId ?? '')) {
      let path = found.get(rel);
      if (!path) {
        if (found.size >= limit) {
          truncated = true;
          continue;
        }
        path = { path: rel, versions: [] };
        found.set(rel, path);
      }
      const newer = path.versions[path.versions.length - 1];
      if (newer && sameEntry(newer.entry, entry)) {
        continue;
      }
      path.versions.push({
        snapshot: info.id,
        shortId: info.shortId,
        time: info.time,
        kind: info.kind,
        type: entry.type,
        size: entry.size,
        mtime: entry.mtime,
        entry
      });
    }
  }
  return {
    paths: [...found.values()]
      .sort((a, b) => a.path.localeCompare(b.path))
      .map(p => ({
        path: p.path,
        versions: p.versions.map(({ entry: _entry, ...v }) => v)
      })),
    truncated,
    snapshots: snapshots.length
  };
}
