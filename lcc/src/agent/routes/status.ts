/** The agent's health, status and settings. */
import {
  AgentSettings,
  HealthResponse,
  StatusResponse
} from '../../api/contract';
import type { IAgentContext } from '../context';
import { HttpError, Router } from '../http';

export function statusRoutes(router: Router, ctx: IAgentContext): Router {
  const { options, home, jobs, scheduler, effectiveSettings, updateSettings } =
    ctx;
  return router
    .add('GET', '/health', async () => {
      const body: HealthResponse = {
        version: options.version,
        repository: options.repository,
        status: 'ok'
      };
      return { body };
    })
    .add('GET', '/status', async () => {
      const body: StatusResponse = {
        version: options.version,
        repository: options.repository,
        home,
        lastBackup: jobs.last('backup') ?? null,
        nextBackup: scheduler?.next?.toISOString() ?? null,
        running: jobs.running() ?? null
      };
      return { body };
    })
    .add('GET', '/settings', async () => ({ body: effectiveSettings() }))
    .add('PUT', '/settings', async ({ json }) => {
      const update = await json(AgentSettings);
      if (update.intervalMinutes !== undefined) {
        if (!scheduler) {
          throw new HttpError(
            409,
            'Scheduled backups are off for this agent (started without --interval).'
          );
        }
        scheduler.setInterval(update.intervalMinutes * 60_000);
      }
      updateSettings(update);
      return { body: effectiveSettings() };
    });
}
