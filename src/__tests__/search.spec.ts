import type { SearchResponse } from '@studio-backup/lcc/contract';
import { SearchModel } from '../search';

const answer = (pattern: string): SearchResponse => ({
  pattern,
  paths: [{ path: `${pattern}.py`, versions: [] }],
  truncated: false,
  snapshots: 3
});

describe('SearchModel', () => {
  it('keeps the answer to the newest search when an older one answers late', async () => {
    const pending: Record<string, (r: SearchResponse) => void> = {};
    const model = new SearchModel({
      search: pattern =>
        new Promise(resolve => {
          pending[pattern] = resolve;
        })
    });
    const slow = model.search('old');
    const fast = model.search('new');
    pending.new(answer('new'));
    await fast;
    pending.old(answer('old'));
    await slow;
    expect(model.result?.pattern).toBe('new');
    expect(model.pattern).toBe('new');
    expect(model.busy).toBe(false);
  });

  it('says why a search failed, in one line, and forgets the previous answer', async () => {
    let fail = false;
    const model = new SearchModel({
      search: async pattern => {
        if (fail) {
          throw new Error('The backup agent is not running.');
        }
        return answer(pattern);
      }
    });
    await model.search('train');
    expect(model.result?.paths).toHaveLength(1);
    fail = true;
    await model.search('train');
    expect(model.error).toBe('The backup agent is not running.');
    expect(model.result).toBeUndefined();
  });
});
