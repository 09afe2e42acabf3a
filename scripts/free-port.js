#!/usr/bin/env node
// Prints N (default 1) distinct free TCP ports of 127.0.0.1, one a line, as the OS hands them out
// for port 0: the tests' servers listen there instead of on fixed ports a user's own server may hold.
'use strict';
const { createServer } = require('node:net');

const count = Number(process.argv[2] ?? 1);

async function main() {
  // All held open at once, so the OS cannot hand out the same port twice.
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        })
    )
  );
  const ports = servers.map(server => server.address().port);
  await Promise.all(
    servers.map(server => new Promise(resolve => server.close(resolve)))
  );
  console.log(ports.join('\n'));
}

main().catch(err => {
  console.error(`free-port: ${err.message}`);
  process.exit(1);
});
