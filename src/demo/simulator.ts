/**
 * Feeds live demo readings through the real ingest API, as field devices would: one batch per
 * controller per interval, authenticated by the controller's ingest key. Values and alarm
 * edges come from the same pure signals as the seeded history, so live data continues it.
 */
import type { IngestPayload } from '../domain/ingest.js';
import { formatIsoSeconds, systemClock, type Clock } from '../domain/time.js';
import { catalogController, signalFor } from './catalog.js';
import type { DemoController } from './seed.js';
import { alarmEdges, episodeAt, HOUR_MS, valueAt, type AlarmEdge, type AlarmSpec } from './signals.js';

export interface SimulatorOptions {
  baseUrl: string;
  controllers: DemoController[];
  intervalMs: number;
  clock?: Clock;
  /** Notices worth a line of their own: a channel the server does not store (once per channel). */
  log?: (message: string) => void;
  /** Each failed batch as it happens; the summaries count them. */
  onError?: (error: unknown) => void;
  /** What happened since the previous summary; default: one `log` line (describeSummary). */
  onSummary?: (summary: SimulatorSummary) => void;
  /** How often a summary is given, besides one after the first round and one at stop; default a minute. */
  summaryEveryMs?: number;
}

export interface Simulator {
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/** The simulator's work over a stretch of time: what a person watching the log wants, not a line per request. */
export interface SimulatorSummary {
  /** Wall-clock time the summary covers. */
  periodMs: number;
  /** Rounds run: one batch per controller each. */
  rounds: number;
  batchesSent: number;
  batchesFailed: number;
  readingsStored: number;
  alarmsRaised: number;
  alarmsCleared: number;
  /** The message of the last failed batch, when one failed. */
  lastFailure: string | null;
}

export const DEFAULT_SUMMARY_EVERY_MS = 60_000;
/** A batch that takes longer than this is given up and reported; the next tick tries again. */
const REQUEST_TIMEOUT_MS = 15_000;
/** How far back the first batch looks for the last clear of an alarm, to date it right after a pause. */
const FIRST_TICK_LOOKBACK_MS = 48 * HOUR_MS;

type AlarmPayload = NonNullable<IngestPayload['alarms']>[number];

type BatchResult = { stored: number; raised: number; cleared: number } | { failure: string };

/** One line for a summary, e.g. `simulator, last 60 s: 54 batches sent, 0 failed; 486 readings stored; alarms 1 raised, 0 cleared`. */
export function describeSummary(summary: SimulatorSummary): string {
  const failed = summary.lastFailure === null ? `${summary.batchesFailed} failed` : `${summary.batchesFailed} failed (last: ${summary.lastFailure})`;
  return (
    `simulator, last ${Math.round(summary.periodMs / 1000)} s: ${summary.batchesSent} batches sent, ${failed}; ` +
    `${summary.readingsStored} readings stored; alarms ${summary.alarmsRaised} raised, ${summary.alarmsCleared} cleared`
  );
}

function emptySummary(): SimulatorSummary {
  return { periodMs: 0, rounds: 0, batchesSent: 0, batchesFailed: 0, readingsStored: 0, alarmsRaised: 0, alarmsCleared: 0, lastFailure: null };
}

export function startSimulator(options: SimulatorOptions): Simulator {
  if (!Number.isFinite(options.intervalMs) || options.intervalMs <= 0) throw new Error(`The simulator interval must be a positive number of milliseconds, not ${options.intervalMs}.`);
  const summaryEveryMs = options.summaryEveryMs ?? DEFAULT_SUMMARY_EVERY_MS;
  if (!Number.isFinite(summaryEveryMs) || summaryEveryMs <= 0) throw new Error(`The simulator summary period must be a positive number of milliseconds, not ${summaryEveryMs}.`);
  const clock = options.clock ?? systemClock;
  const log = options.log ?? (() => undefined);
  const summarise = options.onSummary ?? ((summary: SimulatorSummary) => log(describeSummary(summary)));
  const report = (error: unknown): void => {
    try {
      options.onError?.(error);
    } catch {
      // A failing error reporter must not stop the feed either.
    }
  };
  const url = `${options.baseUrl.replace(/\/+$/, '')}/ingest/v1/readings`;
  // Per controller: the instant up to which its alarm edges have been delivered.
  const delivered = new Map<string, number>();
  const reportedNotStored = new Set<string>();
  let period = emptySummary();
  let periodStarted = performance.now();
  let firstRoundReported = false;

  function giveSummary(): void {
    if (period.rounds === 0) return;
    const now = performance.now();
    const summary = { ...period, periodMs: now - periodStarted };
    period = emptySummary();
    periodStarted = now;
    try {
      summarise(summary);
    } catch {
      // Nor a failing summary reporter.
    }
  }

  async function sendBatch(controller: DemoController, now: number): Promise<BatchResult> {
    const payload: IngestPayload = {
      readings: controller.channels.map((c) => ({ channel: c.number, time: formatIsoSeconds(now), value: valueOf(controller, c, now) })),
      alarms: alarmEvents(controller, delivered.get(controller.serialNumber), now),
    };
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${controller.ingestKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`ingest for controller ${controller.serialNumber} answered ${response.status}: ${text.slice(0, 500)}`);
      delivered.set(controller.serialNumber, now);
      return batchResult(controller, text);
    } catch (error) {
      // Alarm edges stay undelivered, so the next batch carries them again.
      report(error);
      return { failure: failureMessage(error) };
    }
  }

  function batchResult(controller: DemoController, text: string): BatchResult {
    const body = parseReport(text);
    for (const item of body.notStored) {
      const key = `${controller.serialNumber}/${item.channel}`;
      if (reportedNotStored.has(key)) continue;
      reportedNotStored.add(key);
      log(`simulator: controller ${controller.serialNumber} channel ${item.channel} not stored: ${item.reason}`);
    }
    return { stored: body.stored, raised: body.raised, cleared: body.cleared };
  }

  async function runTick(): Promise<void> {
    const now = Math.floor(clock.now() / 1000) * 1000;
    const results = await Promise.all(options.controllers.map((c) => sendBatch(c, now)));
    period.rounds += 1;
    for (const result of results) {
      if ('failure' in result) {
        period.batchesFailed += 1;
        period.lastFailure = result.failure;
        continue;
      }
      period.batchesSent += 1;
      period.readingsStored += result.stored;
      period.alarmsRaised += result.raised;
      period.alarmsCleared += result.cleared;
    }
    // The first round is told at once: whoever just started the demo learns that the feed works (or why not).
    if (!firstRoundReported) {
      firstRoundReported = true;
      giveSummary();
    }
  }

  // Ticks run one after another: a manual tick during a scheduled one waits for it.
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  let stopped = false;
  const tick = (): Promise<void> => {
    pending += 1;
    const run = chain.then(runTick).catch(report).finally(() => {
      pending -= 1;
    });
    chain = run;
    return run;
  };

  const timer = setInterval(() => {
    // A slow server must not pile up batches: skip the beat instead.
    if (!stopped && pending === 0) void tick();
  }, options.intervalMs);
  const summaryTimer = setInterval(giveSummary, summaryEveryMs);

  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearInterval(summaryTimer);
      await chain;
      giveSummary();
    },
  };
}

/** The reason in a few words: fetch reports an unreachable server as "fetch failed" with the cause beneath. */
function failureMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

function valueOf(controller: DemoController, channel: { number: string; type: string }, t: number): number {
  return valueAt(signalFor(controller.serialNumber, channel.number, channel.type), t);
}

/**
 * Alarm events for a batch at `now`. After the first batch: the edges since the last delivered
 * batch. The first batch knows nothing of what the server holds (a fresh seeding, or a
 * restart days later), so it states each alarm's current condition: a raise dated at the
 * episode's start if one is in progress, otherwise a clear dated at the last episode's end.
 * The store ignores a raise of an active alarm and a clear of an inactive one.
 */
export function alarmEvents(controller: DemoController, deliveredUntil: number | undefined, now: number): AlarmPayload[] {
  const specs = catalogController(controller.serialNumber)?.alarms ?? [];
  const known = new Set(controller.channels.map((c) => c.number));
  return specs
    .filter((spec) => spec.channel === undefined || known.has(spec.channel))
    .flatMap((spec) => edgesFor(spec, deliveredUntil, now).map((edge) => toPayload(spec, edge)))
    .sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
}

function edgesFor(spec: AlarmSpec, deliveredUntil: number | undefined, now: number): AlarmEdge[] {
  if (deliveredUntil !== undefined) return alarmEdges(spec.schedule, deliveredUntil, now);
  const current = episodeAt(spec.schedule, now);
  if (current) return [{ action: 'raise', time: current.start }];
  const lastClear = alarmEdges(spec.schedule, now - FIRST_TICK_LOOKBACK_MS, now).filter((e) => e.action === 'clear').at(-1);
  return [{ action: 'clear', time: lastClear?.time ?? now }];
}

function toPayload(spec: AlarmSpec, edge: AlarmEdge): AlarmPayload {
  return {
    event: edge.action,
    code: spec.code,
    ...(spec.channel === undefined ? {} : { channel: spec.channel }),
    type: spec.type,
    severity: spec.severity,
    message: spec.message,
    time: formatIsoSeconds(edge.time),
  };
}

interface ParsedReport {
  stored: number;
  raised: number;
  cleared: number;
  notStored: { channel: string; reason: string }[];
}

/** The parts of the ingest answer the simulator reports; tolerant, since it only feeds a log line. */
function parseReport(text: string): ParsedReport {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const alarms = typeof record.alarms === 'object' && record.alarms !== null ? (record.alarms as Record<string, unknown>) : {};
  const count = (value: unknown) => (typeof value === 'number' ? value : 0);
  const notStored = Array.isArray(record.not_stored)
    ? record.not_stored.flatMap((item: unknown) =>
        typeof item === 'object' && item !== null && 'channel' in item && 'reason' in item ? [{ channel: String(item.channel), reason: String(item.reason) }] : [],
      )
    : [];
  return { stored: count(record.stored), raised: count(alarms.raised), cleared: count(alarms.cleared), notStored };
}
