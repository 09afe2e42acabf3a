/**
 * The agent's HTTP API, defined once for the agent (lcc/) and the panel (src/).
 * A change here that breaks the panel fails its build.
 */
import { z } from 'zod';

export const API_PREFIX = '/api/v1';
export const DEFAULT_AGENT_PORT = 8765;

export const HealthResponse = z.object({
  version: z.string(),
  repository: z.string(),
  status: z.enum(['ok', 'degraded'])
});
export type HealthResponse = z.infer<typeof HealthResponse>;

/** Every error the agent returns has this shape: one line a person can act on. */
export const ErrorResponse = z.object({
  error: z.string()
});
export type ErrorResponse = z.infer<typeof ErrorResponse>;
