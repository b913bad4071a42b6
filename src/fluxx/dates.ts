/**
 * Fluxx's relative-date operators, evaluated in UTC against a given instant: each names a
 * half-open range [from, to) of epoch milliseconds. Weeks start on Monday (ISO 8601).
 */

const DAY = 86_400_000;

export const RELATIVE_DATE_OPERATORS = [
  'yesterday',
  'today',
  'tomorrow',
  'last-week',
  'this-week',
  'next-week',
  'last-month',
  'this-month',
  'next-month',
  'last-quarter',
  'this-quarter',
  'next-quarter',
  'last-year',
  'this-year',
  'next-year',
] as const;

/** Operators that take a count `n` as their value. */
export const COUNTED_DATE_OPERATORS = ['last-n-days', 'last-n-weeks', 'last-n-months', 'last-n-years', 'next-n-days', 'days-n-ago'] as const;

export type RelativeDateOperator = (typeof RELATIVE_DATE_OPERATORS)[number];
export type CountedDateOperator = (typeof COUNTED_DATE_OPERATORS)[number];

export interface TimeRange {
  from: number;
  to: number;
}

const startOfDay = (t: number) => t - (((t % DAY) + DAY) % DAY);
const utc = (year: number, month: number, day = 1) => Date.UTC(year, month, day);

function unitRange(unit: 'week' | 'month' | 'quarter' | 'year', now: number, offset: number): TimeRange {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (unit) {
    case 'week': {
      const monday = startOfDay(now) - ((d.getUTCDay() + 6) % 7) * DAY + offset * 7 * DAY;
      return { from: monday, to: monday + 7 * DAY };
    }
    case 'month':
      return { from: utc(y, m + offset), to: utc(y, m + offset + 1) };
    case 'quarter': {
      const q = Math.floor(m / 3) * 3 + offset * 3;
      return { from: utc(y, q), to: utc(y, q + 3) };
    }
    case 'year':
      return { from: utc(y + offset, 0), to: utc(y + offset + 1, 0) };
  }
}

export function relativeDateRange(operator: RelativeDateOperator, now: number): TimeRange {
  const today = startOfDay(now);
  if (operator === 'today') return { from: today, to: today + DAY };
  if (operator === 'yesterday') return { from: today - DAY, to: today };
  if (operator === 'tomorrow') return { from: today + DAY, to: today + 2 * DAY };
  const [when, unit] = operator.split('-') as ['last' | 'this' | 'next', 'week' | 'month' | 'quarter' | 'year'];
  return unitRange(unit, now, when === 'last' ? -1 : when === 'next' ? 1 : 0);
}

/** `last-n-…` runs from n units ago up to now; `next-n-days` from now; `days-n-ago` is that whole day. */
export function countedDateRange(operator: CountedDateOperator, n: number, now: number): TimeRange {
  const d = new Date(now);
  switch (operator) {
    case 'last-n-days':
      return { from: now - n * DAY, to: now + 1 };
    case 'last-n-weeks':
      return { from: now - n * 7 * DAY, to: now + 1 };
    case 'last-n-months':
      return { from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - n, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()), to: now + 1 };
    case 'last-n-years':
      return { from: Date.UTC(d.getUTCFullYear() - n, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()), to: now + 1 };
    case 'next-n-days':
      return { from: now, to: now + n * DAY };
    case 'days-n-ago': {
      const day = startOfDay(now) - n * DAY;
      return { from: day, to: day + DAY };
    }
  }
}
