import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ceilHour, floorHour, hourlyVolumes, integrate, mergePings, MS_PER_DAY, MS_PER_HOUR, type Ping } from './volume.js';

/**
 * An independent reference: split the range at every ping time, find the rate at each cut by
 * searching the whole series, and add exact trapezoids. Slow and simple on purpose.
 */
function referenceVolume(pings: readonly Ping[], from: number, to: number): number {
  if (pings.length < 2) return 0;
  const first = pings[0]!.time;
  const last = pings[pings.length - 1]!.time;
  const lo = Math.max(from, first);
  const hi = Math.min(to, last);
  if (hi <= lo) return 0;
  const cuts = [lo, ...pings.map((p) => p.time).filter((t) => t > lo && t < hi), hi];
  const rate = (t: number): number => {
    for (let i = 1; i < pings.length; i++) {
      const a = pings[i - 1]!;
      const b = pings[i]!;
      if (t >= a.time && t <= b.time) return a.rate + ((b.rate - a.rate) * (t - a.time)) / (b.time - a.time);
    }
    throw new Error('outside the series');
  };
  let sum = 0;
  for (let i = 1; i < cuts.length; i++) sum += ((rate(cuts[i - 1]!) + rate(cuts[i]!)) / 2) * ((cuts[i]! - cuts[i - 1]!) / MS_PER_DAY);
  return sum;
}

const T0 = Date.parse('2026-01-01T00:00:00Z');
const pingSeries = fc
  .uniqueArray(fc.integer({ min: 0, max: 3 * MS_PER_DAY }), { minLength: 0, maxLength: 60 })
  .chain((offsets) =>
    fc.tuple(fc.constant(offsets.sort((a, b) => a - b)), fc.array(fc.double({ min: 0, max: 10_000, noNaN: true }), { minLength: offsets.length, maxLength: offsets.length })),
  )
  .map(([offsets, rates]) => offsets.map((o, i) => ({ time: T0 + o, rate: rates[i]! })));
const range = fc
  .tuple(fc.integer({ min: -MS_PER_DAY, max: 4 * MS_PER_DAY }), fc.integer({ min: 0, max: 4 * MS_PER_DAY }))
  .map(([start, length]) => ({ from: T0 + start, to: T0 + start + length }));

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

describe('volume', () => {
  it('integrates a constant rate of one day to that many barrels', () => {
    const pings = [
      { time: T0, rate: 1000 },
      { time: T0 + MS_PER_DAY, rate: 1000 },
    ];
    expect(integrate(pings, T0, T0 + MS_PER_DAY)).toBe(1000);
    expect(integrate(pings, T0 - MS_PER_DAY, T0 + 2 * MS_PER_DAY)).toBe(1000);
    expect(integrate(pings, T0 + MS_PER_DAY / 2, T0 + 2 * MS_PER_DAY)).toBe(500);
  });

  it('cuts a ramp by interpolation', () => {
    const pings = [
      { time: T0, rate: 0 },
      { time: T0 + MS_PER_DAY, rate: 2400 },
    ];
    // First hour of a ramp from 0 to 100 bbl/day per hour: mean 50 bbl/day over 1/24 day.
    expect(integrate(pings, T0, T0 + MS_PER_HOUR)).toBeCloseTo(50 / 24, 12);
  });

  it('agrees with the reference for any series and range', () => {
    fc.assert(
      fc.property(pingSeries, range, (pings, { from, to }) => {
        expect(close(integrate(pings, from, to), referenceVolume(pings, from, to))).toBe(true);
      }),
    );
  });

  it('hourly volumes add up to the total', () => {
    fc.assert(
      fc.property(pingSeries, range, (pings, { from, to }) => {
        const hours = hourlyVolumes(pings, floorHour(from), ceilHour(to));
        const full = [...hours.values()].reduce((s, v) => s + v, 0);
        expect(close(full, integrate(pings, floorHour(from), ceilHour(to)))).toBe(true);
      }),
    );
  });

  it('merges with existing pings winning on equal times', () => {
    const merged = mergePings(
      [
        { time: 1, rate: 1 },
        { time: 3, rate: 3 },
      ],
      [
        { time: 2, rate: 20 },
        { time: 3, rate: 30 },
        { time: 4, rate: 40 },
      ],
    );
    expect(merged).toEqual([
      { time: 1, rate: 1 },
      { time: 2, rate: 20 },
      { time: 3, rate: 3 },
      { time: 4, rate: 40 },
    ]);
  });
});
