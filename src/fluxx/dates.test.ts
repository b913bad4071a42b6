import { describe, expect, it } from 'vitest';
import { countedDateRange, relativeDateRange } from './dates.js';

const at = (iso: string) => Date.parse(iso);
const range = (from: string, to: string) => ({ from: at(from), to: at(to) });

// Wednesday 2026-11-25, 15:30 UTC
const NOW = at('2026-11-25T15:30:00Z');

describe('relative dates (UTC)', () => {
  it('days', () => {
    expect(relativeDateRange('today', NOW)).toEqual(range('2026-11-25T00:00:00Z', '2026-11-26T00:00:00Z'));
    expect(relativeDateRange('yesterday', NOW)).toEqual(range('2026-11-24T00:00:00Z', '2026-11-25T00:00:00Z'));
    expect(relativeDateRange('tomorrow', NOW)).toEqual(range('2026-11-26T00:00:00Z', '2026-11-27T00:00:00Z'));
  });

  it('weeks start on Monday', () => {
    expect(relativeDateRange('this-week', NOW)).toEqual(range('2026-11-23T00:00:00Z', '2026-11-30T00:00:00Z'));
    expect(relativeDateRange('last-week', NOW)).toEqual(range('2026-11-16T00:00:00Z', '2026-11-23T00:00:00Z'));
    expect(relativeDateRange('next-week', NOW)).toEqual(range('2026-11-30T00:00:00Z', '2026-12-07T00:00:00Z'));
    expect(relativeDateRange('this-week', at('2026-11-29T23:59:59Z'))).toEqual(range('2026-11-23T00:00:00Z', '2026-11-30T00:00:00Z'));
  });

  it('months, quarters and years, across year ends', () => {
    expect(relativeDateRange('this-month', NOW)).toEqual(range('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z'));
    expect(relativeDateRange('next-month', at('2026-12-10T00:00:00Z'))).toEqual(range('2027-01-01T00:00:00Z', '2027-02-01T00:00:00Z'));
    expect(relativeDateRange('last-month', at('2026-01-10T00:00:00Z'))).toEqual(range('2025-12-01T00:00:00Z', '2026-01-01T00:00:00Z'));
    expect(relativeDateRange('this-quarter', NOW)).toEqual(range('2026-10-01T00:00:00Z', '2027-01-01T00:00:00Z'));
    expect(relativeDateRange('last-quarter', at('2026-02-01T00:00:00Z'))).toEqual(range('2025-10-01T00:00:00Z', '2026-01-01T00:00:00Z'));
    expect(relativeDateRange('next-quarter', NOW)).toEqual(range('2027-01-01T00:00:00Z', '2027-04-01T00:00:00Z'));
    expect(relativeDateRange('last-year', NOW)).toEqual(range('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z'));
    expect(relativeDateRange('this-year', NOW)).toEqual(range('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'));
    expect(relativeDateRange('next-year', NOW)).toEqual(range('2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z'));
  });

  it('counted ranges', () => {
    expect(countedDateRange('last-n-days', 3, NOW)).toEqual({ from: at('2026-11-22T15:30:00Z'), to: NOW + 1 });
    expect(countedDateRange('last-n-weeks', 2, NOW)).toEqual({ from: at('2026-11-11T15:30:00Z'), to: NOW + 1 });
    expect(countedDateRange('last-n-months', 2, NOW)).toEqual({ from: at('2026-09-25T15:30:00Z'), to: NOW + 1 });
    expect(countedDateRange('last-n-years', 1, NOW)).toEqual({ from: at('2025-11-25T15:30:00Z'), to: NOW + 1 });
    expect(countedDateRange('next-n-days', 2, NOW)).toEqual({ from: NOW, to: at('2026-11-27T15:30:00Z') });
    expect(countedDateRange('days-n-ago', 2, NOW)).toEqual(range('2026-11-23T00:00:00Z', '2026-11-24T00:00:00Z'));
  });
});
