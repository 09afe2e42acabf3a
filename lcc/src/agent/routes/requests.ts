/** Full-restore requests (to the backend when deployed) and the recovery history. */
import { randomBytes } from 'node:crypto';
import { FullRestoreRecord, FullRestoreRequest } from '../../api/contract';
import { backendError } from '../backend';
import type { IAgentContext } from '../context';
import { HttpError, Router } from '../http';

export function requestsRoutes(router: Router, ctx: IAgentContext): Router {
  const { options, backend, readRequests, requestsFile } = ctx;
  return router
    .add('GET', '/restore-requests', async () => ({
      body: {
        requests: [
          ...(options.startRestores ?? []),
          ...(await readRequests()),
          ...(backend ? await backend.requests().catch(backendError) : [])
        ]
      }
    }))
    .add('POST', '/restore-requests', async ({ json }) => {
      const request = await json(FullRestoreRequest);
      const record: FullRestoreRecord = {
        ...request,
        id: randomBytes(6).toString('hex'),
        created: new Date().toISOString(),
        state: 'pending'
      };
      if (request.kind === 'recover-profile') {
        if (!backend) {
          throw new HttpError(
            501,
            'Recovery from another profile needs the Studio Backup backend, which is not deployed for this domain: ask your Studio admin.'
          );
        }
        if (!request.fromProfile) {
          throw new HttpError(
            400,
            'Name the former user profile: fromProfile.'
          );
        }
        await backend.fileRequest(record).catch(backendError);
        return { status: 201, body: { request: record } };
      }
      requestsFile.write([...(await readRequests()), record]);
      return { status: 201, body: { request: record } };
    })
    .add('GET', '/recoveries', async () =>
      backend
        ? {
            body: { recoveries: await backend.recoveries().catch(backendError) }
          }
        : {
            body: {
              recoveries: [],
              reason:
                'The Studio Backup backend is not deployed for this domain, so there is no recovery history.'
            }
          }
    );
}
