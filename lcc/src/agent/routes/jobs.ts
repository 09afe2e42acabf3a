/** Backups and restores as jobs: start, follow (events), cancel. */
import { join } from 'node:path';
import { RestoreRequestBody } from '../../api/contract';
import { openView } from '../../browse/view';
import { restore } from '../../restore/restore';
import type { IAgentContext } from '../context';
import { HttpError, Router } from '../http';

/** A restore's dry run as the API answers it. */
function planBody(
  snapshot: string,
  target: string,
  plan: Awaited<ReturnType<typeof restore>>
) {
  return {
    snapshot,
    target,
    counts: plan.counts,
    bytes: plan.bytes,
    items: plan.items.map(i => ({
      path: i.rel,
      dest: i.dest,
      type: i.entry.type,
      action: i.action
    })),
    warnings: plan.warnings
  };
}

export function jobsRoutes(router: Router, ctx: IAgentContext): Router {
  const { home, jobs, repo, startBackup } = ctx;
  return router
    .add('POST', '/backup', async () => ({
      status: 202,
      body: { job: startBackup().job }
    }))
    .add('GET', '/jobs/{id}', async ({ params }) => {
      const job = jobs.get(params.id);
      if (!job) {
        throw new HttpError(404, `No job ${params.id}.`);
      }
      return { body: { job } };
    })
    .add('DELETE', '/jobs/{id}', async ({ params }) => {
      const job = jobs.get(params.id);
      if (!job) {
        throw new HttpError(404, `No job ${params.id}.`);
      }
      if (job.kind === 'restore') {
        throw new HttpError(
          409,
          'A restore cannot be cancelled once started: every file it writes is complete or absent.'
        );
      }
      if (!jobs.cancel(params.id)) {
        throw new HttpError(
          409,
          `Job ${params.id} has already finished (${job.state}).`
        );
      }
      return { status: 202, body: { job: jobs.get(params.id) } };
    })
    .add('GET', '/jobs/{id}/events', async ({ params, req, res }) => {
      const job = jobs.get(params.id);
      if (!job) {
        throw new HttpError(404, `No job ${params.id}.`);
      }
      res.writeHead(200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive'
      });
      const send = (event: string, data: unknown) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const onUpdate = (update: typeof job) => {
        if (update.id !== job.id) {
          return;
        }
        send(update.state === 'running' ? 'progress' : update.state, update);
        if (update.state !== 'running') {
          stop();
        }
      };
      const stop = () => {
        jobs.events.off('update', onUpdate);
        res.end();
      };
      const current = jobs.get(job.id)!;
      send(current.state === 'running' ? 'progress' : current.state, current);
      if (current.state !== 'running') {
        res.end();
        return undefined;
      }
      jobs.events.on('update', onUpdate);
      req.on('close', () => jobs.events.off('update', onUpdate));
      return undefined;
    })
    .add('POST', '/restore', async ({ json }) => {
      const body = await json(RestoreRequestBody);
      const view = await openView(await repo(), body.snapshot);
      const target =
        body.target === 'original'
          ? home
          : join(home, 'restored-files', view.info.shortId);
      const args = {
        paths: body.paths,
        target,
        root: home,
        conflict: body.conflict
      } as const;
      if (body.dryRun) {
        const plan = await restore(view, { ...args, dryRun: true });
        return { body: planBody(view.info.id, target, plan) };
      }
      // Plan first, so that a bad path is a 400 here rather than a failed job.
      await restore(view, { ...args, dryRun: true });
      const { job } = jobs.start('restore', async (signal, onProgress) => {
        const result = await restore(view, { ...args, onProgress });
        return {
          result: {
            target,
            counts: result.counts,
            bytes: result.bytes,
            damaged: result.damaged
          },
          warnings: result.warnings
        };
      });
      return { status: 202, body: { job } };
    });
}
