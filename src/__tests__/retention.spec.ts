import type { MaintenanceResponse } from '@studio-backup/lcc/contract';
import { MaintenanceModel, policyRules } from '../retention';

const info = (until: string | null): MaintenanceResponse => ({
  retention: {
    policy: { monthly: 12, hourly: 24, last: 0 },
    source: 'default',
    includeReferenceCopies: false
  },
  keptUntil: { abc: until },
  intervalMinutes: 60,
  lastRun: null,
  storage: {
    snapshots: 1,
    storedBytes: 10,
    logicalBytes: 40,
    latestBytes: 40,
    ratio: 4
  }
});

describe('retention in the panel', () => {
  it("lists a policy's rules in forget's order, without the empty ones", () => {
    expect(policyRules({ monthly: 12, hourly: 24, last: 0 })).toEqual([
      { rule: 'hourly', count: 24 },
      { rule: 'monthly', count: 12 }
    ]);
  });

  it('keeps the newest answer, and knows a snapshot it was not told about from one kept long', async () => {
    const answers: Array<(r: MaintenanceResponse) => void> = [];
    const model = new MaintenanceModel({
      maintenance: () => new Promise(resolve => answers.push(resolve))
    });
    const first = model.refresh();
    const second = model.refresh();
    answers[1](info(null));
    answers[0](info('2026-12-01T00:00:00.000Z'));
    await Promise.all([first, second]);
    expect(model.keptUntil('abc')).toBeNull();
    expect(model.keptUntil('unknown')).toBeUndefined();
  });
});
