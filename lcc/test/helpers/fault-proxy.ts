/**
 * A fault-injecting HTTP proxy in front of an S3-compatible server (moto, see ./s3.ts), on a free
 * port of 127.0.0.1. It forwards every request unchanged and, by rules the test sets while it runs,
 * answers 503 SlowDown or 403 AccessDenied, resets the connection, or cuts a response body off mid-transfer (the headers
 * with the full Content-Length, part of the body, then the socket destroyed). Tests point the SDK at
 * it by setting AWS_ENDPOINT_URL_S3 to its url.
 */
import {
  createServer,
  IncomingHttpHeaders,
  IncomingMessage,
  request as httpRequest,
  Agent,
  ServerResponse
} from 'node:http';
import { Socket } from 'node:net';

export type FaultKind = 'slowdown' | 'forbidden' | 'reset' | 'truncate';

/**
 * Which requests a rule faults. Without everyNth, probability or burst, it faults every request it
 * matches (an outage, until the rule is removed).
 */
export interface IFaultRule {
  kind: FaultKind;
  /** HTTP method to match (GET, PUT, HEAD, ...); any when absent. */
  method?: string;
  /** Matched against the request's path without the query, e.g. /^\/bucket\/prefix\/data\//. */
  path?: RegExp;
  /** Matched against the request's query (after the ?), e.g. /X-Amz-Signature=/ for presigned URLs. */
  query?: RegExp;
  /** Fault the Nth, 2Nth, ... matching request. */
  everyNth?: number;
  /** Fault each matching request with this probability (the proxy's seeded generator). */
  probability?: number;
  /** Fault the next K matching requests, then no more. */
  burst?: number;
}

export interface IInjectedFault {
  kind: FaultKind;
  method: string;
  path: string;
}

export interface IFaultProxy {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL_S3. */
  readonly url: string;
  readonly port: number;
  /** Requests seen, faulted or not. */
  readonly requests: number;
  /** How many faults of each kind were injected. */
  readonly injected: Record<FaultKind, number>;
  /** Every injected fault, in order. */
  readonly log: IInjectedFault[];
  /** Replaces the rules (their counters start again). */
  setRules(rules: IFaultRule[]): void;
  addRule(rule: IFaultRule): void;
  clearRules(): void;
  /** Zeroes the counts and the log. */
  resetCounts(): void;
  /**
   * Points AWS_ENDPOINT_URL_S3 of this process at the proxy, and shortens the pauses between
   * retries fiftyfold (the number of attempts stays), so outages are waited out in milliseconds.
   */
  use(): void;
  /** Sees every request's method, URL (with its query) and headers before anything else happens. */
  onRequest?: (req: IncomingMessage) => void;
  stop(): Promise<void>;
}

/** A small seeded generator (mulberry32), so a faulted run can be repeated. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface IActiveRule extends IFaultRule {
  matched: number;
  fired: number;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer'
]);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name))
  );
}

/** S3's answer to a request it turns down: SlowDown (503) or AccessDenied (403). */
const ERRORS = {
  slowdown: {
    status: 503,
    code: 'SlowDown',
    message: 'Please reduce your request rate.'
  },
  forbidden: { status: 403, code: 'AccessDenied', message: 'Access Denied' }
};

function errorBody(kind: keyof typeof ERRORS, path: string): string {
  const id = Math.random().toString(16).slice(2, 18).toUpperCase();
  const { code, message } = ERRORS[kind];
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${message}</Message>` +
    `<Resource>${path.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Resource>` +
    `<RequestId>${id}</RequestId></Error>`
  );
}

export async function startFaultProxy(
  target: string,
  options: { seed?: number } = {}
): Promise<IFaultProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const random = seededRandom(options.seed ?? 1);
  let rules: IActiveRule[] = [];
  let requests = 0;
  const injected: Record<FaultKind, number> = {
    slowdown: 0,
    forbidden: 0,
    reset: 0,
    truncate: 0
  };
  const log: IInjectedFault[] = [];
  const sockets = new Set<Socket>();

  /** The fault for this request, if a rule fires (every matching rule counts the request). */
  const decide = (
    method: string,
    path: string,
    query: string
  ): FaultKind | undefined => {
    let chosen: FaultKind | undefined;
    for (const rule of rules) {
      if (
        (rule.method !== undefined && rule.method !== method) ||
        (rule.path !== undefined && !rule.path.test(path)) ||
        (rule.query !== undefined && !rule.query.test(query))
      ) {
        continue;
      }
      rule.matched++;
      let fire: boolean;
      if (rule.burst !== undefined) {
        fire = rule.fired < rule.burst;
      } else if (rule.everyNth !== undefined) {
        fire = rule.matched % rule.everyNth === 0;
      } else if (rule.probability !== undefined) {
        fire = random() < rule.probability;
      } else {
        fire = true;
      }
      if (fire && chosen === undefined) {
        rule.fired++;
        chosen = rule.kind;
      }
    }
    return chosen;
  };

  const record = (kind: FaultKind, method: string, path: string) => {
    injected[kind]++;
    log.push({ kind, method, path });
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    requests++;
    proxy.onRequest?.(req);
    const method = req.method ?? 'GET';
    const [path, query = ''] = (req.url ?? '/').split('?');
    const fault = decide(method, path, query);

    if (fault === 'reset') {
      record('reset', method, path);
      req.socket.destroy();
      return;
    }
    if (fault === 'slowdown' || fault === 'forbidden') {
      record(fault, method, path);
      // Read the request body first, as S3 does, so the client sees the answer and not a broken pipe.
      req.resume();
      req.once('end', () => {
        const body = Buffer.from(errorBody(fault, path));
        res.writeHead(ERRORS[fault].status, {
          'content-type': 'application/xml',
          'content-length': body.length,
          'x-amz-request-id': 'FAULTPROXY'
        });
        res.end(method === 'HEAD' ? undefined : body);
      });
      return;
    }

    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method,
        path: req.url,
        headers: endToEnd(req.headers),
        agent
      },
      upstreamRes => {
        const status = upstreamRes.statusCode ?? 502;
        if (fault !== 'truncate' || method === 'HEAD') {
          res.writeHead(status, endToEnd(upstreamRes.headers));
          upstreamRes.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        upstreamRes.on('data', (chunk: Buffer) => chunks.push(chunk));
        upstreamRes.once('end', () => {
          const body = Buffer.concat(chunks);
          const headers = {
            ...endToEnd(upstreamRes.headers),
            'content-length': String(body.length)
          };
          if (body.length < 2) {
            // Nothing to cut: answer whole, and do not count it.
            res.writeHead(status, headers);
            res.end(body);
            return;
          }
          record('truncate', method, path);
          res.writeHead(status, headers);
          // Somewhere in the body, never all of it.
          const cut = 1 + Math.floor(random() * (body.length - 1));
          res.write(body.subarray(0, cut), () => res.socket?.destroy());
        });
      }
    );
    forward.once('error', () => {
      // moto gone or the connection to it broken: the client sees its connection reset.
      req.socket.destroy();
    });
    req.pipe(forward);
  };

  const server = createServer(handle);
  server.on('connection', socket => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;

  const proxy: IFaultProxy = {
    url,
    port,
    get requests() {
      return requests;
    },
    injected,
    log,
    setRules: next => {
      rules = next.map(rule => ({ ...rule, matched: 0, fired: 0 }));
    },
    addRule: rule => {
      rules.push({ ...rule, matched: 0, fired: 0 });
    },
    clearRules: () => {
      rules = [];
    },
    resetCounts: () => {
      requests = 0;
      injected.slowdown = injected.reset = injected.truncate = 0;
      log.splice(0);
    },
    use: () => {
      process.env.AWS_ENDPOINT_URL_S3 = url;
      process.env.STUDIO_BACKUP_RETRY_PAUSE_SCALE = '0.02';
    },
    stop: () =>
      new Promise<void>(resolve => {
        rules = [];
        server.close(() => resolve());
        for (const socket of sockets) {
          socket.destroy();
        }
        agent.destroy();
      })
  };
  return proxy;
}
