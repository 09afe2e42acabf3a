/**
 * The keys of `studioUser` (profile_name + domain_name). A user profile's row is keyed by its name,
 * as in the reference sample; a space's and a domain's have prefixed keys (Studio names cannot hold
 * '#'), because a space may be named like a profile. No dependencies: every Lambda can import it.
 */

/** The studioUser key of a space: never a profile's, whatever the names. */
export const spaceRowKey = (space: string) => `space#${space}`;

const DOMAIN = 'domain#';

/** The studioUser row where a domain's EFS is remembered across its recreation. */
export const domainRowKey = (domain: string) => `${DOMAIN}${domain}`;

type Row = { profile_name?: unknown; space_name?: unknown };

/** Whether a studioUser row is a domain's (no one's home). */
export const isDomainRow = (row: Row) =>
  String(row.profile_name ?? '').startsWith(DOMAIN);

/** Whether a studioUser row is a user profile's home (not a space's, not a domain's). */
export const isProfileRow = (row: Row | undefined) =>
  !!row && !row.space_name && !isDomainRow(row);

/** The name a person knows the row's home by: the space's, or the profile's. */
export const homeName = (row: Row) =>
  String(row.space_name || row.profile_name);
