import {
  DAY_MS,
  dayBoundaries,
  keyStep,
  nearestIndex,
  pointerPosition,
  positionOf,
  rangeOf,
  tickPositions,
  timeAt,
  timelineSnapshots
} from '../timeline';

const HOUR = 3_600_000;

describe('timelineSnapshots', () => {
  it('keeps the last days before the newest snapshot, oldest first', () => {
    const newest = Date.parse('2026-03-10T12:00:00Z');
    const snap = (t: number) => ({ time: new Date(t).toISOString() });
    const shown = timelineSnapshots(
      [
        snap(newest - 2 * HOUR),
        snap(newest),
        snap(newest - 8 * DAY_MS),
        snap(newest - 7 * DAY_MS)
      ],
      7
    );
    expect(shown.map(s => Date.parse(s.time))).toEqual([
      newest - 7 * DAY_MS,
      newest - 2 * HOUR,
      newest
    ]);
  });

  it('is empty without snapshots and skips unreadable times', () => {
    expect(timelineSnapshots([])).toEqual([]);
    expect(timelineSnapshots([{ time: 'not a time' }])).toEqual([]);
  });
});

describe('positions and times', () => {
  const range = { start: 1000, end: 3000 };

  it('maps the ends to 0 and 1 and the middle to 0.5, clamped outside', () => {
    expect(positionOf(1000, range)).toBe(0);
    expect(positionOf(3000, range)).toBe(1);
    expect(positionOf(2000, range)).toBe(0.5);
    expect(positionOf(0, range)).toBe(0);
    expect(positionOf(9999, range)).toBe(1);
  });

  it('puts the one snapshot of a one-instant range at the right end', () => {
    expect(positionOf(5, { start: 5, end: 5 })).toBe(1);
    expect(rangeOf([5])).toEqual({ start: 5, end: 5 });
    expect(rangeOf([])).toEqual({ start: 0, end: 0 });
  });

  it('timeAt is the inverse of positionOf', () => {
    for (const t of [1000, 1234, 2500, 3000]) {
      expect(timeAt(positionOf(t, range), range)).toBeCloseTo(t);
    }
    expect(timeAt(-1, range)).toBe(1000);
    expect(timeAt(2, range)).toBe(3000);
  });

  it('a pointer position is relative to the track, clamped to its ends', () => {
    expect(pointerPosition(150, 100, 200)).toBe(0.25);
    expect(pointerPosition(50, 100, 200)).toBe(0);
    expect(pointerPosition(400, 100, 200)).toBe(1);
    expect(pointerPosition(10, 0, 0)).toBe(1);
  });
});

describe('nearestIndex', () => {
  const times = [10, 20, 40, 80];

  it('finds the nearest time, ties going to the older one', () => {
    expect(nearestIndex(times, 0)).toBe(0);
    expect(nearestIndex(times, 14)).toBe(0);
    expect(nearestIndex(times, 15)).toBe(0);
    expect(nearestIndex(times, 16)).toBe(1);
    expect(nearestIndex(times, 40)).toBe(2);
    expect(nearestIndex(times, 61)).toBe(3);
    expect(nearestIndex(times, 1000)).toBe(3);
  });

  it('is -1 without times', () => {
    expect(nearestIndex([], 5)).toBe(-1);
  });
});

describe('keyStep', () => {
  const t0 = Date.parse('2026-03-02T09:00:00Z');
  // Hourly on one day, then two the next day, then one three days later.
  const times = [
    t0,
    t0 + HOUR,
    t0 + 2 * HOUR,
    t0 + DAY_MS,
    t0 + DAY_MS + HOUR,
    t0 + 4 * DAY_MS
  ];

  it('moves one snapshot with the arrows, stopping at the ends', () => {
    expect(keyStep('ArrowRight', 1, times)).toBe(2);
    expect(keyStep('ArrowUp', 1, times)).toBe(2);
    expect(keyStep('ArrowLeft', 1, times)).toBe(0);
    expect(keyStep('ArrowDown', 0, times)).toBe(0);
    expect(keyStep('ArrowRight', 5, times)).toBe(5);
  });

  it('goes to the ends with Home and End', () => {
    expect(keyStep('Home', 3, times)).toBe(0);
    expect(keyStep('End', 0, times)).toBe(5);
  });

  it('moves about a day with Page Up/Down, at least one snapshot', () => {
    expect(keyStep('PageUp', 0, times)).toBe(3);
    expect(keyStep('PageUp', 3, times)).toBe(4);
    expect(keyStep('PageDown', 5, times)).toBe(4);
    expect(keyStep('PageDown', 4, times)).toBe(1);
    expect(keyStep('PageDown', 0, times)).toBe(0);
  });

  it('ignores other keys and an empty strip', () => {
    expect(keyStep('a', 1, times)).toBeNull();
    expect(keyStep('End', 0, [])).toBeNull();
  });
});

describe('dayBoundaries', () => {
  it('lists the local midnights inside the range', () => {
    const start = new Date(2026, 2, 2, 15, 0).getTime();
    const end = new Date(2026, 2, 4, 9, 0).getTime();
    const days = dayBoundaries({ start, end });
    expect(days.map(d => d.time)).toEqual([
      new Date(2026, 2, 3).getTime(),
      new Date(2026, 2, 4).getTime()
    ]);
    expect(days[0].position).toBeCloseTo(
      (days[0].time - start) / (end - start)
    );
  });

  it('is empty within one day and for one instant', () => {
    const noon = new Date(2026, 2, 2, 12).getTime();
    expect(dayBoundaries({ start: noon, end: noon + HOUR })).toEqual([]);
    expect(dayBoundaries({ start: noon, end: noon })).toEqual([]);
  });
});

describe('tickPositions', () => {
  it('draws one tick per snapshot, sharing a tick when closer than a bucket', () => {
    const range = { start: 0, end: 1000 };
    expect(tickPositions([0, 500, 1000], range, 10)).toEqual([0, 0.5, 1]);
    expect(tickPositions([0, 1, 2, 500], range, 10)).toEqual([0, 0.5]);
  });

  it('draws at most buckets + 1 ticks for 1,000 snapshots', () => {
    const times = Array.from({ length: 1000 }, (_, i) => i * HOUR);
    const ticks = tickPositions(times, rangeOf(times), 400);
    expect(ticks.length).toBeLessThanOrEqual(401);
    expect(ticks[0]).toBe(0);
    expect(ticks[ticks.length - 1]).toBe(1);
  });
});
