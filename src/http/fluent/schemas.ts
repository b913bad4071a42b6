import { Type } from 'typebox';
import { IsoTimeInputSchema, Nullable } from '../schemas/common.js';

/**
 * The Fluent face's wire format: kebab-case keys. The three observed answers
 * (`controller-list`, `current-readings`, `active-alarms`) match what real Fluent clients
 * parse (the public Fluent integration scripts); every other shape follows their style.
 */

export const FluentErrorSchema = Type.Object({ error: Type.String({ description: 'What went wrong. Clients test for this key.' }) });

export const fluentErrors = {
  400: FluentErrorSchema,
  401: FluentErrorSchema,
  404: FluentErrorSchema,
  429: FluentErrorSchema,
} as const;

const Time = Type.String({ format: 'date-time', description: 'UTC, ISO 8601 with milliseconds and `Z`' });

export const SerialParamsSchema = Type.Object({
  // No maxLength: a serial too long to exist is a 404 like any unknown one (the router bounds it at 200).
  serial: Type.String({ minLength: 1, description: 'The controller serial number, e.g. `1903291361`' }),
});

export const ControllerListSchema = Type.Object({
  'controller-list': Type.Array(Type.String(), { description: 'Serial numbers of the controllers you can see' }),
});

const SubchannelSchema = Type.Object({
  type: Type.String({ description: '`value` for an input, `state` for an output' }),
  value: Type.Number(),
  units: Type.Optional(Type.String({ description: 'Absent when the channel has no unit' })),
  time: Type.Optional(Time),
});

export const CurrentReadingSchema = Type.Object({
  'channel-name': Type.String(),
  'channel-number': Type.String({ description: 'Inputs `S…`, relay outputs `R1…`' }),
  'channel-type': Type.String({ description: 'What the channel measures or drives: conductivity, ph, orp, temperature, flowrate, relay…' }),
  subchannel: Type.Optional(Type.Array(SubchannelSchema, { description: 'Absent while the channel has no value (e.g. a relay never reported)' })),
});

export const CurrentReadingsSchema = Type.Object({
  'serial-number': Type.String(),
  readings: Type.Array(CurrentReadingSchema),
});

export const AlarmInfoSchema = Type.Object({
  'alarm-type': Type.String({ description: '`fluent-alarm` for alarms the server raises itself (no data received); otherwise the controller\'s alarm type' }),
  'alarm-id': Type.Integer({ description: 'Integer alarm code' }),
  'alarm-text': Type.String(),
  'channel-name': Type.String({ description: 'Empty for an alarm of the whole controller' }),
  'channel-number': Type.String({ description: 'Empty for an alarm of the whole controller' }),
  'alarm-severity': Type.String({ enum: ['info', 'warning', 'critical'] }),
  'raised-at': Time,
  'cleared-at': Type.Optional(Time),
});

export const ActiveAlarmsSchema = Type.Object({ 'alarm-info': Type.Array(AlarmInfoSchema) });

const ChannelInfoSchema = Type.Object({
  'channel-name': Type.String(),
  'channel-number': Type.String(),
  'channel-type': Type.String(),
  'channel-kind': Type.String({ enum: ['input', 'output'] }),
  units: Type.Optional(Type.String()),
  'process-id': Type.Integer(),
});

export const HierarchySchema = Type.Object({
  'serial-number': Type.String(),
  'controller-name': Type.String(),
  model: Type.String(),
  'last-seen-at': Nullable(Time),
  customer: Type.Object({ 'customer-id': Type.Integer(), 'customer-name': Type.String() }),
  facility: Type.Object({
    'facility-id': Type.Integer(),
    'facility-name': Type.String(),
    address: Nullable(Type.String()),
    latitude: Nullable(Type.Number()),
    longitude: Nullable(Type.Number()),
    'time-zone': Type.String(),
  }),
  processes: Type.Array(
    Type.Object({
      'process-id': Type.Integer(),
      'process-name': Type.String(),
      channels: Type.Array(ChannelInfoSchema),
    }),
  ),
});

const Order = Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc', description: 'Oldest first (`asc`, default) or newest first' });
const Limit = (max: number, description: string) => Type.Integer({ minimum: 1, maximum: max, default: 1000, description });
const Cursor = Type.String({ maxLength: 200, description: '`next-cursor` of the previous page' });
const Start = { ...IsoTimeInputSchema, description: 'Inclusive start, ISO 8601 (no offset means UTC). Default: 24 hours before `end`.' };
const End = { ...IsoTimeInputSchema, description: 'Exclusive end, ISO 8601 (no offset means UTC). Default: now.' };

export const ReadingsQuerySchema = Type.Object({
  start: Type.Optional(Start),
  end: Type.Optional(End),
  channel: Type.Optional(
    Type.Array(Type.String({ maxLength: 2000 }), { maxItems: 100, description: 'Channel numbers (`S11`, `R1`); repeat the parameter or separate with commas. Default: all.' }),
  ),
  process: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Only the channels of this process' })),
  order: Type.Optional(Order),
  limit: Type.Optional(Limit(10_000, 'Rows per page (raw), or intervals per page (downsampled)')),
  cursor: Type.Optional(Cursor),
  interval: Type.Optional(
    Type.String({
      pattern: '^[0-9]{1,7}[smhd]?$',
      description: 'Downsample into buckets this long: seconds, or a number with `s`, `m`, `h` or `d` (`15m`, `1h`, `1d`). Buckets start at whole multiples of it since the epoch, in UTC.',
    }),
  ),
});

const ReadingRowSchema = Type.Object({
  'channel-number': Type.String(),
  time: Time,
  value: Type.Number(),
});

const IntervalRowSchema = Type.Object({
  'channel-number': Type.String(),
  time: { ...Time, description: 'Start of the interval' },
  min: Type.Number(),
  max: Type.Number(),
  avg: Type.Number(),
  last: Type.Number({ description: 'Value of the latest reading in the interval' }),
  count: Type.Integer(),
});

export const ReadingsPageSchema = Type.Object({
  'serial-number': Type.String(),
  start: Time,
  end: Time,
  order: Type.String(),
  interval: Type.Optional(Type.Integer({ description: 'Seconds, when downsampled' })),
  channels: Type.Array(ChannelInfoSchema),
  readings: Type.Optional(Type.Array(ReadingRowSchema, { description: 'Raw readings, ordered by time then channel' })),
  intervals: Type.Optional(Type.Array(IntervalRowSchema, { description: 'When `interval` is given: one row per channel and interval with data' })),
  'next-cursor': Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last page' })),
});

export const AlarmHistoryQuerySchema = Type.Object({
  start: Type.Optional({ ...IsoTimeInputSchema, description: 'Alarms raised at or after this time' }),
  end: Type.Optional({ ...IsoTimeInputSchema, description: 'Alarms raised before this time' }),
  severity: Type.Optional(
    Type.Array(Type.String({ maxLength: 100 }), { maxItems: 3, description: '`info`, `warning`, `critical`; repeat or separate with commas. Default: all.' }),
  ),
  limit: Type.Optional(Limit(1000, 'Alarms per page')),
  cursor: Type.Optional(Cursor),
});

export const AlarmHistorySchema = Type.Object({
  'serial-number': Type.String(),
  'alarm-info': Type.Array(AlarmInfoSchema, { description: 'Newest first' }),
  'next-cursor': Nullable(Type.String()),
});

export const VersionSchema = Type.Object({
  'api-version': Type.String({ description: 'Version of the Fluent Client API this face implements' }),
  'server-version': Type.String(),
  build: Type.String({ description: 'The source revision the server was built from, or `unknown`' }),
});
