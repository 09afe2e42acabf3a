'use strict';
/**
 * versitygw, a real S3 implementation over a local folder, for the benchmarks that read from S3 (moto
 * stays for tests). Found when it was built with
 * `go install github.com/versity/versitygw/cmd/versitygw@latest`; undefined otherwise.
 */
const { spawn, spawnSync } = require('node:child_process');
const { mkdirSync } = require('node:fs');
const { homedir } = require('node:os');
const { join } = require('node:path');

/** Starts it over `dir` with one bucket, "bench", and points the AWS SDK's environment `env` at it. */
async function startVersitygw(dir, env) {
  const bin = [join(homedir(), 'go', 'bin', 'versitygw'), 'versitygw'].find(
    b => spawnSync(b, ['--version']).status === 0
  );
  if (!bin) return undefined;
  mkdirSync(join(dir, 'bench'), { recursive: true });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(
    bin,
    [
      // Off by default in versitygw: every answer closed its connection, and a client paid a new
      // one per request, which S3 does not make it do.
      '--keep-alive',
      '--access',
      'bench',
      '--secret',
      'benchbench',
      '--port',
      `127.0.0.1:${port}`,
      'posix',
      dir
    ],
    { stdio: 'ignore' }
  );
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(endpoint);
      break;
    } catch {
      await new Promise(r => setTimeout(r, 100));
    }
  }
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'benchbench',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_EC2_METADATA_DISABLED: 'true'
  });
  return {
    child,
    endpoint,
    bucket: 'bench',
    version:
      'versitygw (built with go install from github.com/versity/versitygw@latest, run with --keep-alive as S3 keeps connections open)'
  };
}

module.exports = { startVersitygw };
