/** Unit and integration tests of the agent and the engine, run with ts-jest against the sources. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testRegex: '.*\\.test\\.ts$'
};
