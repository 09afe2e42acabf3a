/** Sizes and times as the panel shows them: sizes in binary units, as the agent's messages. */
import type { TranslationBundle } from '@jupyterlab/translation';
export { humanBytes as formatSize } from '@studio-backup/lcc/bytes';

/**
 * A day group's heading: "Today", "Yesterday", else the day in the browser's words ("Monday,
 * November 30"; with the year when it is not this year), never the YYYY-MM-DD key of groupByDay.
 */
export function formatDay(
  label: string,
  trans: TranslationBundle,
  now = new Date()
): string {
  if (label === 'Today') {
    return trans.__('Today');
  }
  if (label === 'Yesterday') {
    return trans.__('Yesterday');
  }
  const [year, month, day] = label.split('-').map(Number);
  const date = new Date(year, month - 1, day);
  return date.toLocaleDateString([], {
    weekday: 'long',
    month: 'long',
    day: 'numeric',
    ...(year === now.getFullYear() ? {} : { year: 'numeric' })
  });
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString([], {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit'
  });
}
