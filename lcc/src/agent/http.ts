/** A small router for the agent: JSON in and out, path parameters, one-line errors, and the check of who calls. */
import { IncomingMessage, ServerResponse } from 'node:http';
import { ZodError, ZodObject, ZodType } from 'zod';
import { ErrorResponse } from '../api/contract';
import { SECRET_HEADER, secretMatches } from './secret';

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
 * Who may call: only a request forwarded by the authenticated Jupyter server, which proves it with
 * the per-start secret (./secret.ts). Every header a browser page could add is worth nothing here:
 * a page that reaches 127.0.0.1 by DNS rebinding sends Host evil.example.com, or can forge any
 * X-Forwarded-* header once it is same-origin, but cannot read the secret's 0600 file. The Host,
 * Origin and Sec-Fetch-Site checks stay as a second line. Returns the one-line refusal, if any.
 */
export function checkCaller(
  req: IncomingMessage,
  secret: string
): string | undefined {
  const host = (req.headers.host ?? '').toLowerCase();
  const hostname = host.startsWith('[')
    ? host.slice(0, host.indexOf(']') + 1)
    : host.split(':')[0];
  if (!LOCAL_HOSTS.has(hostname)) {
    return `Host ${host || '(none)'} is not allowed: the agent answers only on localhost, through the Jupyter server.`;
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
  if (!secretMatches(req.headers[SECRET_HEADER], secret)) {
    return 'The agent answers only requests forwarded by the Jupyter server (<base url>/studio-backup/agent/<port>/): this one has no valid X-Studio-Backup-Secret.';
  }
  return undefined;
}

export class Router {
  private readonly routes: IRoute[] = [];

  /** @param secret the per-start secret every request must carry (never empty). */
  constructor(private readonly secret: string) {
    if (!secret) {
      throw new Error('The agent needs a secret to check its callers.');
    }
  }

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
      const refused = checkCaller(req, this.secret);
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
        // Unknown fields are refused (400), not silently dropped: a typo must not look accepted.
        json: async <T>(schema: ZodType<T, any, any>) =>
          (schema instanceof ZodObject
            ? (schema.strict() as unknown as ZodType<T, any, any>)
            : schema
          ).parse(await readBody(req))
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
