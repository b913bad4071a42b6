import type {
  ApiClient,
  Alarm,
  AlarmSeverity,
  Channel,
  ChannelKind,
  Controller,
  Customer,
  DeliveryStatus,
  Facility,
  IngestKey,
  Process,
  Reading,
  Role,
  User,
  UserCredentials,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookKind,
} from '../domain/types.js';
import type {
  ApiClientRow,
  AlarmRow,
  ChannelRow,
  ControllerRow,
  CustomerRow,
  FacilityRow,
  IngestKeyRow,
  ProcessRow,
  ReadingRow,
  UserRow,
  WebhookDeliveryRow,
  WebhookEndpointRow,
} from './schema.js';

export const toCustomer = (r: CustomerRow): Customer => ({ id: r.id, name: r.name, createdAt: r.created_at, disabledAt: r.disabled_at });

export const toFacility = (r: FacilityRow): Facility => ({
  id: r.id,
  customerId: r.customer_id,
  name: r.name,
  address: r.address,
  latitude: r.latitude,
  longitude: r.longitude,
  timeZone: r.time_zone,
  createdAt: r.created_at,
});

export const toController = (r: ControllerRow): Controller => ({
  id: r.id,
  customerId: r.customer_id,
  facilityId: r.facility_id,
  serialNumber: r.serial_number,
  model: r.model,
  name: r.name,
  latitude: r.latitude,
  longitude: r.longitude,
  pipeDiameter: r.pipe_diameter,
  activatedAt: r.activated_at,
  tag: r.tag,
  lastSeenAt: r.last_seen_at,
  createdAt: r.created_at,
});

export const toProcess = (r: ProcessRow): Process => ({
  id: r.id,
  customerId: r.customer_id,
  controllerId: r.controller_id,
  name: r.name,
  createdAt: r.created_at,
});

export const toChannel = (r: ChannelRow): Channel => ({
  id: r.id,
  customerId: r.customer_id,
  controllerId: r.controller_id,
  processId: r.process_id,
  number: r.number,
  name: r.name,
  kind: r.kind as ChannelKind,
  type: r.type,
  unit: r.unit,
  latestValue: r.latest_value,
  latestTime: r.latest_time,
  createdAt: r.created_at,
});

export const toReading = (r: Pick<ReadingRow, 'id' | 'channel_id' | 'time' | 'value'>): Reading => ({
  id: r.id,
  channelId: r.channel_id,
  time: r.time,
  value: r.value,
});

export const toAlarm = (r: AlarmRow): Alarm => ({
  id: r.id,
  customerId: r.customer_id,
  controllerId: r.controller_id,
  channelId: r.channel_id,
  type: r.type,
  code: r.code,
  severity: r.severity as AlarmSeverity,
  message: r.message,
  raisedAt: r.raised_at,
  clearedAt: r.cleared_at,
  acknowledgedAt: r.acknowledged_at,
});

export const toUser = (r: UserRow): User => ({
  id: r.id,
  customerId: r.customer_id,
  operator: Number(r.operator) === 1,
  email: r.email,
  name: r.name,
  role: r.role as Role,
  hasPassword: r.password_hash !== '',
  disabledAt: r.disabled_at,
  hasApiToken: r.api_token_hash !== null,
  apiTokenCreatedAt: r.api_token_created_at,
  apiTermsAcceptedAt: r.api_terms_accepted_at,
  createdAt: r.created_at,
});

export const toUserCredentials = (r: UserRow & { customer_disabled_at: number | null }): UserCredentials => ({
  ...toUser(r),
  passwordHash: r.password_hash,
  apiTokenHash: r.api_token_hash,
  customerDisabledAt: r.customer_disabled_at,
});

export const toIngestKey = (r: IngestKeyRow): IngestKey => ({
  id: r.id,
  customerId: r.customer_id,
  controllerId: r.controller_id,
  prefix: r.prefix,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
});

const idList = (text: string | null): number[] | null => (text === null ? null : (JSON.parse(text) as number[]));

export const toWebhookEndpoint = (r: WebhookEndpointRow): WebhookEndpoint => ({
  id: r.id,
  customerId: r.customer_id,
  kind: r.kind as WebhookKind,
  url: r.url,
  enabled: Number(r.enabled) === 1,
  eventTypes: r.event_types === '' ? [] : r.event_types.split(','),
  controllerIds: idList(r.controller_ids),
  processIds: idList(r.process_ids),
  expiresAt: r.expires_at,
  disabledReason: r.disabled_reason,
  failingSince: r.failing_since,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toWebhookDelivery = (r: WebhookDeliveryRow): WebhookDelivery => ({
  id: r.id,
  endpointId: r.endpoint_id,
  customerId: r.customer_id,
  eventType: r.event_type,
  messageId: r.message_id,
  payload: r.payload,
  status: r.status as DeliveryStatus,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  createdAt: r.created_at,
  firstAttemptAt: r.first_attempt_at,
  lastAttemptAt: r.last_attempt_at,
  lastStatus: r.last_status,
  lastError: r.last_error,
  lastLatencyMs: r.last_latency_ms,
  deliveredAt: r.delivered_at,
});

export const toApiClient = (r: ApiClientRow): ApiClient => ({
  id: r.id,
  customerId: r.customer_id,
  name: r.name,
  clientId: r.client_id,
  role: r.role as Role,
  createdBy: r.created_by,
  createdAt: r.created_at,
});
