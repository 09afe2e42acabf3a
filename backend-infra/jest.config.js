/** Synthesis and assertion tests of the CDK app, run with ts-jest against the sources. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testRegex: '.*\\.test\\.ts$',
  // A synthesis bundles the Lambdas with esbuild, and the emulator tests run moto: seconds each
  // on a busy machine, so no test fails on jest's 5 s default; none asserts its own speed.
  testTimeout: 180_000
};
