/**
 * Keys of the backup bucket that are not repositories (those are <prefix>/<profile>/<space>/, see
 * lcc/src/api/layout.ts): what the backend itself keeps there.
 */

/** Where the agent and the extension are staged for the lifecycle configuration to fetch. */
export const ARTIFACTS_PREFIX = 'artifacts/';

/** Where the agent's lock objects live in a repository: `<prefix>/<profile>/<space>/locks/`. */
export const LOCKS = 'locks';

/** Where each maintenance run's list of repositories is written (expired by a lifecycle rule of lib/maintenance.ts). */
export const RUNS_PREFIX = 'maintenance/runs/';

/** `<root>/<profile>/<space>` into its parts; anything else is refused. */
export function repositoryOf(
  prefix: string,
  root: string
): { profile: string; space: string } {
  const rest = prefix.replace(/\/$/, '').startsWith(`${root}/`)
    ? prefix.replace(/\/$/, '').slice(root.length + 1)
    : '';
  const parts = rest.split('/');
  if (parts.length !== 2 || parts.some(p => p === '' || p === '..')) {
    throw new Error(
      `${prefix} is not a repository: expected ${root}/<profile>/<space>.`
    );
  }
  return { profile: parts[0], space: parts[1] };
}
