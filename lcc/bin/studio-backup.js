#!/usr/bin/env node
'use strict';
require('../lib/cli/allocator.js').tuneAllocator();
// Node.js 22+: compiled code is cached on disk, which halves the start-up of every later run.
require('node:module').enableCompileCache?.();
require('../lib/cli/main.js')
  .main(process.argv)
  .then(code => {
    process.exitCode = code;
  });
