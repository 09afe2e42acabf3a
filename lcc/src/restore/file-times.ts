/**
 * Times as the file system takes them. Node reads a negative number of seconds as "now", so a time
 * before 1970 goes as a Date (millisecond precision). Later ones go as fractional seconds, which
 * libuv truncates to the microsecond, and a double of seconds is up to 0.12 µs off the time it
 * stands for: the time is rounded to its nearest microsecond and sent as that microsecond plus
 * half of one, so that what lands is exactly the nearest microsecond (12:00:00.2675 stays
 * 12:00:00.267500, and a time 0.9 µs past a microsecond goes to the next one, not the one before).
 */
export function fsTime(ms: number): number | Date {
  return ms < 0 ? new Date(ms) : (Math.round(ms * 1000) + 0.5) / 1e6;
}
