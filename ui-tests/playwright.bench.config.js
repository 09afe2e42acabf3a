/** The panel's rendering benchmark: the UI tests' setup, its own folder, never part of `make test`. */
const base = require('./playwright.config');

module.exports = {
  ...base,
  testDir: './bench',
  testMatch: '*.bench.ts',
  reporter: [['list']],
  timeout: 300_000
};
