import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse
} from 'node:http';
import { API_PREFIX, ErrorResponse, HealthResponse } from '../api/contract';

/** The agent only ever listens on the loopback interface: the panel reaches it through the Jupyter server. */
export const AGENT_HOST = '127.0.0.1';

export interface IAgentOptions {
  version: string;
  repository: string;
}

type Handler = (request: IncomingMessage) => { status: number; body: unknown };

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store'
  });
  response.end(text);
}

function error(
  status: number,
  message: string
): { status: number; body: ErrorResponse } {
  return { status, body: { error: message } };
}

/** Builds the agent's HTTP server; the caller decides the port and starts it with {@link listen}. */
export function createAgentServer(options: IAgentOptions): Server {
  const routes: Record<string, Record<string, Handler>> = {
    '/health': {
      GET: () => {
        const body: HealthResponse = {
          version: options.version,
          repository: options.repository,
          status: 'ok'
        };
        return { status: 200, body };
      }
    }
  };

  return createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://agent.invalid');
    const route = url.pathname.startsWith(API_PREFIX + '/')
      ? routes[url.pathname.slice(API_PREFIX.length)]
      : undefined;
    let result;
    if (!route) {
      result = error(404, `No such endpoint: ${url.pathname}`);
    } else if (!route[request.method ?? '']) {
      result = error(
        405,
        `${request.method} is not allowed on ${url.pathname}; use ${Object.keys(route).join(', ')}.`
      );
    } else {
      result = route[request.method ?? ''](request);
    }
    sendJson(response, result.status, result.body);
  });
}

/** Starts listening on 127.0.0.1; rejects with a one-line message when the port is taken. */
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `Port ${port} on ${AGENT_HOST} is already in use: is another agent running? Stop it or pass --port.`
            : `Cannot listen on ${AGENT_HOST}:${port}: ${err.message}`
        )
      );
    });
    server.listen(port, AGENT_HOST, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
