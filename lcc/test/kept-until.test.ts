/** "Kept until", from the same retention rules as forget, with the backups still to come. */
import { keptUntil } from '../src/maintenance/kept-until';
import { applyPolicy } from '../src/maintenance/retention';

const hour = 3_600_000;
const now = new Date('2026-03-10T12:30:00Z');
const at = (hoursAgo: number) => ({
  id: `s${hoursAgo}`,
  time: new Date(now.getTime() - hoursAgo * hour).toISOString()
});

it('an hourly snapshot is kept until as many newer hours have a backup', () => {
  const snapshots = [at(0), at(1), at(2)];
  const until = keptUntil(snapshots, { hourly: 3 }, 60, now);
  // With a backup every hour, the oldest of three kept hours goes at the next backup.
  expect(until.get('s2')).toBe(new Date(now.getTime() + hour).toISOString());
  expect(until.get('s1')).toBe(
    new Date(now.getTime() + 2 * hour).toISOString()
  );
  expect(until.get('s0')).toBe(
    new Date(now.getTime() + 3 * hour).toISOString()
  );
});

it('agrees with forget: what forget removes now is kept until now', () => {
  const snapshots = [at(0), at(0.5), at(1), at(5)];
  const policy = { hourly: 2 };
  const removed = applyPolicy(snapshots, policy).remove.map(s => s.id);
  const until = keptUntil(snapshots, policy, 60, now);
  expect(removed.length).toBeGreaterThan(0);
  for (const id of removed) {
    expect(until.get(id)).toBe(now.toISOString());
  }
});

it('a monthly snapshot outlives the hourly ones, and a long policy says "more than two years"', () => {
  const snapshots = [at(0), at(24 * 40)];
  const until = keptUntil(snapshots, { hourly: 24, monthly: 12 }, 60, now);
  expect(Date.parse(until.get(`s${24 * 40}`)!)).toBeGreaterThan(
    now.getTime() + 300 * 24 * hour
  );
  // The newest of the month goes at the next backup of the month; the last 100 of monthly backups stay.
  expect(keptUntil([at(0)], { monthly: 100 }, 60, now).get('s0')).toBe(
    new Date(now.getTime() + hour).toISOString()
  );
  expect(
    keptUntil([at(0)], { last: 100 }, 30 * 24 * 60, now).get('s0')
  ).toBeNull();
});
