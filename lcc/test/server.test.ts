import { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import { ErrorResponse, HealthResponse } from '../src/api/contract';
import { createAgentServer, listen } from '../src/agent/server';

describe('agent HTTP server', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createAgentServer({
      version: '9.8.7',
      repository: 'file:///tmp/repo'
    });
    const port = await listen(server, 0);
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(done => {
    server.close(() => done());
  });

  it('listens on the loopback interface only', () => {
    expect((server.address() as AddressInfo).address).toBe('127.0.0.1');
  });

  it('answers GET /api/v1/health with the contract shape', async () => {
    const response = await fetch(`${base}/api/v1/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = HealthResponse.parse(await response.json());
    expect(body).toEqual({
      version: '9.8.7',
      repository: 'file:///tmp/repo',
      status: 'ok'
    });
  });

  it('answers unknown paths with a 404 and a one-line error', async () => {
    const response = await fetch(`${base}/api/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'No such endpoint: /api/v1/nothing-here'
    });
  });

  it('answers a wrong method with a 405 naming the allowed ones', async () => {
    const response = await fetch(`${base}/api/v1/health`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(ErrorResponse.parse(await response.json()).error).toBe(
      'POST is not allowed on /api/v1/health; use GET.'
    );
  });

  it('explains a port that is already taken', async () => {
    const port = (server.address() as AddressInfo).port;
    const other = createAgentServer({ version: '0', repository: 'x' });
    await expect(listen(other, port)).rejects.toThrow(
      `Port ${port} on 127.0.0.1 is already in use: is another agent running? Stop it or pass --port.`
    );
  });
});
