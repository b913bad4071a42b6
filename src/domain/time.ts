/**
 * Times cross the API as ISO 8601 text and live in the store as integer milliseconds since
 * the epoch (UTC), which both SQLite and PostgreSQL index and bucket with the same arithmetic.
 */

// Date + time with optional fraction and an optional offset; no offset means UTC (SPEC: Client API faces).
const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})?$/;

/** Parses an ISO 8601 date-time; returns epoch ms, or null when the text is not a valid instant. */
export function parseIsoTime(text: string): number | null {
  const m = ISO_DATETIME.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const millis = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear takes the year as written.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const utc = date.getTime();
  // Date.UTC rolls 2023-02-30 over to March: reject days that do not exist in the month.
  if (new Date(utc).getUTCDate() !== day) return null;
  let offsetMinutes = 0;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2, 4));
    if (oh > 23 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
  }
  return utc - offsetMinutes * 60_000;
}

/** `YYYY-MM-DDTHH:MM:SS.sssZ` */
export function formatIsoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

const MS_PER_DAY = 86_400_000;
const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
let cachedDay = Number.NaN;
let cachedDayPrefix = '';

/**
 * `YYYY-MM-DDTHH:MM:SSZ`, the second-precision form the FlowCommand document uses. A page of
 * pings formats a thousand times from one or two days, so the date part is kept from the
 * previous call (a pure memo: same input, same output).
 */
export function formatIsoSeconds(ms: number): string {
  const day = Math.floor(ms / MS_PER_DAY);
  if (day !== cachedDay) {
    const date = new Date(day * MS_PER_DAY).toISOString();
    // Years outside 0000-9999 have a longer ISO form; leave those to toISOString entirely.
    if (date.length !== 24) return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    cachedDay = day;
    cachedDayPrefix = date.slice(0, 11);
  }
  const seconds = Math.floor((ms - day * MS_PER_DAY) / 1000);
  return `${cachedDayPrefix}${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}Z`;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
