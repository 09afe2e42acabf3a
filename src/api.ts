/**
 * The one client of the agent's HTTP API. Requests go through the Jupyter server
 * (jupyter-server-proxy at <baseUrl>/proxy/<port>/), so Jupyter's auth and XSRF apply
 * and the browser never talks to the agent, nor holds AWS credentials.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import {
  API_PREFIX,
  HealthResponse,
  Job,
  JobResponse,
  RestorePlanResponse,
  RestoreRequestBody,
  SnapshotsResponse,
  StatusResponse,
  TreeResponse
} from '@studio-backup/lcc/contract';
import { z } from 'zod';

/** Why a call to the agent failed, so the panel can say what to do about it. */
export type AgentErrorKind =
  'unreachable' | 'no-proxy' | 'http' | 'bad-response';

export class AgentError extends Error {
  constructor(
    readonly kind: AgentErrorKind,
    message: string,
    readonly status?: number
  ) {
    super(message);
  }
}

export interface IAgentClientOptions {
  port: number;
  serverSettings?: ServerConnection.ISettings;
}

/** The URL of an agent endpoint as seen from the browser. */
export function agentUrl(
  baseUrl: string,
  port: number,
  endpoint: string
): string {
  return URLExt.join(baseUrl, 'proxy', String(port), API_PREFIX, endpoint);
}

export class AgentClient {
  readonly port: number;
  private readonly _settings: ServerConnection.ISettings;

  constructor(options: IAgentClientOptions) {
    this.port = options.port;
    this._settings = options.serverSettings ?? ServerConnection.makeSettings();
  }

  health(): Promise<HealthResponse> {
    return this._request('health', HealthResponse);
  }

  status(): Promise<StatusResponse> {
    return this._request('status', StatusResponse);
  }

  async snapshots(): Promise<SnapshotsResponse['snapshots']> {
    return (await this._request('snapshots', SnapshotsResponse)).snapshots;
  }

  tree(snapshot: string, path: string, cursor?: string): Promise<TreeResponse> {
    const query = new URLSearchParams({ path, ...(cursor ? { cursor } : {}) });
    return this._request(
      `snapshots/${encodeURIComponent(snapshot)}/tree?${query}`,
      TreeResponse
    );
  }

  planRestore(
    body: Omit<RestoreRequestBody, 'dryRun'>
  ): Promise<RestorePlanResponse> {
    return this._request('restore', RestorePlanResponse, {
      method: 'POST',
      body: JSON.stringify({ ...body, dryRun: true })
    });
  }

  async startRestore(body: Omit<RestoreRequestBody, 'dryRun'>): Promise<Job> {
    return (
      await this._request('restore', JobResponse, {
        method: 'POST',
        body: JSON.stringify({ ...body, dryRun: false })
      })
    ).job;
  }

  async startBackup(): Promise<Job> {
    return (await this._request('backup', JobResponse, { method: 'POST' })).job;
  }

  /**
   * Follows a job's Server-Sent Events to its end, calling back on each update; resolves with the
   * finished job. The stream goes through the Jupyter server like every other call.
   */
  async followJob(id: string, onUpdate: (job: Job) => void): Promise<Job> {
    const url = agentUrl(
      this._settings.baseUrl,
      this.port,
      `jobs/${id}/events`
    );
    const response = await ServerConnection.makeRequest(
      url,
      { headers: { Accept: 'text/event-stream' } },
      this._settings
    );
    if (!response.ok || !response.body) {
      throw errorFromResponse(
        response.status,
        undefined,
        `The backup agent on port ${this.port} stopped answering.`,
        this.port
      );
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let last: Job | undefined;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').find(line => line.startsWith('data: '));
        const parsed = data
          ? Job.safeParse(parseJson(data.slice(6)))
          : undefined;
        if (parsed?.success) {
          last = parsed.data;
          onUpdate(last);
        }
      }
    }
    if (!last || last.state === 'running') {
      throw new AgentError(
        'unreachable',
        'The backup agent went away during the job: it will show again when the agent is back.'
      );
    }
    return last;
  }

  private async _request<T>(
    endpoint: string,
    schema: z.ZodType<T>,
    init: RequestInit = {}
  ): Promise<T> {
    const url = agentUrl(this._settings.baseUrl, this.port, endpoint);
    const unreachable = `Backup agent not reachable on port ${this.port}: is the lifecycle configuration attached?`;
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this._settings);
    } catch {
      throw new AgentError('unreachable', unreachable);
    }
    const text = await response.text();
    const body = parseJson(text);
    if (!response.ok) {
      throw errorFromResponse(response.status, body, unreachable, this.port);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new AgentError(
        'bad-response',
        `The backup agent on port ${this.port} answered ${endpoint} in an unexpected format: update the extension and the agent to the same version.`
      );
    }
    return parsed.data;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Maps an HTTP failure to one line a person can act on. */
export function errorFromResponse(
  status: number,
  body: unknown,
  unreachable: string,
  port: number
): AgentError {
  const agentMessage =
    body && typeof body === 'object' && typeof (body as any).error === 'string'
      ? ((body as any).error as string)
      : undefined;
  if (agentMessage) {
    return new AgentError('http', agentMessage, status);
  }
  // Without the proxy, the Jupyter server itself answers 404 for /proxy/...
  if (status === 404) {
    return new AgentError(
      'no-proxy',
      `The Jupyter server has no /proxy/${port}/ route: install jupyter-server-proxy in the server's environment and restart it.`,
      status
    );
  }
  // jupyter-server-proxy answers 5xx (599 or 502) when nothing listens on the port.
  if (status >= 500) {
    return new AgentError('unreachable', unreachable, status);
  }
  if (status === 403) {
    return new AgentError(
      'http',
      'The Jupyter server refused the request (403): reload the page to renew your session.',
      status
    );
  }
  return new AgentError(
    'http',
    `The backup agent answered HTTP ${status}.`,
    status
  );
}
