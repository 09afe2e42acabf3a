/**
 * Names that the engine, the backend's Lambdas and the panel must agree on, declared once here:
 * the repository layout and the tags on Studio resources. Dependency-free, so that a Lambda that
 * imports it stays small (scripts/check-layout.js fails when another file declares one again).
 */

/** A copy written by the reference LCC: <repo>/<YYYY-MM-DD-HH-MM-SS>/ (`date +%F-%H-%M-%S`). */
export const REFERENCE_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$/;

/** The tag on a user profile or space that asks its next app start for a full restore. */
export const RESTORE_TAG = 'studio-backup:restore';

/** SageMaker's pattern for user profile and space names (the profile is the key's first segment). */
export const STUDIO_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
