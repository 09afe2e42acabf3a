/**
 * Keys of the backup bucket that are not repositories (those are <prefix>/<profile>/<space>/, see
 * lcc/src/api/layout.ts): what the backend itself keeps there.
 */

/** Where each maintenance run's list of repositories is written (expired by a lifecycle rule of lib/maintenance.ts). */
export const RUNS_PREFIX = 'maintenance/runs/';
