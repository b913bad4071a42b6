import { issuePasswordLink, normalEmail, type LinkServices } from '../domain/accounts.js';
import type { Principal } from '../domain/auth.js';
import { scopeOf } from '../domain/auth.js';
import { ERRORS } from '../errors.js';
import type { Store } from '../store/store.js';
import { parseDateValue, parseNumberValue } from './filter.js';
import { fieldOf, MODELS, type FieldDef, type ModelDef } from '../domain/models.js';

/**
 * Fluxx create/update/delete: `data` checked against the model definitions (writable fields,
 * types, required fields, references to the caller's own records), tenant rules (a record is
 * always created in the caller's customer and cannot be moved out of it) and roles.
 */

const ROLES = ['admin', 'user'];
const KINDS = ['input', 'output'];

function mayWrite(model: ModelDef, principal: Principal): void {
  if (model.writes === 'none') throw ERRORS.forbidden(`${model.type} records are read-only through this API.`);
  if (model.writes === 'admin' && principal.role !== 'admin') throw ERRORS.forbidden(`Only admins create, change or delete ${model.type} records.`);
}

/** `data` as JSON text or an object. */
export function dataOf(raw: unknown): Record<string, unknown> {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw ERRORS.invalidRequest('data is not valid JSON');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw ERRORS.invalidRequest('data must be a JSON object of field values');
  return value as Record<string, unknown>;
}

function isTimeZone(text: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: text });
    return true;
  } catch {
    return false;
  }
}

function coerce(model: ModelDef, field: FieldDef, raw: unknown): unknown {
  const value = typeof raw === 'string' ? raw.trim() : raw;
  const bad = (what: string) => ERRORS.invalidRequest(`data.${field.name}: "${String(raw)}" is not ${what}`);
  if (value === '' || value === null) {
    if (field.default !== undefined) return field.default;
    if (field.required) throw ERRORS.invalidRequest(`data.${field.name} is required and cannot be cleared`);
    return null;
  }
  switch (field.type) {
    case 'integer':
    case 'number': {
      const n = parseNumberValue(field, value);
      if (n === null) throw bad(field.type === 'integer' ? 'an integer' : 'a number');
      return n;
    }
    case 'boolean':
      if (value === true || value === 'true') return 1;
      if (value === false || value === 'false') return 0;
      throw bad('true or false');
    case 'datetime': {
      const parsed = typeof value === 'string' ? parseDateValue(value) : null;
      if (!parsed) throw bad('a date (MM/DD/YYYY or ISO 8601)');
      return parsed.at;
    }
    case 'string': {
      if (typeof value !== 'string' && typeof value !== 'number') throw bad('text');
      const text = String(value);
      if (text.length > 2000 || text.includes('\u0000')) throw bad('acceptable text (at most 2000 characters, no NUL)');
      if (field.name === 'role' && !ROLES.includes(text)) throw bad(`a role (${ROLES.join(', ')})`);
      if (model.type === 'channel' && field.name === 'kind' && !KINDS.includes(text)) throw bad(`a kind (${KINDS.join(', ')})`);
      if (field.name === 'time_zone' && !isTimeZone(text)) throw bad('an IANA time zone such as America/Chicago');
      if (model.type === 'user' && field.name === 'email') return normalEmail(text);
      return text;
    }
  }
}

async function values(store: Store, principal: Principal, model: ModelDef, data: Record<string, unknown>, creating: boolean): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(data)) {
    const field = fieldOf(model, name);
    if (!field) throw ERRORS.invalidRequest(`data: ${model.type} has no field "${name}"`);
    if (!field.writable) throw ERRORS.invalidRequest(`data.${name} cannot be set`);
    if (field.createOnly && !creating) throw ERRORS.invalidRequest(`data.${name} is set when the ${model.type} is created and cannot be changed`);
    out[field.column] = coerce(model, field, value);
  }
  if (creating) {
    const missing = model.fields.filter((f) => f.required && (out[f.column] === undefined || out[f.column] === null));
    if (missing.length > 0) throw ERRORS.invalidRequest(`data: ${missing.map((f) => f.name).join(', ')} ${missing.length > 1 ? 'are' : 'is'} required`);
  }
  // A reference must be one of the caller's own records: nothing can be attached to, or
  // moved into, another customer's.
  for (const field of model.fields) {
    const id = out[field.column];
    if (!field.references || id === undefined || id === null) continue;
    const { rows } = await store.queryRecords(scopeOf(principal), { model: MODELS[field.references], fields: [], sort: [], limit: 1, offset: 0, id: id as number }, 0);
    if (rows.length === 0) throw ERRORS.invalidRequest(`data.${field.name}: there is no ${field.references} ${String(id)}`);
  }
  return out;
}

/** A channel's process must be one of its own controller's. */
async function checkChannelProcess(store: Store, principal: Principal, channelId: number | null, row: Record<string, unknown>): Promise<void> {
  const processId = row.process_id;
  if (processId === undefined || processId === null) return;
  let controllerId = row.controller_id as number | undefined;
  if (controllerId === undefined && channelId !== null) {
    const { rows } = await store.queryRecords(scopeOf(principal), { model: MODELS.channel, fields: [fieldOf(MODELS.channel, 'controller_id')!], sort: [], limit: 1, offset: 0, id: channelId }, 0);
    controllerId = rows[0]?.controller_id as number | undefined;
  }
  const { rows } = await store.queryRecords(scopeOf(principal), { model: MODELS.process, fields: [fieldOf(MODELS.process, 'controller_id')!], sort: [], limit: 1, offset: 0, id: processId as number }, 0);
  if (controllerId !== undefined && rows[0]?.controller_id !== controllerId) throw ERRORS.invalidRequest(`data.process_id: process ${String(processId)} belongs to another controller`);
}

function customerOf(principal: Principal): number {
  if (principal.customerId === null) throw ERRORS.invalidRequest('Platform operators belong to no customer; records are created by a user of the customer.');
  return principal.customerId;
}

/**
 * `links` makes a new user's invitation (a set-password link, e-mailed when mail is
 * configured; an admin can ask for it again through /api/flowline/v1/users/{id}/password-link).
 */
export async function createRecord(store: Store, principal: Principal, model: ModelDef, data: Record<string, unknown>, at: number, links?: LinkServices): Promise<number> {
  mayWrite(model, principal);
  const customerId = customerOf(principal);
  const row = await values(store, principal, model, data, true);
  if (model.type === 'user') {
    // No password until the user follows their invitation: nobody else ever knows it.
    const user = await store.createUser(scopeOf(principal), {
      customerId,
      email: String(row.email),
      name: String(row.name),
      role: row.role === 'admin' ? 'admin' : 'user',
      passwordHash: null,
    });
    if (links) await issuePasswordLink(links, user, 'invite');
    return user.id;
  }
  if (model.type === 'channel') await checkChannelProcess(store, principal, null, row);
  const id = await store.writeRecord(scopeOf(principal), model, { kind: 'create', values: { ...row, customer_id: customerId }, at });
  return id!;
}

export async function updateRecord(store: Store, principal: Principal, model: ModelDef, id: number, data: Record<string, unknown>): Promise<number> {
  mayWrite(model, principal);
  // Operators see every customer: a reference check in their scope could link two customers.
  customerOf(principal);
  const row = await values(store, principal, model, data, false);
  // As on Flowline's own API: the last admin must not lock the customer out by demoting themself.
  if (model.type === 'user' && principal.kind === 'user' && id === principal.userId && row.role !== undefined && row.role !== principal.role) {
    throw ERRORS.unprocessable('You cannot change your own role; ask another admin.');
  }
  if (model.type === 'channel') await checkChannelProcess(store, principal, id, row);
  const updated = await store.writeRecord(scopeOf(principal), model, { kind: 'update', id, values: row });
  if (updated === null) throw ERRORS.notFound(`${model.type} ${id}`);
  return updated;
}

/**
 * Deleting cascades (a facility takes its controllers and their data with it), so it is for
 * admins, whatever the model; users create and change.
 */
export async function deleteRecord(store: Store, principal: Principal, model: ModelDef, id: number): Promise<void> {
  mayWrite(model, principal);
  customerOf(principal);
  if (principal.role !== 'admin') throw ERRORS.forbidden(`Only admins delete ${model.type} records (a delete takes everything under the record with it).`);
  if (model.type === 'user' && principal.kind === 'user' && id === principal.userId) throw ERRORS.invalidRequest('You cannot delete your own user.');
  const deleted = await store.writeRecord(scopeOf(principal), model, { kind: 'delete', id });
  if (deleted === null) throw ERRORS.notFound(`${model.type} ${id}`);
}
