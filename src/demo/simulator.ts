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
  log?: (message: string) => void;
  onError?: (error: unknown) => void;
}

export interface Simulator {
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/** A batch that takes longer than this is given up and reported; the next tick tries again. */
const REQUEST_TIMEOUT_MS = 15_000;
/** How far back the first batch looks for the last clear of an alarm, to date it right after a pause. */
const FIRST_TICK_LOOKBACK_MS = 48 * HOUR_MS;

type AlarmPayload = NonNullable<IngestPayload['alarms']>[number];

interface BatchResult {
  stored: number;
  raised: number;
  cleared: number;
}

export function startSimulator(options: SimulatorOptions): Simulator {
  if (!Number.isFinite(options.intervalMs) || options.intervalMs <= 0) throw new Error(`The simulator interval must be a positive number of milliseconds, not ${options.intervalMs}.`);
  const clock = options.clock ?? systemClock;
  const log = options.log ?? (() => undefined);
  const report = (error: unknown): void => {
    try {
      (options.onError ?? ((e: unknown) => log(`simulator error: ${String(e)}`)))(error);
    } catch {
      // A failing error reporter must not stop the feed either.
    }
  };
  const url = `${options.baseUrl.replace(/\/+$/, '')}/ingest/v1/readings`;
  // Per controller: the instant up to which its alarm edges have been delivered.
  const delivered = new Map<string, number>();
  const reportedNotStored = new Set<string>();

  async function sendBatch(controller: DemoController, now: number): Promise<BatchResult | null> {
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
      return summarise(controller, text);
    } catch (error) {
      // Alarm edges stay undelivered, so the next batch carries them again.
      report(error);
      return null;
    }
  }

  function summarise(controller: DemoController, text: string): BatchResult {
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
    const ok = results.filter((r): r is BatchResult => r !== null);
    const sum = (pick: (r: BatchResult) => number) => ok.reduce((total, r) => total + pick(r), 0);
    log(
      `simulator ${formatIsoSeconds(now)}: ${ok.length}/${results.length} controllers, ${sum((r) => r.stored)} readings stored, ` +
        `${sum((r) => r.raised)} alarms raised, ${sum((r) => r.cleared)} cleared`,
    );
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

  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await chain;
    },
  };
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
