import { describe, expect, it } from 'vitest';
import { formatDateTime, fromLocalInput, nextDay, startOfDay, toLocalInput, zoneAbbreviation } from '../../web/src/lib/time.js';

/** The web app's time helpers: wall-clock time in a facility's zone, across DST changes. */
describe('web/src/lib/time', () => {
  const chicago = 'America/Chicago';

  it('formats in the facility zone with its abbreviation', () => {
    expect(formatDateTime('2026-01-01T06:00:00Z', chicago)).toMatch(/^Jan 1, 2026, 12:00\sAM CST$/);
    expect(formatDateTime('2026-07-01T05:00:00Z', chicago)).toMatch(/^Jul 1, 2026, 12:00\sAM CDT$/);
    expect(zoneAbbreviation(Date.parse('2026-07-01T00:00:00Z'), 'UTC')).toBe('UTC');
  });

  it('reads and writes datetime-local values as wall-clock time in the zone', () => {
    expect(fromLocalInput('2026-01-01T00:00', chicago)).toBe(Date.parse('2026-01-01T06:00:00Z'));
    expect(fromLocalInput('2026-07-01T00:00', chicago)).toBe(Date.parse('2026-07-01T05:00:00Z'));
    expect(fromLocalInput('2026-07-01T00:00', 'Asia/Kolkata')).toBe(Date.parse('2026-06-30T18:30:00Z'));
    expect(toLocalInput(Date.parse('2026-01-01T06:00:00Z'), chicago)).toBe('2026-01-01T00:00');
    expect(fromLocalInput('yesterday', chicago)).toBeNull();
  });

  it('finds local midnights, including the 23- and 25-hour days', () => {
    const spring = startOfDay(Date.parse('2026-03-08T12:00:00Z'), chicago);
    expect(spring).toBe(Date.parse('2026-03-08T06:00:00Z'));
    expect(nextDay(spring, chicago) - spring).toBe(23 * 3_600_000);
    const fall = startOfDay(Date.parse('2026-11-01T12:00:00Z'), chicago);
    expect(fall).toBe(Date.parse('2026-11-01T05:00:00Z'));
    expect(nextDay(fall, chicago) - fall).toBe(25 * 3_600_000);
  });
});
