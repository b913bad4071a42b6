import { formatDateTime } from '../../lib/time';

/** The ranges the controller page offers, kept in the URL as `?range=` (or `custom&from=&to=`). */
export const RANGES = {
  '24h': { seconds: 86_400, label: 'Past 24 hours', short: '24 hours' },
  '7d': { seconds: 7 * 86_400, label: 'Past 7 days', short: '7 days' },
  '30d': { seconds: 30 * 86_400, label: 'Past 30 days', short: '30 days' },
  '1y': { seconds: 365 * 86_400, label: 'Past 12 months', short: '12 months' },
} as const;
export type RelativeRange = keyof typeof RANGES;
export const DEFAULT_RANGE: RelativeRange = '24h';

export type RangeChoice = { kind: RelativeRange } | { kind: 'custom'; from: number; to: number };

const isRelative = (s: string | null): s is RelativeRange => s !== null && Object.hasOwn(RANGES, s);

/** Reads the range from the URL; anything unreadable falls back to the last 24 hours. */
export function rangeFromParams(params: URLSearchParams): RangeChoice {
  const range = params.get('range');
  if (range === 'custom') {
    const from = Date.parse(params.get('from') ?? '');
    const to = Date.parse(params.get('to') ?? '');
    if (Number.isFinite(from) && Number.isFinite(to) && from < to) return { kind: 'custom', from: Math.floor(from / 1000), to: Math.ceil(to / 1000) };
  }
  return { kind: isRelative(range) ? range : DEFAULT_RANGE };
}

export function rangeToParams(choice: RangeChoice): Record<string, string> {
  if (choice.kind !== 'custom') return { range: choice.kind };
  return { range: 'custom', from: new Date(choice.from * 1000).toISOString(), to: new Date(choice.to * 1000).toISOString() };
}

/** The range in epoch seconds; relative ranges end at `now` (rounded up to the minute so keys stay stable within a minute). */
export function resolveRange(choice: RangeChoice, nowMs: number): { from: number; to: number } {
  if (choice.kind === 'custom') return { from: choice.from, to: choice.to };
  const to = Math.ceil(nowMs / 60_000) * 60;
  return { from: to - RANGES[choice.kind].seconds, to };
}

/** Words for a range, for headings and accessible names. */
export function describeRange(choice: RangeChoice | { kind: 'zoom'; from: number; to: number }, timeZone: string): string {
  if (choice.kind === 'custom' || choice.kind === 'zoom') return `${formatDateTime(choice.from * 1000, timeZone)} to ${formatDateTime(choice.to * 1000, timeZone)}`;
  return RANGES[choice.kind].label.toLowerCase();
}

/** Ids the server would refuse are not worth asking about: the page says "Not found" at once. */
export function parseId(text: string | undefined): number | null {
  if (!text || !/^\d{1,15}$/.test(text)) return null;
  const id = Number(text);
  return id >= 1 ? id : null;
}
