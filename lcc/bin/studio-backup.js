#!/usr/bin/env node
'use strict';
require('../lib/cli/main.js')
  .main(process.argv)
  .then(code => {
    process.exitCode = code;
  });
