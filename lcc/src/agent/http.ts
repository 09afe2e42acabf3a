/** A small router for the agent: JSON in and out, path parameters, one-line errors, and the security checks. */
import { IncomingMessage, ServerResponse } from 'node:http';
import { ZodError, ZodType } from 'zod';
import { ErrorResponse } from '../api/contract';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

export interface IRequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  json<T>(schema: ZodType<T, any, any>): Promise<T>;
}

/** A handler returns a JSON body (status 200 unless given), or undefined when it wrote the response itself. */
export type Handler = (
  ctx: IRequestContext
) => Promise<{ status?: number; body: unknown } | undefined>;

interface IRoute {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff'
  });
  res.end(text);
}

const MAX_BODY = 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) {
      throw new HttpError(413, 'The request body is larger than 1 MiB.');
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') {
    return {};
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON.');
  }
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Who may call: local clients (Host is localhost), and the Jupyter server's proxy (it adds
 * X-Forwarded-Context, a header a cross-origin page cannot send without a preflight we never allow).
 * A browser request from another origin is refused.
 */
export function checkCaller(req: IncomingMessage): string | undefined {
  const host = (req.headers.host ?? '').toLowerCase();
  const hostname = host.startsWith('[')
    ? host.slice(0, host.indexOf(']') + 1)
    : host.split(':')[0];
  const viaProxy = typeof req.headers['x-forwarded-context'] === 'string';
  if (!viaProxy && !LOCAL_HOSTS.has(hostname)) {
    return `Host ${host || '(none)'} is not allowed: the agent answers only on localhost or through the Jupyter server.`;
  }
  if (req.headers['sec-fetch-site'] === 'cross-site') {
    return 'Cross-site requests are not allowed.';
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost = '';
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch {
      // "null" or garbage: refused below.
    }
    if (originHost !== host) {
      return `Cross-origin requests are not allowed (origin ${origin}).`;
    }
  }
  return undefined;
}

export class Router {
  private readonly routes: IRoute[] = [];

  add(method: string, path: string, handler: Handler): this {
    const keys: string[] = [];
    const pattern = new RegExp(
      '^' +
        path.replace(/\{(\w+)\}/g, (_, key: string) => {
          keys.push(key);
          return '([^/]+)';
        }) +
        '$'
    );
    this.routes.push({ method, pattern, keys, handler });
    return this;
  }

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    prefix: string,
    mapError: (err: unknown) => HttpError
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://agent.invalid');
    try {
      const refused = checkCaller(req);
      if (refused) {
        throw new HttpError(403, refused);
      }
      if (!url.pathname.startsWith(prefix + '/')) {
        throw new HttpError(404, `No such endpoint: ${url.pathname}`);
      }
      const path = url.pathname.slice(prefix.length);
      const matching = this.routes.filter(r => r.pattern.test(path));
      if (matching.length === 0) {
        throw new HttpError(404, `No such endpoint: ${url.pathname}`);
      }
      const route = matching.find(r => r.method === req.method);
      if (!route) {
        throw new HttpError(
          405,
          `${req.method} is not allowed on ${url.pathname}; use ${matching.map(r => r.method).join(', ')}.`
        );
      }
      const values = route.pattern.exec(path)!.slice(1);
      const params = Object.fromEntries(
        route.keys.map((key, i) => [key, decodeURIComponent(values[i])])
      );
      const ctx: IRequestContext = {
        req,
        res,
        url,
        params,
        json: async schema => schema.parse(await readBody(req))
      };
      const reply = await route.handler(ctx);
      if (reply) {
        sendJson(res, reply.status ?? 200, reply.body);
      }
    } catch (err) {
      const error =
        err instanceof HttpError
          ? err
          : err instanceof ZodError
            ? badRequest(err)
            : mapError(err);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body: ErrorResponse = { error: error.message };
      sendJson(res, error.status, body);
    }
  }
}

function badRequest(err: ZodError): HttpError {
  const issue = err.issues[0];
  return new HttpError(
    400,
    `Invalid request: ${issue.path.join('.') || 'body'}: ${issue.message}.`
  );
}
