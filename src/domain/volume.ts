/**
 * Flow volume semantics (SPEC, FlowCommand face): a sensor's flowrate is in barrels per day
 * and is linear between consecutive pings (trapezoid rule); volume is its integral over time
 * in days. Nothing is counted before the first ping or after the last one. Ranges are
 * half-open, [from, to), and cut trapezoids by linear interpolation.
 */

export interface Ping {
  time: number;
  rate: number;
}

export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;

export const floorHour = (t: number): number => Math.floor(t / MS_PER_HOUR) * MS_PER_HOUR;
export const ceilHour = (t: number): number => Math.ceil(t / MS_PER_HOUR) * MS_PER_HOUR;

function rateAt(a: Ping, b: Ping, t: number): number {
  if (t <= a.time) return a.rate;
  if (t >= b.time) return b.rate;
  return a.rate + ((b.rate - a.rate) * (t - a.time)) / (b.time - a.time);
}

/** Volume of one segment between consecutive pings a and b, clipped to [from, to). */
export function segmentVolume(a: Ping, b: Ping, from: number, to: number): number {
  const lo = Math.max(a.time, from);
  const hi = Math.min(b.time, to);
  if (hi <= lo) return 0;
  return ((rateAt(a, b, lo) + rateAt(a, b, hi)) / 2) * ((hi - lo) / MS_PER_DAY);
}

/** Volume through `pings` (sorted by time, distinct times) over [from, to). */
export function integrate(pings: readonly Ping[], from: number, to: number): number {
  let volume = 0;
  for (let i = 1; i < pings.length; i++) {
    const a = pings[i - 1]!;
    const b = pings[i]!;
    if (b.time <= from) continue;
    if (a.time >= to) break;
    volume += segmentVolume(a, b, from, to);
  }
  return volume;
}

/**
 * Volume per UTC hour for every hour starting in [fromHour, toHour), from pings sorted by
 * time. To be exact for an hour, `pings` must hold every ping inside it plus the nearest
 * ping on each side of it.
 */
export function hourlyVolumes(pings: readonly Ping[], fromHour: number, toHour: number): Map<number, number> {
  const hours = new Map<number, number>();
  for (let h = fromHour; h < toHour; h += MS_PER_HOUR) hours.set(h, 0);
  for (let i = 1; i < pings.length; i++) {
    const a = pings[i - 1]!;
    const b = pings[i]!;
    const start = Math.max(a.time, fromHour);
    const end = Math.min(b.time, toHour);
    if (end <= start) continue;
    for (let h = floorHour(start); h < end; h += MS_PER_HOUR) {
      hours.set(h, (hours.get(h) ?? 0) + segmentVolume(a, b, h, h + MS_PER_HOUR));
    }
  }
  return hours;
}

/** Merges two sorted ping lists; on equal times the existing ping wins (first write wins at ingest). */
export function mergePings(existing: readonly Ping[], incoming: readonly Ping[]): Ping[] {
  const out: Ping[] = [];
  let i = 0;
  let j = 0;
  while (i < existing.length || j < incoming.length) {
    const e = existing[i];
    const n = incoming[j];
    if (n === undefined || (e !== undefined && e.time <= n.time)) {
      out.push(e!);
      i++;
      if (n !== undefined && n.time === e!.time) j++;
    } else {
      out.push(n);
      j++;
    }
  }
  return out;
}
