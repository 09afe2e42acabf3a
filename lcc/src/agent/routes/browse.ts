/** Reading snapshots: the list, a folder, a file, the versions of a path, a search, a diff. */
import { extname } from 'node:path';
import { SnapshotSummary } from '../../api/contract';
import { Excludes } from '../../backup/excludes';
import {
  diffSnapshots,
  diffWithFolder,
  findVersions
} from '../../browse/compare';
import { searchSnapshots } from '../../browse/search';
import { openView } from '../../browse/view';
import { existingRepo, IAgentContext } from '../context';
import { HttpError, Router } from '../http';

export const PREVIEW_LIMIT = 1024 * 1024;
const PAGE_SIZE = 500;
const MIME: Record<string, string> = {
  '.ipynb': 'application/x-ipynb+json',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.py': 'text/x-python; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.yaml': 'text/yaml; charset=utf-8',
  '.yml': 'text/yaml; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml'
};

export function browseRoutes(router: Router, ctx: IAgentContext): Router {
  const { home, repo, queryPath, userSettings } = ctx;
  return router
    .add('GET', '/snapshots', async () => {
      // No repository yet is no snapshot yet; any other failure to read it is the answer.
      const r = await existingRepo(ctx);
      const snapshots: SnapshotSummary[] = (
        r ? await r.listSnapshots() : []
      ).map(s => ({
        id: s.id,
        shortId: s.shortId,
        time: s.time,
        kind: s.kind,
        complete: s.complete,
        tags: s.manifest?.tags ?? [],
        ...(s.manifest ? { totals: s.manifest.totals } : {}),
        ...(s.damaged ? { damaged: s.damaged } : {})
      }));
      return { body: { snapshots } };
    })
    .add('GET', '/snapshots/{id}/tree', async ({ params, url }) => {
      const view = await openView(await repo(), params.id);
      const path = queryPath(url);
      const entries = await view.listDir(path);
      if (!entries) {
        throw new HttpError(
          404,
          `${path || '/'} is not a folder in snapshot ${view.info.shortId}.`
        );
      }
      const start = Number(url.searchParams.get('cursor') ?? '0');
      const limit = Math.min(
        Number(url.searchParams.get('limit') ?? PAGE_SIZE),
        5000
      );
      if (
        !Number.isInteger(start) ||
        start < 0 ||
        !Number.isInteger(limit) ||
        limit <= 0
      ) {
        throw new HttpError(400, 'cursor and limit must be whole numbers.');
      }
      const page = entries.slice(start, start + limit);
      return {
        body: {
          snapshot: view.info.id,
          path,
          total: entries.length,
          nextCursor:
            start + limit < entries.length ? String(start + limit) : null,
          entries: page.map(e => ({
            name: e.name,
            path: path ? `${path}/${e.name}` : e.name,
            type: e.type,
            size: e.size,
            ...(e.mtime !== undefined ? { mtime: e.mtime } : {}),
            ...(e.target !== undefined ? { target: e.target } : {})
          }))
        }
      };
    })
    .add('GET', '/snapshots/{id}/file', async ({ params, url, res }) => {
      const view = await openView(await repo(), params.id);
      const path = queryPath(url);
      const entry = path ? await view.stat(path) : undefined;
      if (!entry || entry.type !== 'file') {
        throw new HttpError(
          404,
          `${path || '/'} is not a file in snapshot ${view.info.shortId}.`
        );
      }
      if (
        url.searchParams.get('preview') === '1' &&
        entry.size > PREVIEW_LIMIT
      ) {
        throw new HttpError(
          413,
          `${path} is too large to preview (${entry.size} bytes, limit ${PREVIEW_LIMIT}): download it instead.`
        );
      }
      const stream = await view.read(path, entry);
      const name = path.slice(path.lastIndexOf('/') + 1);
      res.writeHead(200, {
        'Content-Type':
          MIME[extname(name).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': entry.size,
        'Content-Disposition': `${url.searchParams.get('preview') === '1' ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(name)}`,
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'",
        'Cache-Control': 'no-store'
      });
      stream.on('error', () => res.destroy());
      stream.pipe(res);
      return undefined;
    })
    .add('GET', '/versions', async ({ url }) => {
      const path = queryPath(url);
      if (!path) {
        throw new HttpError(
          400,
          'Give the path of a file or folder: ?path=...'
        );
      }
      return {
        body: { path, versions: await findVersions(await repo(), path) }
      };
    })
    .add('GET', '/search', async ({ url }) => {
      const pattern = (url.searchParams.get('name') ?? '').trim();
      if (!pattern) {
        throw new HttpError(
          400,
          'Give a name or a pattern to search for: ?name=*.ipynb'
        );
      }
      const limit = Number(url.searchParams.get('limit') ?? 200);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new HttpError(
          400,
          'limit must be a whole number from 1 to 1000.'
        );
      }
      return {
        body: {
          pattern,
          ...(await searchSnapshots(await repo(), pattern, { limit }))
        }
      };
    })
    .add('GET', '/diff', async ({ url }) => {
      const from = url.searchParams.get('from');
      const to = url.searchParams.get('to');
      if (!from) {
        throw new HttpError(
          400,
          'Give the snapshot to compare: ?from=<snapshot>[&to=<snapshot>][&path=<folder>].'
        );
      }
      // With ?path=, only that folder is walked on both sides (a folder's "Previous versions…").
      const path = queryPath(url);
      const r = await repo();
      if (to) {
        return {
          body: { from, to, ...(await diffSnapshots(r, from, to, path)) }
        };
      }
      const excludes = await Excludes.load(home, userSettings());
      const result = await diffWithFolder(
        r,
        from,
        home,
        (rel, isDir) => excludes.excludedWithParents(rel, isDir),
        path
      );
      return { body: { from, to: 'home', ...result } };
    });
}
