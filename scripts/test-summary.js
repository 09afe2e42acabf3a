#!/usr/bin/env node
// Totals the results that scripts/test.sh collected and prints "N passed, N failed" last.
// A runner whose result file is missing counts as one failure, so a run that executed nothing shows.
// The check that no process of the run is left counts as one test (scripts/processes.js).
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const [dir, ...failedStages] = process.argv.slice(2);

function fromJest(file) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  return {
    passed: r.numPassedTests,
    failed: r.numFailedTests + r.numRuntimeErrorTestSuites,
    skipped: r.numPendingTests + r.numTodoTests
  };
}

function fromPlaywright(file) {
  const stats = JSON.parse(readFileSync(file, 'utf8')).stats;
  return {
    passed: stats.expected + stats.flaky,
    failed: stats.unexpected,
    skipped: stats.skipped
  };
}

function fromCounts(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

const runners = [
  ['jest (extension)', 'jest-extension.json', fromJest],
  ['jest (lcc)', 'jest-lcc.json', fromJest],
  ['jest (backend-infra)', 'jest-backend-infra.json', fromJest],
  ['shell tests', 'shell.json', fromCounts],
  ['playwright (ui-tests)', 'playwright.json', fromPlaywright],
  ['no processes left', 'leftovers.json', fromCounts]
];

let passed = 0;
let failed = 0;
let skipped = 0;
for (const [name, file, read] of runners) {
  const path = join(dir, file);
  let result;
  try {
    result = existsSync(path)
      ? read(path)
      : { passed: 0, failed: 1, missing: true };
  } catch (err) {
    result = { passed: 0, failed: 1, missing: true };
  }
  passed += result.passed;
  failed += result.failed;
  skipped += result.skipped ?? 0;
  const note = result.missing ? ' (no results: the runner did not finish)' : '';
  const skips = result.skipped ? `, ${result.skipped} skipped` : '';
  console.log(
    `${name.padEnd(24)} ${result.passed} passed, ${result.failed} failed${skips}${note}`
  );
}
const checks = failedStages.filter(
  stage => !runners.some(([name]) => name === stage)
);
if (checks.length > 0) {
  console.log(`failed checks: ${checks.join(', ')}`);
}
if (skipped > 0) {
  console.log(`${skipped} skipped: the runners above say which, and why`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || failedStages.length > 0 ? 1 : 0;
