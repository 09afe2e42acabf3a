/** Synthesis and assertion tests of the CDK app, run with ts-jest against the sources. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testRegex: '.*\\.test\\.ts$'
};
