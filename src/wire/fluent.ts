import { formatIsoMillis } from '../domain/time.js';
import type { Alarm, Channel } from '../domain/types.js';

/**
 * Fluent's reading and alarm objects, as `controller/current-readings` and
 * `controller/active-alarms` answer them and as subscriptions push them.
 */

const units = (unit: string | null) => (unit === null || unit === '' ? {} : { units: unit });

export interface FluentReading {
  'channel-name': string;
  'channel-number': string;
  'channel-type': string;
  subchannel?: { type: string; value: number; units?: string; time: string }[];
}

/** A channel's value; without one (a relay that never reported) there is no `subchannel`. */
export function fluentReading(channel: Channel, value: number | null, time: number | null): FluentReading {
  return {
    'channel-name': channel.name,
    'channel-number': channel.number,
    'channel-type': channel.type,
    ...(value === null || time === null
      ? {}
      : { subchannel: [{ type: channel.kind === 'input' ? 'value' : 'state', value, ...units(channel.unit), time: formatIsoMillis(time) }] }),
  };
}

export interface FluentAlarm {
  'alarm-type': string;
  'alarm-id': number;
  'alarm-text': string;
  'channel-name': string;
  'channel-number': string;
  'alarm-severity': string;
  'raised-at': string;
  'cleared-at'?: string;
}

/** An alarm of the whole controller has `""` as its channel name and number. */
export function fluentAlarm(alarm: Alarm, channel: Channel | undefined): FluentAlarm {
  return {
    'alarm-type': alarm.type,
    'alarm-id': alarm.code,
    'alarm-text': alarm.message,
    'channel-name': channel?.name ?? '',
    'channel-number': channel?.number ?? '',
    'alarm-severity': alarm.severity,
    'raised-at': formatIsoMillis(alarm.raisedAt),
    ...(alarm.clearedAt === null ? {} : { 'cleared-at': formatIsoMillis(alarm.clearedAt) }),
  };
}

export function fluentChannelInfo(channel: Channel) {
  return {
    'channel-name': channel.name,
    'channel-number': channel.number,
    'channel-type': channel.type,
    'channel-kind': channel.kind,
    ...units(channel.unit),
    'process-id': channel.processId!,
  };
}
