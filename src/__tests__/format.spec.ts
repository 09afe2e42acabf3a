import { humanBytes } from '@studio-backup/lcc/bytes';
import { nullTranslator } from '@jupyterlab/translation';
import { formatDay, formatSize } from '../widgets/format';

describe('sizes in the panel', () => {
  it('use binary units, as the agent and the CLI do', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(1536)).toBe('1.5 KiB');
    expect(formatSize(5 * 1024 * 1024)).toBe('5.0 MiB');
  });

  it('come from the one function the agent uses', () => {
    expect(formatSize).toBe(humanBytes);
  });
});

describe('day group headings', () => {
  const trans = nullTranslator.load('sagemaker_studio_backup');
  const now = new Date(2026, 11, 2, 9, 0);

  it('say Today and Yesterday', () => {
    expect(formatDay('Today', trans, now)).toBe('Today');
    expect(formatDay('Yesterday', trans, now)).toBe('Yesterday');
  });

  it('name an older day in words, never as its ISO date', () => {
    const label = formatDay('2026-11-29', trans, now);
    expect(label).toBe(
      new Date(2026, 10, 29).toLocaleDateString([], {
        weekday: 'long',
        month: 'long',
        day: 'numeric'
      })
    );
    expect(label).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    // Another year's day says which year.
    expect(formatDay('2025-11-29', trans, now)).toContain('2025');
  });
});
