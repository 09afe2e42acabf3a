export * from './api/contract';
export { createAgentServer, listen, AGENT_HOST } from './agent/server';
export {
  parseLocation,
  formatLocation,
  LocationError
} from './repository/location';
export type { RepositoryLocation } from './repository/location';
export { VERSION } from './version';
