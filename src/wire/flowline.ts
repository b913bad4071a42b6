import type { PasswordLink } from '../domain/accounts.js';
import { ingestKeyState } from '../domain/onboarding.js';
import { formatIsoMillis } from '../domain/time.js';
import type { Channel, Controller, Customer, Facility, IngestKey, Process, User } from '../domain/types.js';

/**
 * Flowline's own records as its API (/api/flowline/v1) and the CLI's `--json` write them:
 * snake_case keys, ISO 8601 times. Never a secret or a digest of one.
 */

export const iso = (ms: number | null): string | null => (ms === null ? null : formatIsoMillis(ms));

export const customerWire = (c: Customer) => ({ id: c.id, name: c.name, disabled: c.disabledAt !== null, disabled_at: iso(c.disabledAt), created_at: formatIsoMillis(c.createdAt) });

export const facilityWire = (f: Facility) => ({
  id: f.id,
  customer_id: f.customerId,
  name: f.name,
  address: f.address,
  latitude: f.latitude,
  longitude: f.longitude,
  time_zone: f.timeZone,
  created_at: formatIsoMillis(f.createdAt),
});

export const controllerWire = (c: Controller) => ({
  id: c.id,
  customer_id: c.customerId,
  facility_id: c.facilityId,
  serial_number: c.serialNumber,
  model: c.model,
  name: c.name,
  latitude: c.latitude,
  longitude: c.longitude,
  pipe_diameter: c.pipeDiameter,
  activated_at: iso(c.activatedAt),
  tag: c.tag,
  last_seen_at: iso(c.lastSeenAt),
  created_at: formatIsoMillis(c.createdAt),
});

export const processWire = (p: Process) => ({ id: p.id, controller_id: p.controllerId, name: p.name, created_at: formatIsoMillis(p.createdAt) });

export const channelWire = (c: Channel) => ({
  id: c.id,
  controller_id: c.controllerId,
  process_id: c.processId,
  number: c.number,
  name: c.name,
  kind: c.kind,
  type: c.type,
  unit: c.unit,
  created_at: formatIsoMillis(c.createdAt),
});

export const ingestKeyWire = (k: IngestKey, now: number) => ({
  id: k.id,
  controller_id: k.controllerId,
  prefix: k.prefix,
  state: ingestKeyState(k, now),
  created_at: formatIsoMillis(k.createdAt),
  expires_at: iso(k.expiresAt),
  revoked_at: iso(k.revokedAt),
});

export const userWire = (u: User) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  customer_id: u.customerId,
  operator: u.operator,
  has_password: u.hasPassword,
  disabled: u.disabledAt !== null,
  disabled_at: iso(u.disabledAt),
  has_api_token: u.hasApiToken,
  api_token_created_at: iso(u.apiTokenCreatedAt),
  api_terms_accepted_at: iso(u.apiTermsAcceptedAt),
  created_at: formatIsoMillis(u.createdAt),
});

export const passwordLinkWire = (l: PasswordLink) => ({ url: l.url, purpose: l.purpose, expires_at: formatIsoMillis(l.expiresAt), mailed: l.mailed });
