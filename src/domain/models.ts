/**
 * The models the Fluxx face serves, defined once: the face's validation (cols, filter, sort,
 * relation), its writes, its OpenAPI schemas, its documentation page and the store's generic
 * record queries are all read from here, so none of them can drift from the others. (Here in
 * domain/, not under the face, because the store reads them too.)
 */

export type FieldType = 'integer' | 'number' | 'string' | 'boolean' | 'datetime';

export const MODEL_TYPES = ['customer', 'facility', 'controller', 'process', 'channel', 'reading', 'alarm', 'user', 'subscription', 'webhook'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

export interface FieldDef {
  name: string;
  /** Column in the model's table. */
  column: string;
  type: FieldType;
  description: string;
  /** Searched by `query` (text fields only). */
  searchable?: boolean;
  /** Settable through create/update. */
  writable?: boolean;
  /** Needed on create. */
  required?: boolean;
  /** The parent this field points at (for `relation` and cross-model `filter`). */
  references?: ModelType;
  /** What a create without it, or clearing it, stores (the column is NOT NULL). */
  default?: string;
  /** Settable on create only (moving the record would break its children's consistency). */
  createOnly?: boolean;
  /** A 4-byte integer column. */
  int32?: boolean;
}

export interface ModelDef {
  type: ModelType;
  table: 'customers' | 'facilities' | 'controllers' | 'processes' | 'channels' | 'readings' | 'alarms' | 'users' | 'webhook_endpoints';
  description: string;
  fields: FieldDef[];
  /** How rows are kept to the caller's customer. */
  tenant: { column: string } | { viaChannel: true };
  /** Rows of a shared table that belong to this model (webhook_endpoints.kind). */
  kind?: string;
  /** Writable through this face at all, and by whom. */
  writes: 'none' | 'admin' | 'user';
}

const id: FieldDef = { name: 'id', column: 'id', type: 'integer', description: 'Unique id' };
const createdAt: FieldDef = { name: 'created_at', column: 'created_at', type: 'datetime', description: 'When the record was created' };
const customerId: FieldDef = { name: 'customer_id', column: 'customer_id', type: 'integer', description: 'The customer it belongs to', references: 'customer' };
const text = (name: string, description: string, extra: Partial<FieldDef> = {}): FieldDef => ({ name, column: name, type: 'string', description, searchable: true, ...extra });
const field = (name: string, type: FieldType, description: string, extra: Partial<FieldDef> = {}): FieldDef => ({ name, column: name, type, description, ...extra });

export const MODELS: Record<ModelType, ModelDef> = {
  customer: {
    type: 'customer',
    table: 'customers',
    description: 'The company receiving service (the tenant).',
    tenant: { column: 'id' },
    writes: 'none',
    fields: [id, text('name', 'Company name'), createdAt],
  },
  facility: {
    type: 'facility',
    table: 'facilities',
    description: 'A site of a customer.',
    tenant: { column: 'customer_id' },
    writes: 'user',
    fields: [
      id,
      customerId,
      text('name', 'Site name', { writable: true, required: true }),
      text('address', 'Street address', { writable: true }),
      field('latitude', 'number', 'Latitude, degrees', { writable: true }),
      field('longitude', 'number', 'Longitude, degrees', { writable: true }),
      text('time_zone', 'IANA time zone, e.g. America/Chicago (UTC when not given)', { writable: true, default: 'UTC' }),
      createdAt,
    ],
  },
  controller: {
    type: 'controller',
    table: 'controllers',
    description: 'A device at a facility: a water-treatment controller, or a flow sensor (model flow_sensor).',
    tenant: { column: 'customer_id' },
    writes: 'admin',
    fields: [
      id,
      customerId,
      field('facility_id', 'integer', 'The facility it is at', { writable: true, required: true, references: 'facility' }),
      text('serial_number', 'Serial number (ten digits for Walchem controllers)', { writable: true, required: true }),
      text('model', 'Model; flow_sensor for FlowCommand flow sensors', { writable: true, required: true }),
      text('name', 'Name', { writable: true, required: true }),
      field('latitude', 'number', 'Latitude, degrees (flow sensors)', { writable: true }),
      field('longitude', 'number', 'Longitude, degrees (flow sensors)', { writable: true }),
      field('pipe_diameter', 'number', 'Pipe diameter, inches (flow sensors)', { writable: true }),
      field('activated_at', 'datetime', 'When the sensor was activated', { writable: true }),
      text('tag', 'Free-text label', { writable: true }),
      field('last_seen_at', 'datetime', 'When the server last accepted data from it'),
      createdAt,
    ],
  },
  process: {
    type: 'process',
    table: 'processes',
    description: 'A group of related inputs and outputs of one controller; only channels in a process have their data stored.',
    tenant: { column: 'customer_id' },
    writes: 'user',
    fields: [id, customerId, field('controller_id', 'integer', 'The controller (set on create)', { writable: true, required: true, createOnly: true, references: 'controller' }), text('name', 'Name', { writable: true, required: true }), createdAt],
  },
  channel: {
    type: 'channel',
    table: 'channels',
    description: 'One input or output of a controller.',
    tenant: { column: 'customer_id' },
    writes: 'user',
    fields: [
      id,
      customerId,
      field('controller_id', 'integer', 'The controller (set on create)', { writable: true, required: true, createOnly: true, references: 'controller' }),
      field('process_id', 'integer', 'The process it is assigned to', { writable: true, references: 'process' }),
      text('number', 'The controller\'s name for it: S11, R1, …', { writable: true, required: true }),
      text('name', 'Name', { writable: true, required: true }),
      text('kind', 'input or output', { writable: true, required: true }),
      text('type', 'conductivity, ph, orp, temperature, flowrate, relay, …', { writable: true, required: true }),
      text('unit', 'Unit of its values', { writable: true }),
      field('latest_value', 'number', 'Latest value'),
      field('latest_time', 'datetime', 'Time of the latest value'),
      createdAt,
    ],
  },
  reading: {
    type: 'reading',
    table: 'readings',
    description: 'One value of a channel at a time (a flow sensor\'s pings). Read-only.',
    tenant: { viaChannel: true },
    writes: 'none',
    fields: [id, field('channel_id', 'integer', 'The channel', { references: 'channel' }), field('time', 'datetime', 'When it was measured'), field('value', 'number', 'The value')],
  },
  alarm: {
    type: 'alarm',
    table: 'alarms',
    description: 'An alarm raised on a controller (optionally one channel). Read-only.',
    tenant: { column: 'customer_id' },
    writes: 'none',
    fields: [
      id,
      customerId,
      field('controller_id', 'integer', 'The controller', { references: 'controller' }),
      field('channel_id', 'integer', 'The channel, if any', { references: 'channel' }),
      text('type', 'fluent-alarm for alarms the server raises; otherwise the controller\'s type'),
      field('code', 'integer', 'Alarm code', { int32: true }),
      text('severity', 'info, warning or critical'),
      text('message', 'Alarm text'),
      field('raised_at', 'datetime', 'When it was raised'),
      field('cleared_at', 'datetime', 'When it was cleared'),
      field('acknowledged_at', 'datetime', 'When it was acknowledged'),
    ],
  },
  user: {
    type: 'user',
    table: 'users',
    description: 'A person who logs in. Password and token hashes are never served.',
    tenant: { column: 'customer_id' },
    writes: 'admin',
    fields: [
      id,
      customerId,
      text('email', 'Login e-mail address', { writable: true, required: true }),
      text('name', 'Name', { writable: true, required: true }),
      text('role', 'admin or user (user when not given)', { writable: true, default: 'user' }),
      field('api_token_created_at', 'datetime', 'When the current API token was generated'),
      field('api_terms_accepted_at', 'datetime', 'When the API terms were accepted'),
      createdAt,
    ],
  },
  subscription: {
    type: 'subscription',
    table: 'webhook_endpoints',
    kind: 'fluent',
    description: 'A Fluent subscription: data-change and alarm events pushed to a callback URL for 10 days. Managed through /subscription/…; read-only here.',
    tenant: { column: 'customer_id' },
    writes: 'none',
    fields: [id, customerId, text('url', 'Callback URL'), field('enabled', 'boolean', 'Whether it delivers'), text('event_types', 'data-change, alarm'), field('expires_at', 'datetime', 'When it expires'), text('disabled_reason', 'Why the server disabled it'), createdAt],
  },
  webhook: {
    type: 'webhook',
    table: 'webhook_endpoints',
    kind: 'flowcommand',
    description: 'A FlowCommand webhook endpoint: a POST for every ping. Managed through /api/v1/webhooks/; read-only here.',
    tenant: { column: 'customer_id' },
    writes: 'none',
    fields: [id, customerId, text('url', 'URL'), field('enabled', 'boolean', 'Whether it delivers'), text('disabled_reason', 'Why the server disabled it'), field('failing_since', 'datetime', 'Since when deliveries fail'), createdAt],
  },
};

export function isModelType(text: string): text is ModelType {
  return (MODEL_TYPES as readonly string[]).includes(text);
}

export function fieldOf(model: ModelDef, name: string): FieldDef | undefined {
  return model.fields.find((f) => f.name === name);
}

const JSON_TYPES: Record<FieldType, object> = {
  integer: { type: 'integer' },
  number: { type: 'number' },
  string: { type: 'string' },
  boolean: { type: 'boolean' },
  datetime: { type: 'string', format: 'date-time', description: '`YYYY-MM-DDTHH:MM:SSZ`' },
};

/** JSON Schemas of the records of each model, as the face answers them (for the OpenAPI document). */
export function recordSchemas(): Record<string, object> {
  return Object.fromEntries(
    MODEL_TYPES.map((type) => {
      const model = MODELS[type];
      const properties = Object.fromEntries(model.fields.map((f) => [f.name, { ...JSON_TYPES[f.type], description: f.description + (f.references ? ` (a ${f.references}; with \`relation\`, an array of them)` : '') }]));
      return [`Fluxx_${type}`, { type: 'object', description: `${model.description} Blank fields are left out.`, required: ['id'], properties }];
    }),
  );
}
