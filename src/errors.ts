/** What went wrong, in the one line the panel shows. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
