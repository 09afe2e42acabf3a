/**
 * The one client of the agent's HTTP API. Requests go to the Jupyter server, to this package's
 * server extension at <baseUrl>/studio-backup/agent/<port>/ (sagemaker_studio_backup/handlers.py),
 * so Jupyter's auth and XSRF apply; the extension forwards them to the agent with the agent's
 * per-start secret, which the browser never sees. The browser never talks to the agent, nor holds
 * AWS credentials. See docs/api.md, "Who may call".
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import {
  AgentSettings,
  API_PREFIX,
  DiffResponse,
  FullRestoreRecord,
  HealthResponse,
  Job,
  JobResponse,
  MaintenanceResponse,
  RecoveriesResponse,
  RestorePlanResponse,
  RestoreRequestBody,
  RestoreRequestResponse,
  RestoreRequestsResponse,
  SearchResponse,
  SnapshotsResponse,
  StatusResponse,
  TreeResponse,
  VersionsResponse
} from '@studio-backup/lcc/contract';
import { z } from 'zod';

/** Why a call to the agent failed, so the panel can say what to do about it. */
export type AgentErrorKind =
  'unreachable' | 'no-server-extension' | 'http' | 'bad-response';

/** Folder entries asked for per request (the agent allows up to 5,000). */
export const TREE_PAGE = 2000;

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
  /** The panel's translations, for the errors the client words itself (English without). */
  trans?: TranslationBundle;
}

/** The URL of an agent endpoint as seen from the browser: the Jupyter server's forwarder. */
export function agentUrl(
  baseUrl: string,
  port: number,
  endpoint: string
): string {
  return URLExt.join(
    baseUrl,
    'studio-backup',
    'agent',
    String(port),
    API_PREFIX,
    endpoint
  );
}

export type Recoveries = RecoveriesResponse;
export type NewRestoreRequest = Pick<
  FullRestoreRecord,
  'kind' | 'snapshot' | 'target'
> & { fromProfile?: string; fromSpace?: string };

export class AgentClient {
  /** Changes when the agentPort setting does; every later call goes to the new port. */
  port: number;
  private readonly _settings: ServerConnection.ISettings;
  private readonly _trans: TranslationBundle;

  constructor(options: IAgentClientOptions) {
    this.port = options.port;
    this._settings = options.serverSettings ?? ServerConnection.makeSettings();
    // Without a translator (tests): English, placeholders filled in.
    this._trans =
      options.trans ?? nullTranslator.load('sagemaker_studio_backup');
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
    // Big pages: the list is virtualized, so 2,000 rows cost little more than 500.
    const query = new URLSearchParams({
      path,
      limit: String(TREE_PAGE),
      ...(cursor ? { cursor } : {})
    });
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

  versions(path: string): Promise<VersionsResponse> {
    return this._request(
      `versions?${new URLSearchParams({ path })}`,
      VersionsResponse
    );
  }

  /** Retention in force, kept-until per snapshot, the last maintenance run and storage. */
  maintenance(): Promise<MaintenanceResponse> {
    return this._request('maintenance', MaintenanceResponse);
  }

  /** Files whose name matches a glob or a part of a name, in every snapshot, each version once. */
  search(name: string): Promise<SearchResponse> {
    return this._request(
      `search?${new URLSearchParams({ name })}`,
      SearchResponse
    );
  }

  /**
   * Paths added, removed and changed from one snapshot to another, or to the current home; with
   * `path`, only below that folder (the agent walks nothing else).
   */
  diff(from: string, to?: string, path?: string): Promise<DiffResponse> {
    const query = new URLSearchParams({
      from,
      ...(to ? { to } : {}),
      ...(path ? { path } : {})
    });
    return this._request(`diff?${query}`, DiffResponse);
  }

  /** A file of a snapshot; with preview, the agent refuses files above 1 MiB. */
  async file(snapshot: string, path: string, preview = false): Promise<Blob> {
    const query = new URLSearchParams({
      path,
      ...(preview ? { preview: '1' } : {})
    });
    const response = await this._fetch(
      `snapshots/${encodeURIComponent(snapshot)}/file?${query}`,
      {}
    );
    if (!response.ok) {
      throw errorFromResponse(
        response.status,
        parseJson(await response.text()),
        this._unreachable(),
        this._trans
      );
    }
    return response.blob();
  }

  getSettings(): Promise<AgentSettings> {
    return this._request('settings', AgentSettings);
  }

  putSettings(settings: AgentSettings): Promise<AgentSettings> {
    return this._request('settings', AgentSettings, {
      method: 'PUT',
      body: JSON.stringify(settings)
    });
  }

  async restoreRequests(): Promise<FullRestoreRecord[]> {
    return (await this._request('restore-requests', RestoreRequestsResponse))
      .requests;
  }

  async createRestoreRequest(
    request: NewRestoreRequest
  ): Promise<FullRestoreRecord> {
    return (
      await this._request('restore-requests', RestoreRequestResponse, {
        method: 'POST',
        body: JSON.stringify(request)
      })
    ).request;
  }

  recoveries(): Promise<Recoveries> {
    return this._request('recoveries', RecoveriesResponse);
  }

  /** Cancels a running backup; the agent writes no snapshot for it. */
  async cancelJob(id: string): Promise<Job> {
    return (
      await this._request(`jobs/${encodeURIComponent(id)}`, JobResponse, {
        method: 'DELETE'
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
    const response = await this._fetch(`jobs/${id}/events`, {
      headers: { Accept: 'text/event-stream' }
    });
    if (!response.ok || !response.body) {
      throw errorFromResponse(
        response.status,
        undefined,
        this._trans.__(
          'The backup agent on port %1 stopped answering.',
          this.port
        ),
        this._trans
      );
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let last: Job | undefined;
    for (;;) {
      // A dropped connection (the agent stopped) ends the stream like a close.
      const { done, value } = await reader
        .read()
        .catch(() => ({ done: true as const, value: undefined }));
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
        this._trans.__(
          'The backup agent went away during the job: it will show again when the agent is back.'
        )
      );
    }
    return last;
  }

  private _unreachable(): string {
    return unreachableText(this.port, this._trans);
  }

  private async _fetch(endpoint: string, init: RequestInit): Promise<Response> {
    const url = agentUrl(this._settings.baseUrl, this.port, endpoint);
    try {
      return await ServerConnection.makeRequest(url, init, this._settings);
    } catch {
      throw new AgentError('unreachable', this._unreachable());
    }
  }

  private async _request<T>(
    endpoint: string,
    schema: z.ZodType<T, z.ZodTypeDef, unknown>,
    init: RequestInit = {}
  ): Promise<T> {
    const response = await this._fetch(endpoint, init);
    const text = await response.text();
    const body = parseJson(text);
    if (!response.ok) {
      throw errorFromResponse(
        response.status,
        body,
        this._unreachable(),
        this._trans
      );
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new AgentError(
        'bad-response',
        this._trans.__(
          'The backup agent on port %1 answered %2 in an unexpected format: update the extension and the agent to the same version.',
          this.port,
          endpoint.split('?')[0]
        )
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

/** What the panel says while the agent cannot be reached. */
export function unreachableText(
  port: number,
  trans: TranslationBundle = nullTranslator.load('sagemaker_studio_backup')
): string {
  return trans.__(
    'Backup agent not reachable on port %1: is the lifecycle configuration attached?',
    port
  );
}

/**
 * What the panel says for each `reason` code of the server extension (sagemaker_studio_backup/
 * handlers.py), with the details it sends (`port`, `path`, `detail`); null for a code it does not
 * send (the agent's own errors pass through as they are). Its English `error` is for the logs.
 */
function serverExtensionError(
  reason: string,
  body: { port?: unknown; path?: unknown; detail?: unknown },
  unreachable: string,
  trans: TranslationBundle
): { kind: AgentErrorKind; message: string } | null {
  const path = String(body.path ?? '');
  const detail = String(body.detail ?? '');
  const down = (message: string) => ({
    kind: 'unreachable' as const,
    message
  });
  switch (reason) {
    // No agent of this user started on the port ("agent-unreachable": an older server extension).
    case 'agent-no-record':
    case 'agent-unreachable':
      return down(unreachable);
    case 'agent-record-unreadable':
      return down(
        trans.__("Cannot read the backup agent's record %1: %2.", path, detail)
      );
    case 'agent-record-permissions':
      return down(
        trans.__(
          'Not using %1: it must belong to this user and be readable by no one else (chmod 600 %1).',
          path
        )
      );
    case 'agent-record-invalid':
      return down(
        trans.__(
          '%1 is not a record the backup agent wrote: restart the agent.',
          path
        )
      );
    case 'agent-no-answer':
      return down(
        trans.__(
          'The backup agent on port %1 did not answer (%2): it may be starting or stopping, try again in a moment.',
          String(body.port ?? ''),
          detail
        )
      );
    case 'no-such-endpoint':
      return {
        kind: 'http',
        message: trans.__(
          'The Jupyter server has no Studio Backup endpoint %1: reload the page (the panel and the server extension may be of different versions).',
          path
        )
      };
    default:
      return null;
  }
}

/** Maps an HTTP failure to one line a person can act on. */
export function errorFromResponse(
  status: number,
  body: unknown,
  unreachable: string,
  trans: TranslationBundle = nullTranslator.load('sagemaker_studio_backup')
): AgentError {
  const agentMessage =
    body && typeof body === 'object' && typeof (body as any).error === 'string'
      ? ((body as any).error as string)
      : undefined;
  // The server extension's own failures: worded here, in the user's language, by their code.
  const known =
    agentMessage && typeof (body as any).reason === 'string'
      ? serverExtensionError(
          (body as any).reason,
          body as any,
          unreachable,
          trans
        )
      : null;
  if (known) {
    return new AgentError(known.kind, known.message, status);
  }
  if (agentMessage) {
    return new AgentError('http', agentMessage, status);
  }
  // Without the server extension, the Jupyter server itself answers 404 for /studio-backup/...
  if (status === 404) {
    return new AgentError(
      'no-server-extension',
      trans.__(
        'The Jupyter server has not loaded the Studio Backup server extension: restart the Jupyter server (in Studio: restart-jupyter-server in a terminal), then reload the page.'
      ),
      status
    );
  }
  // A gateway in front of the Jupyter server, or the server itself, failed.
  if (status >= 500) {
    return new AgentError('unreachable', unreachable, status);
  }
  if (status === 403) {
    return new AgentError(
      'http',
      trans.__(
        'The Jupyter server refused the request (403): reload the page to renew your session.'
      ),
      status
    );
  }
  return new AgentError(
    'http',
    trans.__('The backup agent answered HTTP %1.', status),
    status
  );
}
