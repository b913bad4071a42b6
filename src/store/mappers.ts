import type { Alarm, AlarmSeverity, Channel, ChannelKind, Controller, Customer, Facility, Process, Reading, Role, User, UserCredentials } from '../domain/types.js';
import type { AlarmRow, ChannelRow, ControllerRow, CustomerRow, FacilityRow, ProcessRow, ReadingRow, UserRow } from './schema.js';

export const toCustomer = (r: CustomerRow): Customer => ({ id: r.id, name: r.name, createdAt: r.created_at });

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
  email: r.email,
  name: r.name,
  role: r.role as Role,
  hasApiToken: r.api_token_hash !== null,
  apiTokenCreatedAt: r.api_token_created_at,
  apiTermsAcceptedAt: r.api_terms_accepted_at,
  createdAt: r.created_at,
});

export const toUserCredentials = (r: UserRow): UserCredentials => ({
  ...toUser(r),
  passwordHash: r.password_hash,
  apiTokenHash: r.api_token_hash,
});
