/**
 * Times as the file system takes them. Node reads a negative number of seconds as "now", so a time
 * before 1970 goes as a Date (millisecond precision); later ones as fractional seconds, which keep the
 * sub-millisecond part a Date would drop.
 */
export function fsTime(ms: number): number | Date {
  return ms < 0 ? new Date(ms) : ms / 1000;
}
