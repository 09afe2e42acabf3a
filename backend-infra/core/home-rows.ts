/**
 * The keys of `studioUser` (profile_name + domain_name). A user profile's row is keyed by its name,
 * as in the reference sample; a space's and a domain's have prefixed keys (Studio names cannot hold
 * '#'), because a space may be named like a profile. No dependencies: every Lambda can import it.
 */

/** The studioUser key of a space: never a profile's, whatever the names. */
export const spaceRowKey = (space: string) => `space#${space}`;

/** The studioUser row where a domain's EFS is remembered across its recreation. */
export const domainRowKey = (domain: string) => `domain#${domain}`;

/** Whether a studioUser row is a user profile's home (not a space's, not a domain's). */
export const isProfileRow = (row: Record<string, unknown> | undefined) =>
  !!row &&
  !row.space_name &&
  !String(row.profile_name ?? '').startsWith('domain#');
