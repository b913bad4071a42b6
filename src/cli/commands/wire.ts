import { ingestKeyState } from '../../domain/onboarding.js';
import { formatIsoMillis } from '../../domain/time.js';
import type { Controller, Customer, Facility, IngestKey, User } from '../../domain/types.js';

/**
 * Records as `--json` prints them: snake_case keys and ISO times, as the HTTP API writes
 * them. Never a secret or a digest of one.
 */

export const iso = (ms: number | null): string | null => (ms === null ? null : formatIsoMillis(ms));

export const customerJson = (c: Customer) => ({ id: c.id, name: c.name, created_at: iso(c.createdAt), disabled_at: iso(c.disabledAt) });

export const facilityJson = (f: Facility) => ({
  id: f.id,
  customer_id: f.customerId,
  name: f.name,
  address: f.address,
  latitude: f.latitude,
  longitude: f.longitude,
  time_zone: f.timeZone,
  created_at: iso(f.createdAt),
});

export const controllerJson = (c: Controller) => ({
  id: c.id,
  customer_id: c.customerId,
  facility_id: c.facilityId,
  serial_number: c.serialNumber,
  model: c.model,
  name: c.name,
  latitude: c.latitude,
  longitude: c.longitude,
  pipe_diameter: c.pipeDiameter,
  tag: c.tag,
  activated_at: iso(c.activatedAt),
  last_seen_at: iso(c.lastSeenAt),
  created_at: iso(c.createdAt),
});

export const ingestKeyJson = (k: IngestKey, now: number) => ({
  id: k.id,
  controller_id: k.controllerId,
  prefix: k.prefix,
  state: ingestKeyState(k, now),
  created_at: iso(k.createdAt),
  expires_at: iso(k.expiresAt),
  revoked_at: iso(k.revokedAt),
});

export const userJson = (u: User) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  customer_id: u.customerId,
  operator: u.operator,
  has_password: u.hasPassword,
  has_api_token: u.hasApiToken,
  api_token_created_at: iso(u.apiTokenCreatedAt),
  disabled_at: iso(u.disabledAt),
  created_at: iso(u.createdAt),
});
