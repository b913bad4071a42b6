import { Type } from 'typebox';
import { NAME_PATTERN, TEXT_PATTERN } from '../../domain/onboarding.js';
import { IsoTimeInputSchema, IsoTimeSchema, Nullable } from '../schemas/common.js';

/**
 * Wire shapes of Flowline's onboarding and account routes (snake_case, ISO times); the mapping
 * from domain records to them is src/wire/flowline.ts (the CLI's `--json` prints the same).
 * Input schemas carry every bound, so that the routes need no hand-written checks.
 */
export { channelWire, controllerWire, customerWire, facilityWire, ingestKeyWire, passwordLinkWire, processWire, userWire } from '../../wire/flowline.js';

const NullableTime = Nullable(IsoTimeSchema);
const NAME = NAME_PATTERN;
export const NameSchema = Type.String({ minLength: 1, maxLength: 200, pattern: NAME });
const OptionalText = (max: number) => Type.Optional(Nullable(Type.String({ maxLength: max, pattern: TEXT_PATTERN })));
const Latitude = Type.Optional(Nullable(Type.Number({ minimum: -90, maximum: 90 })));
const Longitude = Type.Optional(Nullable(Type.Number({ minimum: -180, maximum: 180 })));
const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('user')]);
const KindSchema = Type.Union([Type.Literal('input'), Type.Literal('output')]);
export const CustomerIdInput = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Platform operators name the customer; an admin may leave it out (their own).' });

// --- customers -----------------------------------------------------------------------------

export const CustomerSchema = Type.Object({ id: Type.Integer(), name: Type.String(), disabled: Type.Boolean(), disabled_at: NullableTime, created_at: IsoTimeSchema });
export const CustomerCreateSchema = Type.Object({ name: NameSchema }, { additionalProperties: false });
export const CustomerPatchSchema = Type.Object(
  { name: Type.Optional(NameSchema), disabled: Type.Optional(Type.Boolean({ description: 'Disabling stops every token, ingest key and webhook of the customer at once; its data is kept.' })) },
  { additionalProperties: false, minProperties: 1 },
);

// --- facilities ----------------------------------------------------------------------------

export const FacilitySchema = Type.Object({
  id: Type.Integer(),
  customer_id: Type.Integer(),
  name: Type.String(),
  address: Nullable(Type.String()),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
  time_zone: Type.String(),
  created_at: IsoTimeSchema,
});
const facilityFields = {
  name: NameSchema,
  address: OptionalText(500),
  latitude: Latitude,
  longitude: Longitude,
  time_zone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. America/Chicago (UTC when not given)' })),
};
export const FacilityCreateSchema = Type.Object({ customer_id: Type.Optional(CustomerIdInput), ...facilityFields }, { additionalProperties: false });
export const FacilityPatchSchema = Type.Partial(Type.Object(facilityFields), { additionalProperties: false, minProperties: 1 });

// --- controllers, processes, channels ------------------------------------------------------

export const ControllerSchema = Type.Object({
  id: Type.Integer(),
  customer_id: Type.Integer(),
  facility_id: Type.Integer(),
  serial_number: Type.String(),
  model: Type.String(),
  name: Type.String(),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
  pipe_diameter: Nullable(Type.Number()),
  activated_at: NullableTime,
  tag: Nullable(Type.String()),
  last_seen_at: NullableTime,
  created_at: IsoTimeSchema,
});
export const ProcessSchema = Type.Object({ id: Type.Integer(), controller_id: Type.Integer(), name: Type.String(), created_at: IsoTimeSchema });
export const ChannelSchema = Type.Object({
  id: Type.Integer(),
  controller_id: Type.Integer(),
  process_id: Nullable(Type.Integer()),
  number: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  type: Type.String(),
  unit: Nullable(Type.String()),
  created_at: IsoTimeSchema,
});
export const IngestKeySchema = Type.Object({
  id: Type.Integer(),
  controller_id: Type.Integer(),
  prefix: Type.String({ description: 'The first characters of the key, to tell keys apart' }),
  state: Type.Union([Type.Literal('active'), Type.Literal('expiring'), Type.Literal('expired'), Type.Literal('revoked')]),
  created_at: IsoTimeSchema,
  expires_at: NullableTime,
  revoked_at: NullableTime,
});
export const IssuedKeySchema = Type.Object({
  key: Type.String({ description: 'The ingest key: shown once, only a hash is kept. Devices send it as `Authorization: Bearer <key>`.' }),
  ingest_key: IngestKeySchema,
});

const ChannelNumber = Type.String({ minLength: 1, maxLength: 64, pattern: NAME });
const channelFields = {
  name: Type.Optional(NameSchema),
  type: Type.String({ minLength: 1, maxLength: 64, pattern: NAME, description: 'conductivity, ph, orp, temperature, flowrate, level, relay, pump, valve, …' }),
  unit: OptionalText(32),
  kind: Type.Optional(KindSchema),
};
const RegisterChannelSchema = Type.Object(
  { number: ChannelNumber, ...channelFields, process: Type.Optional(Nullable(NameSchema)) },
  { additionalProperties: false },
);
const controllerFields = {
  model: Type.String({ minLength: 1, maxLength: 64, pattern: NAME, description: 'The model; `flow_sensor` makes a FlowCommand flow sensor' }),
  name: NameSchema,
  latitude: Latitude,
  longitude: Longitude,
  pipe_diameter: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'inches (flow sensors)' }))),
  activated_at: Type.Optional(Nullable(IsoTimeInputSchema)),
  tag: OptionalText(200),
};
export const ControllerRegisterSchema = Type.Object(
  {
    facility_id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    serial_number: Type.String({ minLength: 1, maxLength: 64, pattern: NAME }),
    ...controllerFields,
    processes: Type.Optional(Type.Array(Type.Object({ name: NameSchema }, { additionalProperties: false }), { maxItems: 100 })),
    channels: Type.Optional(Type.Array(RegisterChannelSchema, { maxItems: 500, description: 'A flow sensor without channels gets process `Flow` with input S1 (flowrate, bbl/day).' })),
  },
  { additionalProperties: false },
);
export const ControllerPatchSchema = Type.Partial(Type.Object({ facility_id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), ...controllerFields }), { additionalProperties: false, minProperties: 1 });
export const ProcessCreateSchema = Type.Object({ name: NameSchema }, { additionalProperties: false });
const ProcessIdInput = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
export const ChannelCreateSchema = Type.Object({ number: ChannelNumber, ...channelFields, process_id: Type.Optional(Nullable(ProcessIdInput)) }, { additionalProperties: false });
export const ChannelPatchSchema = Type.Partial(Type.Object({ ...channelFields, process_id: Nullable(ProcessIdInput) }), { additionalProperties: false, minProperties: 1 });
export const RotateKeySchema = Type.Object(
  { overlap_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 24 * 3600, default: 0, description: 'How long the previous keys keep working (0: they stop now; at most 30 days)' })) },
  { additionalProperties: false },
);

// --- users and accounts ----------------------------------------------------------------------

export const UserSchema = Type.Object({
  id: Type.Integer(),
  email: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  customer_id: Nullable(Type.Integer()),
  operator: Type.Boolean(),
  has_password: Type.Boolean({ description: 'False until an invited user sets a password through their link' }),
  disabled: Type.Boolean(),
  disabled_at: NullableTime,
  has_api_token: Type.Boolean(),
  api_token_created_at: NullableTime,
  api_terms_accepted_at: NullableTime,
  created_at: IsoTimeSchema,
});
export const EmailSchema = Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@\\u0000]+@[^\\s@\\u0000]+$' });
export const UserInviteSchema = Type.Object(
  {
    email: EmailSchema,
    name: Type.Optional(NameSchema),
    role: Type.Optional(RoleSchema),
    customer_id: Type.Optional(CustomerIdInput),
    operator: Type.Optional(Type.Boolean({ description: 'Platform operators only: invite another operator (no customer)' })),
  },
  { additionalProperties: false },
);
export const UserPatchSchema = Type.Object(
  { name: Type.Optional(NameSchema), role: Type.Optional(RoleSchema), disabled: Type.Optional(Type.Boolean({ description: "Disabling stops the user's password and token at once" })) },
  { additionalProperties: false, minProperties: 1 },
);
export const PasswordLinkSchema = Type.Object({
  url: Type.String({ description: 'The set-password page; the one-time token is in the fragment (#token=…)' }),
  purpose: Type.Union([Type.Literal('invite'), Type.Literal('reset')]),
  expires_at: IsoTimeSchema,
  mailed: Type.Boolean({ description: 'Whether it was e-mailed to the user (mail is configured with SMTP_URL)' }),
});
export const PasswordSchema = Type.String({ minLength: 8, maxLength: 1024 });
export const LinkTokenSchema = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' });
