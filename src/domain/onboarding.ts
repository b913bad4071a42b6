import { ERRORS } from '../errors.js';
import type { NewController, NewFacility, Store } from '../store/store.js';
import { requireAdmin, requireOperator, targetCustomer, type Actor } from './actor.js';
import { INGEST_KEY_PREFIX, digestSecret, newIngestKey } from './secrets.js';
import type { Clock } from './time.js';
import { FLOW_SENSOR_MODEL, type Channel, type ChannelKind, type Controller, type Customer, type Facility, type IngestKey, type Process } from './types.js';

/**
 * Onboarding a customer's sites without SQL: the one set of functions behind Flowline's own
 * API (/api/flowline/v1), the `flowline` CLI and `flowline import`. Roles are checked here:
 * operators manage customers; a customer's admins manage everything of their customer but the
 * customer record; users read. Everything goes through the actor's scope, so another
 * customer's records are not found.
 */

// --- customers -----------------------------------------------------------------------------

export async function createCustomer(store: Store, actor: Actor, input: { name: string }): Promise<Customer> {
  requireOperator(actor);
  return store.createCustomer(actor.scope, cleanName(input.name, 'name'));
}

export async function listCustomers(store: Store, actor: Actor): Promise<Customer[]> {
  return store.listCustomers(actor.scope);
}

export async function getCustomer(store: Store, actor: Actor, id: number): Promise<Customer> {
  return found(await store.getCustomer(actor.scope, id), 'Customer');
}

/** Disabling stops every credential, ingest key and webhook of the customer at once; its data stays. */
export async function updateCustomer(store: Store, actor: Actor, id: number, change: { name?: string; disabled?: boolean }, clock: Clock): Promise<Customer> {
  const current = await getCustomer(store, actor, id);
  requireOperator(actor);
  const updated = await store.updateCustomer(actor.scope, id, {
    ...(change.name !== undefined ? { name: cleanName(change.name, 'name') } : {}),
    ...(change.disabled !== undefined ? { disabledAt: change.disabled ? (current.disabledAt ?? clock.now()) : null } : {}),
  });
  // Its users' web-app sessions stop at once (the lookup refuses them) and are ended too, so
  // that enabling the customer again brings none of them back.
  if (change.disabled === true && updated) await store.deleteCustomerSessions(id);
  return found(updated, 'Customer');
}

// --- facilities ----------------------------------------------------------------------------

/** A facility; the customer is the admin's own unless an operator names one. */
export type FacilityInput = Omit<NewFacility, 'customerId'> & { customerId?: number };

export async function createFacility(store: Store, actor: Actor, input: FacilityInput): Promise<Facility> {
  requireAdmin(actor);
  const customerId = targetCustomer(actor, input.customerId);
  return store.createFacility(actor.scope, { ...facilityValues(input), customerId, name: cleanName(input.name, 'name') });
}

/** Time zones as IANA spells them (`utc` is stored as `UTC`); blank addresses as none. */
function facilityValues<T extends Omit<Partial<FacilityInput>, 'customerId'>>(input: T): T {
  return {
    ...input,
    ...(input.timeZone !== undefined ? { timeZone: canonicalTimeZone(input.timeZone) } : {}),
    ...(input.address !== undefined ? { address: blankToNull(input.address) } : {}),
  };
}

export async function listFacilities(store: Store, actor: Actor, filter: { customerId?: number } = {}): Promise<Facility[]> {
  return store.listFacilities(actor.scope, filter);
}

export async function getFacility(store: Store, actor: Actor, id: number): Promise<Facility> {
  return found(await store.getFacility(actor.scope, id), 'Facility');
}

export async function updateFacility(store: Store, actor: Actor, id: number, change: Omit<Partial<FacilityInput>, 'customerId'>): Promise<Facility> {
  await getFacility(store, actor, id);
  requireAdmin(actor);
  return found(await store.updateFacility(actor.scope, id, { ...facilityValues(change), ...(change.name !== undefined ? { name: cleanName(change.name, 'name') } : {}) }), 'Facility');
}

// --- controllers, processes, channels -------------------------------------------------------

export interface ChannelInput {
  number: string;
  type: string;
  name?: string;
  unit?: string | null;
  kind?: ChannelKind;
  /** The name of one of the controller's processes (registration), or its id (later). */
  process?: string | null;
  processId?: number | null;
}

/** What a registration gives: the controller as stored, without its key (issued here), plus its layout. */
export type ControllerInput = Omit<NewController, 'ingestKeyHash' | 'ingestKeyPrefix'> & {
  processes?: { name: string }[];
  channels?: ChannelInput[];
};

export interface IssuedIngestKey {
  /** Shown once; only its digest is kept. */
  key: string;
  record: IngestKey;
}

export interface RegisteredController {
  controller: Controller;
  processes: Process[];
  channels: Channel[];
  ingestKey: IssuedIngestKey;
}

/** Output channel types: everything else is an input unless the caller says so. */
const OUTPUT_TYPES = new Set(['relay', 'pump', 'valve', 'output', 'analog-output', 'digital-output']);

/** A flow sensor registered without channels gets the one flowrate input the FlowCommand face serves. */
const FLOW_SENSOR_LAYOUT = { process: 'Flow', channel: { number: 'S1', name: 'Flow Rate', type: 'flowrate', unit: 'bbl/day' } } as const;

/**
 * Checks a controller's channels and processes before anything is written: channel numbers
 * are unique on the controller, process names too, and every channel names a process that
 * is in the list. Returns the layout to write, flow sensors' default included.
 */
export function planControllerLayout(input: Pick<ControllerInput, 'model' | 'processes' | 'channels'>): { processes: string[]; channels: (ChannelInput & { kind: ChannelKind; name: string })[] } {
  let processes = (input.processes ?? []).map((p) => cleanName(p.name, 'process name'));
  let channels = input.channels ?? [];
  if (input.model === FLOW_SENSOR_MODEL && channels.length === 0) {
    if (!processes.includes(FLOW_SENSOR_LAYOUT.process)) processes = [...processes, FLOW_SENSOR_LAYOUT.process];
    channels = [{ ...FLOW_SENSOR_LAYOUT.channel, process: FLOW_SENSOR_LAYOUT.process }];
  }
  const duplicateProcess = processes.find((name, i) => processes.indexOf(name) !== i);
  if (duplicateProcess !== undefined) throw ERRORS.invalidRequest(`Process "${duplicateProcess}" is listed twice.`);
  const numbers = new Set<string>();
  const planned = channels.map((c) => {
    const number = cleanName(c.number, 'channel number');
    if (numbers.has(number)) throw ERRORS.invalidRequest(`Channel ${number} is listed twice.`);
    numbers.add(number);
    // Process names are compared as stored: trimmed.
    const process = c.process === undefined || c.process === null ? null : c.process.trim();
    if (process !== null && !processes.includes(process)) {
      throw ERRORS.invalidRequest(`Channel ${number} names process "${process}", which is not among the controller's processes (${processes.join(', ') || 'none'}).`);
    }
    const type = cleanName(c.type, 'channel type');
    const name = c.name === undefined || c.name.trim() === '' ? number : cleanName(c.name, 'channel name');
    return { ...c, number, type, process, name, kind: c.kind ?? (OUTPUT_TYPES.has(type.toLowerCase()) ? 'output' : 'input') };
  });
  return { processes, channels: planned };
}

/**
 * Registers a controller (or flow sensor) with its processes and channels and issues its
 * first ingest key. Everything is checked first, so a bad channel leaves nothing behind.
 */
export async function registerController(store: Store, actor: Actor, input: ControllerInput, clock: Clock): Promise<RegisteredController> {
  requireAdmin(actor);
  // The model as stored decides the layout: " flow_sensor" is a flow sensor.
  const model = cleanName(input.model, 'model');
  const layout = planControllerLayout({ ...input, model });
  if (!(await store.getFacility(actor.scope, input.facilityId))) throw ERRORS.notFound('Facility');
  const key = newIngestKey();
  const { controller, processes, channels, ingestKey } = await store.registerController(
    actor.scope,
    {
      facilityId: input.facilityId,
      serialNumber: cleanName(input.serialNumber, 'serial number'),
      model,
      name: cleanName(input.name, 'name'),
      latitude: input.latitude ?? null,
      longitude: input.longitude ?? null,
      pipeDiameter: input.pipeDiameter ?? null,
      activatedAt: input.activatedAt ?? (model === FLOW_SENSOR_MODEL ? clock.now() : null),
      tag: blankToNull(input.tag),
      ingestKeyHash: digestSecret(key),
      ingestKeyPrefix: keyPrefix(key),
    },
    layout.processes,
    layout.channels.map((c) => ({ number: c.number, name: c.name, kind: c.kind, type: c.type, unit: blankToNull(c.unit), process: c.process ?? null })),
  );
  return { controller, processes, channels, ingestKey: { key, record: ingestKey! } };
}

export async function listControllers(store: Store, actor: Actor, filter: { facilityId?: number; model?: string } = {}): Promise<Controller[]> {
  return store.listControllers(actor.scope, filter);
}

export async function getController(store: Store, actor: Actor, id: number): Promise<Controller> {
  return found(await store.getController(actor.scope, id), 'Controller');
}

/** A controller by id or, for the CLI, by serial number. */
export async function findController(store: Store, actor: Actor, idOrSerial: string | number): Promise<Controller> {
  const bySerial = typeof idOrSerial === 'string' ? await store.getControllerBySerial(actor.scope, idOrSerial) : null;
  if (bySerial) return bySerial;
  const id = Number(idOrSerial);
  return found(Number.isSafeInteger(id) && id > 0 ? await store.getController(actor.scope, id) : null, 'Controller');
}

export type ControllerChange = Partial<Omit<ControllerInput, 'serialNumber' | 'processes' | 'channels'>>;

export async function updateController(store: Store, actor: Actor, id: number, change: ControllerChange): Promise<Controller> {
  await getController(store, actor, id);
  requireAdmin(actor);
  return found(
    await store.updateController(actor.scope, id, {
      ...change,
      ...(change.name !== undefined ? { name: cleanName(change.name, 'name') } : {}),
      ...(change.model !== undefined ? { model: cleanName(change.model, 'model') } : {}),
      ...(change.tag !== undefined ? { tag: blankToNull(change.tag) } : {}),
    }),
    'Controller',
  );
}

export async function createProcess(store: Store, actor: Actor, controllerId: number, input: { name: string }): Promise<Process> {
  await getController(store, actor, controllerId);
  requireAdmin(actor);
  return store.createProcess(actor.scope, { controllerId, name: cleanName(input.name, 'name') });
}

export async function listProcesses(store: Store, actor: Actor, controllerId: number): Promise<Process[]> {
  await getController(store, actor, controllerId);
  return store.listProcesses(actor.scope, { controllerId });
}

export async function updateProcess(store: Store, actor: Actor, id: number, change: { name?: string }): Promise<Process> {
  found(await store.getProcess(actor.scope, id), 'Process');
  requireAdmin(actor);
  return found(await store.updateProcess(actor.scope, id, change.name !== undefined ? { name: cleanName(change.name, 'name') } : {}), 'Process');
}

export async function createChannel(store: Store, actor: Actor, controllerId: number, input: ChannelInput): Promise<Channel> {
  await getController(store, actor, controllerId);
  requireAdmin(actor);
  const [planned] = planControllerLayout({ model: '', processes: [], channels: [{ ...input, process: null }] }).channels;
  return store.createChannel(actor.scope, {
    controllerId,
    processId: input.processId ?? null,
    number: planned!.number,
    name: planned!.name,
    kind: planned!.kind,
    type: planned!.type,
    unit: blankToNull(input.unit),
  });
}

export async function listChannels(store: Store, actor: Actor, controllerId: number): Promise<Channel[]> {
  await getController(store, actor, controllerId);
  return store.listChannels(actor.scope, { controllerId });
}

/** Renames a channel, changes its unit or type, or assigns it to a process of its controller (null: none). */
export async function updateChannel(store: Store, actor: Actor, id: number, change: Partial<Pick<ChannelInput, 'name' | 'type' | 'unit' | 'kind' | 'processId'>>): Promise<Channel> {
  const channel = found(await store.getChannel(actor.scope, id), 'Channel');
  requireAdmin(actor);
  if (change.processId !== undefined && change.processId !== null) {
    const process = await store.getProcess(actor.scope, change.processId);
    if (!process || process.controllerId !== channel.controllerId) throw ERRORS.unprocessable(`Process ${change.processId} is not a process of this channel's controller.`);
  }
  return found(
    await store.updateChannel(actor.scope, id, {
      ...change,
      ...(change.name !== undefined ? { name: cleanName(change.name, 'name') } : {}),
      ...(change.type !== undefined ? { type: cleanName(change.type, 'type') } : {}),
      ...(change.unit !== undefined ? { unit: blankToNull(change.unit) } : {}),
    }),
    'Channel',
  );
}

// --- ingest keys ---------------------------------------------------------------------------

/** The longest a rotated key may keep working beside its successor. */
export const MAX_KEY_OVERLAP_MS = 30 * 24 * 60 * 60 * 1000;

/** The first characters of an ingest key kept in clear to tell keys apart (IngestKey.prefix). */
export const keyPrefix = (key: string) => key.slice(0, INGEST_KEY_PREFIX.length + 6);

/**
 * Issues a new ingest key. The controller's other keys keep working for `overlapMs` (so the
 * device in the field can be updated without losing data) and then stop; 0 stops them now.
 */
export async function rotateIngestKey(store: Store, actor: Actor, controllerId: number, overlapMs: number, clock: Clock): Promise<IssuedIngestKey & { previousKeysStopAt: number }> {
  await getController(store, actor, controllerId);
  requireAdmin(actor);
  if (!Number.isFinite(overlapMs) || overlapMs < 0 || overlapMs > MAX_KEY_OVERLAP_MS) throw ERRORS.invalidRequest('The overlap is from 0 seconds to 30 days.');
  const key = newIngestKey();
  const at = clock.now();
  const record = await store.rotateIngestKey(actor.scope, controllerId, { keyHash: digestSecret(key), prefix: keyPrefix(key), at }, at + overlapMs);
  return { key, record, previousKeysStopAt: at + overlapMs };
}

/** Revokes one key, or every live key of the controller: the device is refused at once. */
export async function revokeIngestKeys(store: Store, actor: Actor, controllerId: number, clock: Clock, keyId?: number): Promise<number> {
  await getController(store, actor, controllerId);
  requireAdmin(actor);
  const revoked = await store.revokeIngestKeys(actor.scope, controllerId, clock.now(), keyId);
  if (keyId !== undefined && revoked === 0) throw ERRORS.notFound('Live ingest key');
  return revoked;
}

export async function listIngestKeys(store: Store, actor: Actor, controllerId: number): Promise<IngestKey[]> {
  await getController(store, actor, controllerId);
  requireAdmin(actor);
  return store.listIngestKeys(actor.scope, controllerId);
}

/** A key works while not revoked and before its end. */
export function ingestKeyState(key: IngestKey, now: number): 'active' | 'expiring' | 'expired' | 'revoked' {
  if (key.revokedAt !== null) return 'revoked';
  if (key.expiresAt === null) return 'active';
  return key.expiresAt > now ? 'expiring' : 'expired';
}

// --- helpers ---------------------------------------------------------------------------------

function found<T>(value: T | null, what: string): T {
  if (value === null) throw ERRORS.notFound(what);
  return value;
}

/** A name as schemas check it: one line, something besides spaces, no NUL (PostgreSQL text cannot hold it). */
export const NAME_PATTERN = '^[^\\u0000\\r\\n]*[^\\s\\u0000][^\\u0000\\r\\n]*$';
/** Free text (addresses, tags, units): anything but NUL. */
export const TEXT_PATTERN = '^[^\\u0000]*$';

/** Names are trimmed, non-empty, one line, with no NUL (PostgreSQL text cannot hold it). */
export function cleanName(text: string, what: string): string {
  const name = text.trim();
  if (name === '' || name.length > 200 || name.includes('\u0000') || /[\r\n]/.test(name)) throw ERRORS.invalidRequest(`The ${what} must be 1 to 200 characters on one line.`);
  return name;
}

/** The IANA spelling of a time zone (`utc` → `UTC`, `america/chicago` → `America/Chicago`). */
export function canonicalTimeZone(text: string): string {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: text.trim() }).resolvedOptions().timeZone;
  } catch {
    throw ERRORS.invalidRequest(`"${text}" is not an IANA time zone such as America/Chicago.`);
  }
}

/** Optional text: blank is none; NUL is refused (PostgreSQL text cannot hold it). */
export function blankToNull(text: string | null | undefined): string | null {
  if (text === undefined || text === null || text.trim() === '') return null;
  if (text.includes('\u0000')) throw ERRORS.invalidRequest('Text cannot hold a NUL character.');
  return text.trim();
}
