/**
 * Times as a facility sees them: every date on the dashboard is formatted in the facility's
 * IANA time zone with Intl (never the browser's zone), and the zone's short name is shown
 * beside it so nobody has to guess.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { ...options, timeZone });
    } catch {
      // An unknown zone in the data must not break the page: fall back to UTC (and say so, below).
      f = new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' });
    }
    formatters.set(key, f);
  }
  return f;
}

/** True when the runtime knows the zone. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const toMs = (t: number | string | Date): number => (typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : t.getTime());

/** "Dec 3, 2026, 12:32 PM CST" in the facility's zone. */
export function formatDateTime(t: number | string | Date, timeZone: string): string {
  return formatter(timeZone, { dateStyle: 'medium', timeStyle: 'short' }).format(toMs(t)) + ` ${zoneAbbreviation(toMs(t), timeZone)}`;
}

/** "Dec 3, 12:32 PM" (no year, no zone): for dense lists under a heading that names the zone. */
export function formatShortDateTime(t: number | string | Date, timeZone: string): string {
  return formatter(timeZone, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(toMs(t));
}

/** "Dec 3, 2026" in the facility's zone. */
export function formatDate(t: number | string | Date, timeZone: string): string {
  return formatter(timeZone, { dateStyle: 'medium' }).format(toMs(t));
}

/** The zone's short name at that instant (CST or CDT, GMT+5:30 where there is no abbreviation). */
export function zoneAbbreviation(t: number, timeZone: string): string {
  const part = formatter(timeZone, { timeZoneName: 'short', hour: 'numeric' })
    .formatToParts(t)
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}

/** "5 minutes ago", "2 days ago", "just now". */
export function formatAgo(t: number | string, now: number): string {
  const seconds = Math.round((now - toMs(t)) / 1000);
  if (seconds < 45) return 'just now';
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'always' });
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return rtf.format(-minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (hours < 48) return rtf.format(-hours, 'hour');
  return rtf.format(-Math.round(hours / 24), 'day');
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock fields of an instant in the zone. */
export function wallClock(t: number, timeZone: string): WallClock {
  const parts = formatter(timeZone, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(t);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** Offset of the zone from UTC at the instant, in ms (UTC-6 → -21,600,000). */
export function zoneOffset(t: number, timeZone: string): number {
  const w = wallClock(t, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** The instant at which the zone's wall clock reads the given fields (the earlier one in a DST overlap). */
export function fromWallClock(w: Omit<WallClock, 'second'> & { second?: number }, timeZone: string): number {
  const guess = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second ?? 0);
  // Two passes settle the offset on both sides of a DST change.
  let t = guess - zoneOffset(guess, timeZone);
  t = guess - zoneOffset(t, timeZone);
  return t;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The value of an <input type="datetime-local"> showing the instant in the zone. */
export function toLocalInput(t: number, timeZone: string): string {
  const w = wallClock(t, timeZone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

/** Reads an <input type="datetime-local"> value as wall-clock time in the zone; null when empty or malformed. */
export function fromLocalInput(value: string, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  return fromWallClock({ year: Number(y), month: Number(mo), day: Number(d), hour: Number(h), minute: Number(mi), second: Number(s ?? 0) }, timeZone);
}

/** Midnight at the start of the zone's day containing t. */
export function startOfDay(t: number, timeZone: string): number {
  const w = wallClock(t, timeZone);
  return fromWallClock({ year: w.year, month: w.month, day: w.day, hour: 0, minute: 0 }, timeZone);
}

/** Midnight of the zone's next day after the day starting at `dayStart` (23 or 25 hours at DST changes). */
export function nextDay(dayStart: number, timeZone: string): number {
  const w = wallClock(dayStart + 36 * 3_600_000, timeZone);
  return fromWallClock({ year: w.year, month: w.month, day: w.day, hour: 0, minute: 0 }, timeZone);
}

/** The reader's own zone (the browser's), UTC when it cannot tell. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * A time that belongs to no facility (accounts, keys, webhooks) in the reader's own zone, in
 * the same format as facility times and with the zone's name: "Dec 3, 2026, 6:40 PM CET";
 * a dash for none.
 */
export function formatLocalTime(t: number | string | Date | null | undefined): string {
  if (t === null || t === undefined || t === '') return '—';
  if (Number.isNaN(toMs(t))) return String(t);
  return formatDateTime(t, localTimeZone());
}

/** Only the time of day with its zone, "6:40 PM CET", in the reader's zone (e.g. "last updated"). */
export function formatLocalClock(t: number | string | Date): string {
  const zone = localTimeZone();
  return formatter(zone, { timeStyle: 'short' }).format(toMs(t)) + ` ${zoneAbbreviation(toMs(t), zone)}`;
}
