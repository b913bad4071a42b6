import { Type } from 'typebox';
import { formatIsoSeconds } from '../../domain/time.js';
import { IsoTimeInputSchema, Nullable } from '../schemas/common.js';

const NullableString = Nullable(Type.String());
/** Epoch ms as FlowCommand writes times (null stays null). */
export const isoSeconds = (ms: number | null) => (ms === null ? null : formatIsoSeconds(ms));

/** `YYYY-MM-DDTHH:MM:SSZ`, UTC, second precision, as the FlowCommand document writes times. */
export const DateTime = Type.String({ description: 'UTC, `YYYY-MM-DDTHH:MM:SSZ`', examples: ['2019-02-05T20:41:02Z'] });

export const DetailErrorSchema = Type.Object({ detail: Type.String() });

export const detailErrors = {
  400: DetailErrorSchema,
  401: DetailErrorSchema,
  404: DetailErrorSchema,
  429: DetailErrorSchema,
} as const;

export const FlowSensorSchema = Type.Object({
  id: Type.Integer({ description: 'ID of the flow sensor' }),
  name: Type.String({ description: 'Name of flow sensor' }),
  latitude: Nullable(Type.Number({ description: 'Latitude GPS coordinate of sensor' })),
  longitude: Nullable(Type.Number({ description: 'Longitude GPS coordinate of sensor' })),
  pipe_diameter: Nullable(Type.Number({ description: 'Diameter of pipe in inches' })),
  last_ping_flowrate: Nullable(Type.Number({ description: 'Flowrate in bbls/day from most recent ping' })),
  last_ping_datetime: Nullable({ ...DateTime, description: 'Datetime of most recent ping in UTC' }),
  activated_at: Nullable({ ...DateTime, description: 'Datetime of when the sensor was activated' }),
  tag: Nullable(Type.String({ description: 'Free-text label' })),
});

export const PingSchema = Type.Object({
  id: Type.Integer({ description: 'ID of the ping' }),
  sensor_id: Type.Integer({ description: 'ID of associated flow sensor' }),
  sensor_name: Type.String({ description: 'Name of associated flow sensor' }),
  sensor_tag: NullableString,
  flowrate: Type.Number({ description: 'Flowrate in bbls/day at time of ping' }),
  datetime: DateTime,
});

export const FlowVolumeSchema = Type.Object({
  sensor_id: Type.Integer(),
  sensor_name: Type.String(),
  sensor_tag: NullableString,
  flow_volume: Type.Number({ description: 'Barrels between start and end' }),
  start: DateTime,
  end: DateTime,
});

/** DRF's page envelope around items of a schema. */
export const page = <T extends ReturnType<typeof Type.Object>>(item: T) =>
  Type.Object({
    count: Type.Integer(),
    next: Nullable(Type.String()),
    previous: Nullable(Type.String()),
    results: Type.Array(item),
  });

export const FlowSensorPageSchema = page(FlowSensorSchema);
export const PingPageSchema = page(PingSchema);
export const FlowVolumeHourPageSchema = page(FlowVolumeSchema);

/** Django reads a repeated query parameter as its last value; a list is accepted for that. */
const lastWins = <T extends ReturnType<typeof Type.String>>(item: T) => Type.Union([item, Type.Array(item, { minItems: 1 })]);

const PageParam = Type.String({ description: 'Page (each page contains 1000 items); `last` for the last page' });

export const PageQuerySchema = Type.Object({ page: Type.Optional(lastWins(PageParam)) });

export const PingQuerySchema = Type.Object({
  page: Type.Optional(lastWins(PageParam)),
  start: Type.Optional(lastWins({ ...IsoTimeInputSchema, description: 'Only pings at or after this time (ISO 8601; no offset means UTC)' })),
  end: Type.Optional(lastWins({ ...IsoTimeInputSchema, description: 'Only pings at or before this time' })),
});

export function lastOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** Django's `<int:pk>`: an id that is not digits is a path that does not exist (404), as on FlowCommand. */
export const SensorParamsSchema = Type.Object({ id: Type.String({ pattern: '^[0-9]+$' }) });

export const VolumeParamsSchema = Type.Object({
  id: Type.String({ pattern: '^[0-9]+$' }),
  start: IsoTimeInputSchema,
  end: IsoTimeInputSchema,
});

