/** Unit and integration tests of the agent and the engine, run with ts-jest against the sources. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testRegex: '.*\\.test\\.ts$',
  // Real file I/O, child processes and moto: on a busy 2-core machine a test can take several
  // seconds, so no test fails on jest's 5 s default; none asserts its own speed.
  testTimeout: 60_000
};
