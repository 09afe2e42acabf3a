import type { FullRestoreRecord } from '@studio-backup/lcc/contract';
import {
  formerHome,
  IRequestsSource,
  parseFormerHome,
  RequestsModel
} from '../requests';

function source(): IRequestsSource & { saved: FullRestoreRecord[] } {
  const saved: FullRestoreRecord[] = [];
  return {
    saved,
    restoreRequests: async () => [...saved],
    createRestoreRequest: async request => {
      if (request.kind === 'recover-profile') {
        throw new Error(
          'Recovery from another profile needs the Studio Backup backend, which is not deployed for this domain: ask your Studio admin.'
        );
      }
      const record: FullRestoreRecord = {
        ...request,
        id: `r${saved.length}`,
        created: new Date(Date.UTC(2026, 0, 1 + saved.length)).toISOString(),
        state: 'pending'
      };
      saved.push(record);
      return record;
    },
    recoveries: async () => ({
      recoveries: [],
      reason:
        'The Studio Backup backend is not deployed for this domain, so there is no recovery history.'
    })
  };
}

describe('RequestsModel', () => {
  it('files a request and lists the requests newest first', async () => {
    const model = new RequestsModel(source());
    await model.create({
      kind: 'full-restore',
      snapshot: 'latest',
      target: 'side'
    });
    await model.create({
      kind: 'full-restore',
      snapshot: 'abc',
      target: 'original'
    });
    expect(model.requests.map(r => r.id)).toEqual(['r1', 'r0']);
    expect(model.recoveriesReason).toMatch(/not deployed/);
    expect(model.error).toBeNull();
  });

  it('keeps a refusal as one line and the list as it was', async () => {
    const model = new RequestsModel(source());
    await model.create({
      kind: 'full-restore',
      snapshot: 'latest',
      target: 'side'
    });
    const created = await model.create({
      kind: 'recover-profile',
      snapshot: 'latest',
      target: 'side',
      fromProfile: 'old'
    });
    expect(created).toBeNull();
    expect(model.error).toMatch(/^Recovery from another profile needs/);
    expect(model.requests).toHaveLength(1);
  });
});

describe('the former home typed in the recovery dialog', () => {
  it('reads a profile, or a profile and one of its spaces', () => {
    expect(parseFormerHome(' bob ')).toEqual({ fromProfile: 'bob' });
    expect(parseFormerHome('bob/bob-space')).toEqual({
      fromProfile: 'bob',
      fromSpace: 'bob-space'
    });
    expect(formerHome({ fromProfile: 'bob', fromSpace: 'bob-space' })).toBe(
      'bob/bob-space'
    );
    expect(formerHome({ fromProfile: 'bob' })).toBe('bob');
  });

  it('refuses what names no profile or more than a space', () => {
    for (const text of ['', '/', 'bob/', '/space', 'a/b/c']) {
      expect(parseFormerHome(text)).toBeNull();
    }
  });
});
