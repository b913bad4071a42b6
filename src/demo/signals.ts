/**
 * The demo's measurements as pure functions of time. Every value, excursion and alarm edge
 * is computed from the channel's description and the instant alone (noise comes from a hash
 * of a seed string and the time, not from a random generator), so the seeded history and the
 * live simulator agree at every instant and a restarted simulator carries on where it left.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** A span of time [start, end), epoch ms. */
export interface Window {
  start: number;
  end: number;
}

/**
 * When something abnormal happens. `random`: the timeline is cut into blocks and a block
 * holds at most one episode, with a chance per block, so whether an instant is inside one is
 * answered by looking at a single block. `periodic`: a fixed rhythm (calibration reminders).
 */
export type Schedule =
  | { kind: 'random'; seed: string; chance: number; blockHours: number; minMinutes: number; maxMinutes: number }
  | { kind: 'periodic'; periodHours: number; durationHours: number; offsetHours: number };

/** A level a channel is driven to while an episode of its schedule lasts (a stuck bleed valve, an acid overfeed). */
export interface Excursion {
  schedule: Schedule;
  level: number;
  spread: number;
}

/** A measured quantity: a daily cycle around a base, slow wander, per-sample noise, clamped to its normal range. */
export interface AnalogSignal {
  kind: 'analog';
  seed: string;
  /** The facility's standard offset from UTC, so the daily cycle peaks at local hours. */
  utcOffsetHours: number;
  base: number;
  daily: { amplitude: number; peakHour: number };
  /** Amplitude of the wander over hours. */
  drift: number;
  /** Amplitude of the sample-to-sample noise. */
  jitter: number;
  min: number;
  max: number;
  decimals: number;
  excursion?: Excursion;
  /** Spans during which the quantity is exactly zero (a well shut in, a pump off). */
  outage?: Schedule;
  /** A rise after each daily chemical feed, decaying away (ORP after a biocide slug). */
  feedResponse?: { feed: DailyFeed; amount: number; decayHours: number };
}

export interface DailyFeed {
  utcOffsetHours: number;
  startHour: number;
  minutes: number;
}

/** An on/off output switched by a measured value: a bleed valve opening above its set point. */
export interface SwitchSignal {
  kind: 'switch';
  source: AnalogSignal;
  onAbove: number;
}

/** A pump run as percent on-time, proportional to a measured value between two points. */
export interface ProportionalSignal {
  kind: 'proportional';
  source: AnalogSignal;
  zeroAt: number;
  fullAt: number;
}

/** An output on for a fixed daily slot: a biocide slug feed. */
export interface ScheduleSignal {
  kind: 'daily-feed';
  feed: DailyFeed;
}

export type Signal = AnalogSignal | SwitchSignal | ProportionalSignal | ScheduleSignal;

/** An alarm the controller raises while an episode of its schedule lasts. */
export interface AlarmSpec {
  code: number;
  message: string;
  type: string;
  severity: 'info' | 'warning' | 'critical';
  /** The channel number it concerns, if any. */
  channel?: string;
  schedule: Schedule;
}

export interface AlarmEdge {
  action: 'raise' | 'clear';
  time: number;
}

// --- hashing ------------------------------------------------------------------------------

const seedCache = new Map<string, number>();

/** FNV-1a of the seed text, cached: the seeder asks for the same few dozen seeds 300,000 times. */
export function seedOf(text: string): number {
  let hash = seedCache.get(text);
  if (hash !== undefined) return hash;
  hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash >>>= 0;
  seedCache.set(text, hash);
  return hash;
}

/** A uniform number in [0, 1) determined by (seed, index): murmur3's finaliser over both. */
export function unitHash(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index | 0, 0x9e3779b1) ^ Math.imul(Math.floor(index / 0x100000000), 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x100000000;
}

/** Noise in [-1, 1] that moves smoothly over `periodMs`, so values wander instead of jumping. */
function smoothNoise(seed: number, t: number, periodMs: number): number {
  const k = Math.floor(t / periodMs);
  const f = t / periodMs - k;
  const eased = f * f * (3 - 2 * f);
  const a = unitHash(seed, k) * 2 - 1;
  const b = unitHash(seed, k + 1) * 2 - 1;
  return a + (b - a) * eased;
}

/** Noise in [-1, 1] per whole second: a reading resent for the same second has the same value. */
function sampleNoise(seed: number, t: number): number {
  return unitHash(seed, Math.floor(t / 1000)) * 2 - 1;
}

// --- schedules ----------------------------------------------------------------------------

function randomEpisodeInBlock(schedule: Extract<Schedule, { kind: 'random' }>, block: number): Window | null {
  const seed = seedOf(schedule.seed);
  if (unitHash(seed, block * 3) >= schedule.chance) return null;
  const blockMs = schedule.blockHours * HOUR_MS;
  const minutes = schedule.minMinutes + Math.floor(unitHash(seed, block * 3 + 1) * (schedule.maxMinutes - schedule.minMinutes + 1));
  const latestStartMinute = Math.max(0, Math.floor((blockMs - minutes * MINUTE_MS) / MINUTE_MS));
  const startMinute = Math.floor(unitHash(seed, block * 3 + 2) * (latestStartMinute + 1));
  const start = block * blockMs + startMinute * MINUTE_MS;
  return { start, end: start + minutes * MINUTE_MS };
}

function periodicEpisode(schedule: Extract<Schedule, { kind: 'periodic' }>, cycle: number): Window {
  const start = cycle * schedule.periodHours * HOUR_MS + schedule.offsetHours * HOUR_MS;
  return { start, end: start + schedule.durationHours * HOUR_MS };
}

function cycleOf(schedule: Extract<Schedule, { kind: 'periodic' }>, t: number): number {
  return Math.floor((t - schedule.offsetHours * HOUR_MS) / (schedule.periodHours * HOUR_MS));
}

/** The episode of `schedule` in progress at `t`, if any. */
export function episodeAt(schedule: Schedule, t: number): Window | null {
  if (schedule.kind === 'random') {
    const episode = randomEpisodeInBlock(schedule, Math.floor(t / (schedule.blockHours * HOUR_MS)));
    return episode && episode.start <= t && t < episode.end ? episode : null;
  }
  const episode = periodicEpisode(schedule, cycleOf(schedule, t));
  return t < episode.end ? episode : null;
}

/** Every episode overlapping [from, to], in time order. */
export function episodesBetween(schedule: Schedule, from: number, to: number): Window[] {
  const episodes: Window[] = [];
  if (schedule.kind === 'random') {
    const blockMs = schedule.blockHours * HOUR_MS;
    for (let block = Math.floor(from / blockMs); block <= Math.floor(to / blockMs); block++) {
      const episode = randomEpisodeInBlock(schedule, block);
      if (episode && episode.end > from && episode.start <= to) episodes.push(episode);
    }
    return episodes;
  }
  for (let cycle = cycleOf(schedule, from); cycle <= cycleOf(schedule, to); cycle++) {
    const episode = periodicEpisode(schedule, cycle);
    if (episode.end > from && episode.start <= to) episodes.push(episode);
  }
  return episodes;
}

/**
 * Raise and clear edges of an alarm with times in (from, to], in order. With
 * `includeOngoing`, an episode already in progress at `from` is raised too (at its real
 * start), so a history that begins mid-episode still holds the alarm.
 */
export function alarmEdges(schedule: Schedule, from: number, to: number, includeOngoing = false): AlarmEdge[] {
  const edges: AlarmEdge[] = [];
  for (const episode of episodesBetween(schedule, from, to)) {
    if (episode.start > from || (includeOngoing && episode.start <= from && episode.end > from)) {
      edges.push({ action: 'raise', time: episode.start });
    }
    if (episode.end > from && episode.end <= to) edges.push({ action: 'clear', time: episode.end });
  }
  return edges;
}

// --- values -------------------------------------------------------------------------------

function localHour(utcOffsetHours: number, t: number): number {
  const hours = t / HOUR_MS + utcOffsetHours;
  return ((hours % 24) + 24) % 24;
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

export function feedActiveAt(feed: DailyFeed, t: number): boolean {
  const minutesIntoFeed = (localHour(feed.utcOffsetHours, t) - feed.startHour) * 60;
  const wrapped = ((minutesIntoFeed % 1440) + 1440) % 1440;
  return wrapped < feed.minutes;
}

function hoursSinceFeedStart(feed: DailyFeed, t: number): number {
  return (((localHour(feed.utcOffsetHours, t) - feed.startHour) % 24) + 24) % 24;
}

/** The value without excursions or outages: what a healthy system shows. */
export function normalValue(signal: AnalogSignal, t: number): number {
  const seed = seedOf(signal.seed);
  const cycle = Math.cos((2 * Math.PI * (localHour(signal.utcOffsetHours, t) - signal.daily.peakHour)) / 24);
  // Two octaves of wander: over a few hours and within the hour.
  const wander = 0.7 * smoothNoise(seed, t, 3 * HOUR_MS) + 0.3 * smoothNoise(seed ^ 0x5bd1e995, t, 25 * MINUTE_MS);
  let value = signal.base + signal.daily.amplitude * cycle + signal.drift * wander + signal.jitter * sampleNoise(seed ^ 0x27d4eb2f, t);
  if (signal.feedResponse) {
    const { feed, amount, decayHours } = signal.feedResponse;
    value += amount * Math.exp(-hoursSinceFeedStart(feed, t) / decayHours);
  }
  return clamp(value, signal.min, signal.max);
}

function analogValue(signal: AnalogSignal, t: number): number {
  if (signal.outage && episodeAt(signal.outage, t)) return 0;
  const excursion = signal.excursion && episodeAt(signal.excursion.schedule, t) ? signal.excursion : null;
  if (excursion) {
    const wobble = smoothNoise(seedOf(signal.seed) ^ 0x165667b1, t, 10 * MINUTE_MS);
    return round(excursion.level + excursion.spread * wobble, signal.decimals);
  }
  return round(normalValue(signal, t), signal.decimals);
}

/** The value a channel reads at `t` (epoch ms). */
export function valueAt(signal: Signal, t: number): number {
  switch (signal.kind) {
    case 'analog':
      return analogValue(signal, t);
    case 'switch':
      return analogValue(signal.source, t) > signal.onAbove ? 1 : 0;
    case 'proportional': {
      const fraction = (analogValue(signal.source, t) - signal.zeroAt) / (signal.fullAt - signal.zeroAt);
      return round(clamp(fraction, 0, 1) * 100, 1);
    }
    case 'daily-feed':
      return feedActiveAt(signal.feed, t) ? 1 : 0;
  }
}

/** Whether the channel is in an abnormal episode (an excursion) at `t`. */
export function excursionAt(signal: Signal, t: number): Window | null {
  if (signal.kind !== 'analog' || !signal.excursion) return null;
  return episodeAt(signal.excursion.schedule, t);
}
