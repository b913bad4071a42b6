import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catalogControllers, channelsOf, DEMO_CATALOG, type CatalogChannel } from './catalog.js';
import { alarmEdges, DAY_MS, episodeAt, episodesBetween, excursionAt, HOUR_MS, MINUTE_MS, unitHash, valueAt, type Schedule } from './signals.js';

const START = Date.parse('2026-10-25T00:00:00Z');
const STEP = 5 * MINUTE_MS;

/** Normal ranges a healthy system stays in, by channel type and unit. */
const NORMAL: Record<string, [number, number]> = {
  conductivity: [1500, 3000],
  ph: [7.2, 8.4],
  orp: [250, 450],
  temperature: [20, 35],
  flowrate: [0, 8000],
};

function allChannels(): { serial: string; channel: CatalogChannel }[] {
  return catalogControllers().flatMap((c) => channelsOf(c).map(({ channel }) => ({ serial: c.serialNumber, channel })));
}

function grid(days: number): number[] {
  const times: number[] = [];
  for (let t = START; t <= START + days * DAY_MS; t += STEP) times.push(t);
  return times;
}

describe('demo signals', () => {
  it('are pure: the same instant always gives the same value', () => {
    for (const { channel } of allChannels()) {
      fc.assert(
        fc.property(fc.integer({ min: START, max: START + 365 * DAY_MS }), (t) => valueAt(channel.signal, t) === valueAt(channel.signal, t)),
        { numRuns: 50 },
      );
    }
  });

  it('differ between channels of the same type (each has its own seed)', () => {
    const conductivities = allChannels().filter(({ channel }) => channel.number === 'S11');
    const values = new Set(conductivities.map(({ channel }) => valueAt(channel.signal, START + 7 * HOUR_MS)));
    expect(values.size).toBeGreaterThan(1);
  });

  it('stay in their normal ranges outside excursions, and leave them during one', () => {
    const times = grid(30);
    const problems: string[] = [];
    for (const { serial, channel } of allChannels()) {
      const range = NORMAL[channel.type];
      if (!range) continue;
      let excursions = 0;
      for (const t of times) {
        const value = valueAt(channel.signal, t);
        const normal = value >= range[0] && value <= range[1];
        const inExcursion = excursionAt(channel.signal, t) !== null;
        if (inExcursion) excursions += 1;
        // Cheap checks in the loop, one assertion at the end: 300,000 expect() calls take seconds.
        if (!Number.isFinite(value) || normal === inExcursion) problems.push(`${serial} ${channel.number} at ${new Date(t).toISOString()}: ${value}`);
      }
      if (channel.signal.kind === 'analog' && channel.signal.excursion && excursions === 0) problems.push(`${serial} ${channel.number}: no excursion in 30 days`);
    }
    expect(problems).toEqual([]);
  });

  it('drive outputs as on/off or percent on-time', () => {
    for (const { serial, channel } of allChannels().filter(({ channel }) => channel.kind === 'output')) {
      const values = grid(3).map((t) => valueAt(channel.signal, t));
      if (channel.unit === '%') {
        expect(values.every((v) => v >= 0 && v <= 100), `${serial} ${channel.number}`).toBe(true);
        expect(new Set(values).size, `${serial} ${channel.number}`).toBeGreaterThan(10);
      } else {
        expect(new Set(values), `${serial} ${channel.number}`).toEqual(new Set([0, 1]));
      }
    }
  });

  it('follow a daily cycle: a tower is warmer in the local afternoon than before dawn', () => {
    const tulsaTower = DEMO_CATALOG[0]!.facilities[0]!.controllers[0]!;
    const temperature = channelsOf(tulsaTower).find(({ channel }) => channel.type === 'temperature')!.channel.signal;
    const mean = (utcHour: number) => {
      const days = Array.from({ length: 30 }, (_, d) => valueAt(temperature, START + d * DAY_MS + utcHour * HOUR_MS));
      return days.reduce((a, b) => a + b, 0) / days.length;
    };
    // Tulsa is UTC-6: 21:00 UTC is 15:00 local, 10:00 UTC is 04:00 local.
    expect(mean(21)).toBeGreaterThan(mean(10) + 4);
  });

  it('give flow sensors hours of no flow', () => {
    for (const sensor of catalogControllers().filter((c) => c.flowSensor)) {
      const values = grid(30).map((t) => valueAt(sensor.processes[0]!.channels[0]!.signal, t));
      expect(values.filter((v) => v === 0).length, sensor.serialNumber).toBeGreaterThan(0);
      expect(values.filter((v) => v > 1000).length, sensor.serialNumber).toBeGreaterThan(values.length / 2);
    }
  });
});

describe('demo schedules and alarm edges', () => {
  const schedules: Schedule[] = catalogControllers().flatMap((c) => c.alarms.map((a) => a.schedule));

  it('lay random excursions of 30 to 60 minutes, one per 6-hour block at most', () => {
    const random = schedules.filter((s) => s.kind === 'random');
    expect(random.length).toBeGreaterThan(5);
    for (const schedule of random) {
      const episodes = episodesBetween(schedule, START, START + 30 * DAY_MS);
      expect(episodes.length).toBeGreaterThan(0);
      for (const e of episodes) {
        expect(e.end - e.start).toBeGreaterThanOrEqual(30 * MINUTE_MS);
        expect(e.end - e.start).toBeLessThanOrEqual(60 * MINUTE_MS);
        expect(Math.floor(e.start / (6 * HOUR_MS))).toBe(Math.floor((e.end - 1) / (6 * HOUR_MS)));
      }
    }
  });

  it('agree: episodeAt(t) is the episode of episodesBetween that contains t', () => {
    fc.assert(
      fc.property(fc.constantFrom(...schedules), fc.integer({ min: START, max: START + 60 * DAY_MS }), (schedule, t) => {
        const around = episodesBetween(schedule, t - DAY_MS, t + DAY_MS).find((e) => e.start <= t && t < e.end) ?? null;
        expect(episodeAt(schedule, t)).toEqual(around);
      }),
      { numRuns: 500 },
    );
  });

  it('split anywhere: edges over (a, c] are the edges over (a, b] then (b, c]', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...schedules),
        fc.integer({ min: START, max: START + 20 * DAY_MS }),
        fc.integer({ min: 0, max: 10 * DAY_MS }),
        fc.integer({ min: 0, max: 10 * DAY_MS }),
        (schedule, a, ab, bc) => {
          const b = a + ab;
          const c = b + bc;
          expect([...alarmEdges(schedule, a, b), ...alarmEdges(schedule, b, c)]).toEqual(alarmEdges(schedule, a, c));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('alternate raise and clear, starting with the raise of an episode in progress', () => {
    for (const schedule of schedules) {
      const edges = alarmEdges(schedule, START, START + 30 * DAY_MS, true);
      edges.forEach((edge, i) => expect(edge.action).toBe(i % 2 === 0 ? 'raise' : 'clear'));
      if (episodeAt(schedule, START)) expect(edges[0]!.time).toBeLessThanOrEqual(START);
    }
  });

  it('always hold at least one active alarm somewhere in the demo', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 42 }), (t) => schedules.some((s) => episodeAt(s, t) !== null)),
      { numRuns: 2000 },
    );
  });

  it('hash to a uniform-looking [0, 1)', () => {
    const samples = Array.from({ length: 10_000 }, (_, i) => unitHash(12345, 1_700_000_000 + i));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(1);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });
});
