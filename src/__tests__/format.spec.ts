import { humanBytes } from '@studio-backup/lcc/bytes';
import { formatSize } from '../widgets/format';

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
