/** Sizes and times as the panel shows them: sizes in binary units, as the agent's messages. */
export { humanBytes as formatSize } from '@studio-backup/lcc/bytes';

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString([], {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit'
  });
}
