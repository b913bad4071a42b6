import { ERRORS } from '../errors.js';
import type { IngestAlarmEvent, IngestOutcome, IngestReading, Store } from '../store/store.js';
import { PLATFORM_SCOPE } from './scope.js';
import { digestSecret } from './secrets.js';
import { SERVER_ALARM_TYPE } from './server-alarms.js';
import { parseIsoTime, type Clock } from './time.js';
import type { AlarmSeverity, Channel, Controller } from './types.js';

export const MAX_BATCH_READINGS = 10_000;
export const MAX_BATCH_ALARMS = 1_000;
/** Device clocks drift; a reading further ahead than this is a broken clock, not data. */
export const MAX_CLOCK_AHEAD_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_ALARM_TYPE = 'controller-alarm';

export interface IngestPayload {
  readings?: { channel: string; time: string; value: number }[];
  alarms?: {
    event: 'raise' | 'clear';
    code: number;
    channel?: string;
    type?: string;
    severity?: AlarmSeverity;
    message?: string;
    time: string;
  }[];
}

export interface NotStored {
  index: number;
  channel: string;
  reason: string;
}

export interface IngestReport {
  controller: Controller;
  received: number;
  notStored: NotStored[];
  outcome: IngestOutcome;
}

interface Problem {
  path: string;
  message: string;
}

/** Device authentication by ingest key: an unknown key is a 401, whatever the body holds. */
export async function controllerForIngestKey(store: Store, key: string, now: number): Promise<Controller> {
  const controller = await store.findControllerByIngestKeyHash(digestSecret(key), now);
  if (!controller) throw ERRORS.invalidIngestKey();
  return controller;
}

/**
 * Validates a whole batch before anything is written (a bad time or an unknown channel
 * rejects the batch), sets aside readings of channels that have no process (reported back,
 * not stored), and writes the rest in one store transaction.
 */
export async function ingestBatch(store: Store, controller: Controller, payload: IngestPayload, clock: Clock): Promise<IngestReport> {
  const now = clock.now();
  const channels = new Map<string, Channel>();
  for (const channel of await store.listChannels(PLATFORM_SCOPE, { controllerId: controller.id })) channels.set(channel.number, channel);

  /** Bad times, and any other value a device may not send (a reserved alarm type). */
  const badValues: Problem[] = [];
  const unknownChannels: Problem[] = [];
  const timeOf = (text: string, path: string): number => {
    const time = parseIsoTime(text);
    if (time === null) badValues.push({ path, message: `"${text}" is not an ISO 8601 date-time` });
    else if (time > now + MAX_CLOCK_AHEAD_MS) badValues.push({ path, message: `"${text}" is more than a day in the future` });
    // Hour and day buckets are computed by integer division in the database too; keep times where it floors.
    else if (time < 0) badValues.push({ path, message: `"${text}" is before 1970` });
    return time ?? 0;
  };
  const channelOf = (number: string, path: string): Channel | undefined => {
    const channel = channels.get(number);
    if (!channel) unknownChannels.push({ path, message: `controller ${controller.serialNumber} has no channel "${number}"` });
    return channel;
  };

  const readings: IngestReading[] = [];
  const notStored: NotStored[] = [];
  (payload.readings ?? []).forEach((r, index) => {
    const time = timeOf(r.time, `/readings/${index}/time`);
    const channel = channelOf(r.channel, `/readings/${index}/channel`);
    if (!channel) return;
    if (channel.processId === null) {
      notStored.push({ index, channel: r.channel, reason: `Channel ${r.channel} is not assigned to a process; Flowline stores data only for channels that belong to a process.` });
      return;
    }
    readings.push({ channelId: channel.id, time, value: r.value });
  });

  (payload.alarms ?? []).forEach((a, index) => {
    if (a.type === SERVER_ALARM_TYPE) badValues.push({ path: `/alarms/${index}/type`, message: `"${SERVER_ALARM_TYPE}" is reserved for alarms the server raises itself` });
  });
  const alarms: IngestAlarmEvent[] = (payload.alarms ?? []).map((a, index) => ({
    action: a.event,
    channelId: a.channel === undefined ? null : (channelOf(a.channel, `/alarms/${index}/channel`)?.id ?? null),
    code: a.code,
    type: a.type ?? DEFAULT_ALARM_TYPE,
    severity: a.severity ?? 'warning',
    message: a.message ?? `Alarm ${a.code}`,
    time: timeOf(a.time, `/alarms/${index}/time`),
  }));

  if (badValues.length > 0) throw ERRORS.invalidRequest(summarise('bad value', badValues), badValues.slice(0, 100));
  if (unknownChannels.length > 0) throw ERRORS.unprocessable(summarise('unknown channel', unknownChannels), unknownChannels.slice(0, 100));

  const outcome = await store.ingest(controller.id, { readings, alarms }, now);
  return { controller, received: (payload.readings ?? []).length, notStored, outcome };
}

function summarise(what: string, problems: Problem[]): string {
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more ${what}${problems.length > 2 ? 's' : ''})` : '';
  return `Nothing was stored: ${first.path}: ${first.message}${more}.`;
}
