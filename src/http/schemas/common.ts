import { Type, type Static, type TSchema } from 'typebox';

export const NativeErrorSchema = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

/** Epoch ms rendered as ISO 8601 UTC, e.g. 2026-11-24T08:00:00.000Z */
export const IsoTimeSchema = Type.String({ format: 'date-time' });

const ISO_TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?([Zz]|[+-]\\d{2}:?\\d{2})?$';

/** ISO 8601 with or without an offset (none means UTC), checked by pattern so the schema says it. */
export const IsoTimeInputSchema = Type.String({ maxLength: 40, pattern: ISO_TIME_PATTERN });

/** Patterns whose failures are reported by name rather than by regular expression. */
export const NAMED_PATTERNS = new Map<string, string>([[ISO_TIME_PATTERN, 'an ISO 8601 date-time such as 2026-11-24T08:00:00Z']]);

export const IdParamSchema = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const nativeErrors = {
  400: NativeErrorSchema,
  401: NativeErrorSchema,
  403: NativeErrorSchema,
  404: NativeErrorSchema,
  409: NativeErrorSchema,
  413: NativeErrorSchema,
  422: NativeErrorSchema,
} as const;

/**
 * `T | null` as a JSON Schema type list rather than `anyOf`: fast-json-stringify serialises a
 * type list directly, while for `anyOf` it validates every value against each branch first,
 * which dominated the time of a page of 1000 pings.
 */
export function Nullable<T extends TSchema>(schema: T) {
  const type = (schema as { type?: unknown }).type;
  if (typeof type !== 'string') throw new Error('Nullable() takes a schema with one JSON type');
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [type, 'null'] });
}
