import type { Generated, Insertable, Selectable } from 'kysely';

/** Table shapes as Kysely sees them. Row types stay inside `store/`; services get domain types. */

export interface CustomersTable {
  id: Generated<number>;
  name: string;
  created_at: number;
  /** Added by 0006; left out of inserts so that earlier schemas (migration tests) still take them. */
  disabled_at: Generated<number | null>;
}

export interface FacilitiesTable {
  id: Generated<number>;
  customer_id: number;
  name: string;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  time_zone: string;
  created_at: number;
}

export interface ControllersTable {
  id: Generated<number>;
  customer_id: number;
  facility_id: number;
  serial_number: string;
  model: string;
  name: string;
  latitude: number | null;
  longitude: number | null;
  pipe_diameter: number | null;
  activated_at: number | null;
  tag: string | null;
  /** Emptied by migration 0006: keys live in `ingest_keys`. */
  ingest_key_hash: string | null;
  last_seen_at: number | null;
  created_at: number;
}

export interface ProcessesTable {
  id: Generated<number>;
  customer_id: number;
  controller_id: number;
  name: string;
  created_at: number;
}

export interface ChannelsTable {
  id: Generated<number>;
  customer_id: number;
  controller_id: number;
  process_id: number | null;
  number: string;
  name: string;
  kind: string;
  type: string;
  unit: string | null;
  latest_value: number | null;
  latest_time: number | null;
  created_at: number;
}

export interface ReadingsTable {
  id: Generated<number>;
  channel_id: number;
  time: number;
  value: number;
}

export interface AlarmsTable {
  id: Generated<number>;
  customer_id: number;
  controller_id: number;
  channel_id: number | null;
  type: string;
  code: number;
  severity: string;
  message: string;
  raised_at: number;
  cleared_at: number | null;
  acknowledged_at: number | null;
}

export interface UsersTable {
  id: Generated<number>;
  customer_id: number | null;
  email: string;
  name: string;
  role: string;
  password_hash: string;
  api_token_hash: string | null;
  api_token_created_at: number | null;
  api_terms_accepted_at: number | null;
  created_at: number;
  disabled_at: number | null;
  operator: number;
}

export interface PasswordLinksTable {
  id: Generated<number>;
  user_id: number;
  purpose: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** Web-app sessions (0007): the cookie's token is kept only as a digest. */
export interface SessionsTable {
  id: Generated<number>;
  user_id: number;
  token_hash: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
}

export interface IngestKeysTable {
  id: Generated<number>;
  customer_id: number;
  controller_id: number;
  key_hash: string;
  prefix: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface FlowHoursTable {
  channel_id: number;
  hour_start: number;
  volume: number;
  ping_count: number;
}

export interface FlowDaysTable {
  channel_id: number;
  day_start: number;
  volume: number;
  ping_count: number;
}

/**
 * Per-channel aggregates of every channel's readings over one UTC hour (`channel_hours`) or
 * day (`channel_days`), kept by ingest (0008): what chart series of long ranges read instead
 * of raw rows. `first_*`/`last_*` name the bucket's earliest and latest reading.
 */
export interface ChannelBucketsTable {
  channel_id: number;
  bucket_start: number;
  count: number;
  min: number;
  max: number;
  sum: number;
  first_time: number;
  first_value: number;
  last_time: number;
  last_value: number;
}

export interface WebhookEndpointsTable {
  id: Generated<number>;
  customer_id: number;
  kind: string;
  url: string;
  enabled: number;
  secret_ciphertext: string;
  event_types: string;
  controller_ids: string | null;
  process_ids: string | null;
  expires_at: number | null;
  disabled_reason: string | null;
  failing_since: number | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  endpoint_id: number;
  customer_id: number;
  event_type: string;
  message_id: string;
  payload: string;
  status: string;
  attempts: Generated<number>;
  next_attempt_at: number;
  leased_until: number | null;
  created_at: number;
  first_attempt_at: number | null;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
  delivered_at: number | null;
}

export interface ApiClientsTable {
  id: Generated<number>;
  customer_id: number;
  name: string;
  client_id: string;
  secret_hash: string;
  role: string;
  created_by: number | null;
  created_at: number;
}

export interface ApiAccessTokensTable {
  id: Generated<number>;
  token_hash: string;
  api_client_id: number;
  expires_at: number;
  created_at: number;
}

export interface Database {
  customers: CustomersTable;
  facilities: FacilitiesTable;
  controllers: ControllersTable;
  processes: ProcessesTable;
  channels: ChannelsTable;
  readings: ReadingsTable;
  alarms: AlarmsTable;
  users: UsersTable;
  flow_hours: FlowHoursTable;
  flow_days: FlowDaysTable;
  channel_hours: ChannelBucketsTable;
  channel_days: ChannelBucketsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  api_clients: ApiClientsTable;
  api_access_tokens: ApiAccessTokensTable;
  password_links: PasswordLinksTable;
  ingest_keys: IngestKeysTable;
  sessions: SessionsTable;
}

export type CustomerRow = Selectable<CustomersTable>;
export type FacilityRow = Selectable<FacilitiesTable>;
export type ControllerRow = Selectable<ControllersTable>;
export type ProcessRow = Selectable<ProcessesTable>;
export type ChannelRow = Selectable<ChannelsTable>;
export type ReadingRow = Selectable<ReadingsTable>;
export type AlarmRow = Selectable<AlarmsTable>;
export type UserRow = Selectable<UsersTable>;
export type InsertableReadingRow = Insertable<ReadingsTable>;
export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type ApiClientRow = Selectable<ApiClientsTable>;
export type IngestKeyRow = Selectable<IngestKeysTable>;
