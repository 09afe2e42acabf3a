/**
 * A real S3-compatible server for the tests: moto in server mode (from PyPI, in the project's .venv),
 * on a free port of 127.0.0.1, reached over HTTP by the real AWS SDK v3 client.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const VENV_BIN = join(__dirname, '..', '..', '..', '.venv', 'bin');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

export interface IS3Server {
  endpoint: string;
  port: number;
  client: S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Credentials and endpoint for the SDK's standard provider chain, as a real deployment would set them. */
export function s3Env(endpoint: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_EC2_METADATA_DISABLED: 'true'
  };
}

/** Servers not stopped yet: a worker that exits without its afterAll (a timed-out beforeAll) ends them. */
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach(child => child.kill('SIGKILL')));

export async function startS3(): Promise<IS3Server> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    join(VENV_BIN, 'moto_server'),
    ['-H', '127.0.0.1', '-p', String(port)],
    { stdio: 'ignore' }
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  const endpoint = `http://127.0.0.1:${port}`;
  // Until it answers (a busy machine may take many seconds to start it), it exits, or 2 minutes pass.
  for (const deadline = Date.now() + 120_000; ;) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `moto_server exited (${child.exitCode}) before answering`
        );
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`moto_server did not answer on ${endpoint}`);
      }
      await new Promise(resolve => setTimeout(resolve, 100));
    }
  }
  Object.assign(process.env, s3Env(endpoint));
  const client = new S3Client({ forcePathStyle: true });
  return {
    endpoint,
    port,
    client,
    createBucket: async name => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop: () =>
      new Promise(resolve => {
        client.destroy();
        if (!running.has(child)) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      })
  };
}
