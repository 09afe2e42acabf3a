/**
 * Times as the file system takes them. Node reads a negative number of seconds as "now", so a time
 * before 1970 goes as a Date (millisecond precision). Later ones go as fractional seconds, which
 * libuv truncates to the microsecond; a double of seconds is up to 0.12 µs below the time it
 * stands for, so 0.2 µs is added to make a time that falls on a microsecond come back exactly
 * (without it, 12:00:00.2675 could come back as 12:00:00.267499).
 */
export function fsTime(ms: number): number | Date {
  return ms < 0 ? new Date(ms) : (ms + 0.0002) / 1000;
}
