'use strict';
// Runs the studio-backup CLI in this process and prints its peak resident set size (KiB) to stderr.
const { main } = require('../lcc/lib/cli/main.js');
main(process.argv).then(code => {
  process.stderr.write(`maxrss_kib=${process.resourceUsage().maxRSS}\n`);
  process.exitCode = code;
});
