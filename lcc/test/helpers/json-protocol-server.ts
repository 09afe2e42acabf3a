/**
 * A local server for AWS's JSON 1.1 wire protocol (the operation in X-Amz-Target, a JSON body), so
 * the real SDK v3 clients can talk to a stand-in for calls the emulator lacks. Each stand-in gives
 * its operations; every call is recorded by its operation name.
 */
import { createServer, Server } from 'node:http';

export type JsonReply = { status?: number; body: unknown };
export type JsonHandlers = Record<string, (input: any) => JsonReply>;

export interface IJsonStandin {
  endpoint: string;
  stop(): Promise<void>;
}

/** `handlers` are keyed by the operation, without the service's prefix ("ListApps"). */
export async function serveJsonProtocol(
  handlers: JsonHandlers,
  calls: string[]
): Promise<IJsonStandin> {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', d => (body += d));
    req.on('end', () => {
      const action = String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop()!;
      calls.push(action);
      const reply = handlers[action]?.(JSON.parse(body || '{}')) ?? {
        status: 400,
        body: { __type: 'UnknownOperationException', message: action }
      };
      res.writeHead(reply.status ?? 200, {
        'Content-Type': 'application/x-amz-json-1.1'
      });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve())
  );
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    stop: () => new Promise(resolve => server.close(() => resolve()))
  };
}
