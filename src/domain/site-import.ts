import { Type, type Static, type TSchema } from 'typebox';
import type { TLocalizedValidationError } from 'typebox/error';
import { Value } from 'typebox/value';
import { isAppError, ERRORS } from '../errors.js';
import type { Store } from '../store/store.js';
import { inviteUser, normalEmail, type LinkServices, type PasswordLink } from './accounts.js';
import { requireAdmin, requireOperator, type Actor } from './actor.js';
import {
  canonicalTimeZone,
  cleanName,
  NAME_PATTERN,
  TEXT_PATTERN,
  createChannel,
  createCustomer,
  createFacility,
  createProcess,
  listCustomers,
  listFacilities,
  planControllerLayout,
  registerController,
  type ChannelInput,
} from './onboarding.js';
import type { Channel, Controller, Customer, Facility, Process, Role, User } from './types.js';

/**
 * Onboarding a whole site from one file (`flowline import site.json`, and later the web app):
 * a customer, its facilities, their controllers with processes and channels, and its users.
 * The file is checked in full before anything is written (its shape, each controller's
 * layout, and what it would clash with in the database), and an import only adds: a record
 * that is already there (customer by name, facility by name within the customer, controller
 * by serial number, process by name and channel by number within the controller, user by
 * e-mail) is left as it is, so running the same file twice creates nothing the second time.
 */

const Name = Type.String({ minLength: 1, maxLength: 200, pattern: NAME_PATTERN });
const Text = (maxLength: number) => Type.String({ maxLength, pattern: TEXT_PATTERN });
const OrNull = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const SiteChannelSchema = Type.Object(
  {
    number: Name,
    type: Name,
    unit: Type.Optional(OrNull(Text(200))),
    name: Type.Optional(Name),
    kind: Type.Optional(Type.Union([Type.Literal('input'), Type.Literal('output')])),
    process: Type.Optional(OrNull(Name)),
  },
  { additionalProperties: false },
);

const SiteControllerSchema = Type.Object(
  {
    serial_number: Name,
    model: Name,
    name: Name,
    pipe_diameter: Type.Optional(OrNull(Type.Number({ exclusiveMinimum: 0 }))),
    tag: Type.Optional(OrNull(Text(200))),
    processes: Type.Optional(Type.Array(Type.Object({ name: Name }, { additionalProperties: false }))),
    channels: Type.Optional(Type.Array(SiteChannelSchema)),
  },
  { additionalProperties: false },
);

const SiteFacilitySchema = Type.Object(
  {
    name: Name,
    address: Type.Optional(OrNull(Text(500))),
    latitude: Type.Optional(OrNull(Type.Number({ minimum: -90, maximum: 90 }))),
    longitude: Type.Optional(OrNull(Type.Number({ minimum: -180, maximum: 180 }))),
    time_zone: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    controllers: Type.Optional(Type.Array(SiteControllerSchema)),
  },
  { additionalProperties: false },
);

const SiteUserSchema = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254 }),
    name: Type.Optional(Name),
    role: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('user')])),
  },
  { additionalProperties: false },
);

/** The site file: snake_case keys, as the HTTP API writes them. */
export const SiteFileSchema = Type.Object(
  {
    customer: Type.Object({ name: Name }, { additionalProperties: false }),
    facilities: Type.Optional(Type.Array(SiteFacilitySchema)),
    users: Type.Optional(Type.Array(SiteUserSchema)),
  },
  { additionalProperties: false },
);

export type SiteFile = Static<typeof SiteFileSchema>;
export type SiteChannel = Static<typeof SiteChannelSchema>;

/**
 * What is wrong with a value against a schema, one line per problem, each naming its place
 * (`facilities[0].controllers[1].serial_number: must be string`); empty when it fits.
 */
export function schemaProblems(schema: TSchema, value: unknown, root = ''): string[] {
  if (Value.Check(schema, value)) return [];
  const problems: string[] = [];
  // The branches of a union (a literal choice, `string | null`) each report their own failure
  // before the union does; they are kept aside and said once, as the union's message.
  const branches = new Map<string, TLocalizedValidationError[]>();
  for (const error of Value.Errors(schema, value)) {
    // An unknown key is reported twice: by additionalProperties, which names it, and as "schema is false".
    if (error.keyword === 'boolean') continue;
    if (error.schemaPath.includes('/anyOf/')) {
      branches.set(error.instancePath, [...(branches.get(error.instancePath) ?? []), error]);
      continue;
    }
    const message = error.keyword === 'anyOf' ? unionMessage(branches.get(error.instancePath) ?? []) ?? error.message : errorMessage(error);
    const line = `${placeOf(root, error.instancePath)}: ${message}`;
    if (!problems.includes(line)) problems.push(line);
  }
  return problems;
}

function errorMessage(error: TLocalizedValidationError): string {
  if (error.keyword !== 'additionalProperties') return error.message;
  return `${error.message}: ${(error.params as { additionalProperties?: string[] }).additionalProperties?.join(', ')}`;
}

/** `must be one of "input", "output"`, `must be number or null`, or what failed in the branch of the right type (`must be <= 90`). */
function unionMessage(errors: TLocalizedValidationError[]): string | undefined {
  const others = errors.filter((e) => e.keyword !== 'const' && e.keyword !== 'type');
  if (others.length > 0) return others.map(errorMessage).join(', ');
  const values = errors.filter((e) => e.keyword === 'const').map((e) => JSON.stringify((e.params as { allowedValue?: unknown }).allowedValue));
  const types = errors.filter((e) => e.keyword === 'type').map((e) => String((e.params as { type?: unknown }).type));
  const parts = [...(values.length > 0 ? [`one of ${values.join(', ')}`] : []), ...types];
  return parts.length > 0 ? `must be ${parts.join(' or ')}` : undefined;
}

function placeOf(root: string, pointer: string): string {
  let place = root;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    place += /^\d+$/.test(key) ? `[${key}]` : place === '' ? key : `.${key}`;
  }
  return place === '' ? '(the file)' : place;
}

/** Checks a parsed file's shape; its problems together in one error. */
export function parseSiteFile(value: unknown): SiteFile {
  const problems = schemaProblems(SiteFileSchema, value);
  if (problems.length > 0) throw problemsError('The site file is not valid', problems, 'invalid');
  return value as SiteFile;
}

// --- the plan: everything checked, nothing written ---------------------------------------

interface ControllerPlan {
  existing: Controller | null;
  serialNumber: string;
  model: string;
  name: string;
  pipeDiameter: number | null;
  tag: string | null;
  layout: ReturnType<typeof planControllerLayout>;
  existingProcesses: Process[];
  existingChannels: Channel[];
}

interface FacilityPlan {
  existing: Facility | null;
  name: string;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  timeZone: string | undefined;
  controllers: ControllerPlan[];
}

interface UserPlan {
  existing: User | null;
  email: string;
  name: string | undefined;
  role: Role;
}

export interface SitePlan {
  customer: { existing: Customer | null; name: string };
  facilities: FacilityPlan[];
  users: UserPlan[];
}

/** Problems found while planning, each with its place in the file; all are reported together. */
class Problems {
  readonly list: string[] = [];

  add(place: string, message: string): void {
    this.list.push(`${place}: ${message}`);
  }

  /** Runs a check that throws an AppError (cleanName, canonicalTimeZone, …) and records its message instead. */
  check<T>(place: string, work: () => T): T | undefined {
    try {
      return work();
    } catch (error) {
      if (!isAppError(error)) throw error;
      this.add(place, error.message);
      return undefined;
    }
  }
}

/**
 * Reads what the file names from the database and checks it can all be written: the layout
 * of each controller, and no clash with another customer's controllers or users. Every
 * problem is collected and reported at once; nothing is written.
 */
export async function planSiteImport(store: Store, actor: Actor, file: SiteFile): Promise<SitePlan> {
  requireAdmin(actor);
  const problems = new Problems();

  const customerName = problems.check('customer.name', () => cleanName(file.customer.name, 'customer name')) ?? file.customer.name;
  const namesakes = (await listCustomers(store, actor)).filter((c) => c.name === customerName);
  if (namesakes.length > 1) problems.add('customer.name', `${namesakes.length} customers are named "${customerName}" (ids ${namesakes.map((c) => c.id).join(', ')}); rename one first.`);
  const customer = namesakes.length === 1 ? namesakes[0]! : null;
  if (!customer) problems.check('customer', () => requireOperator(actor));

  const existingFacilities = customer ? await listFacilities(store, actor, { customerId: customer.id }) : [];
  const facilityNames = new Set<string>();
  const serials = new Map<string, string>();
  const facilities: FacilityPlan[] = [];
  for (const [f, input] of (file.facilities ?? []).entries()) {
    const place = `facilities[${f}]`;
    const name = problems.check(`${place}.name`, () => cleanName(input.name, 'facility name')) ?? input.name;
    if (facilityNames.has(name)) problems.add(`${place}.name`, `facility "${name}" is listed twice.`);
    facilityNames.add(name);
    if (input.time_zone !== undefined) problems.check(`${place}.time_zone`, () => canonicalTimeZone(input.time_zone!));
    const matches = existingFacilities.filter((x) => x.name === name);
    if (matches.length > 1) problems.add(`${place}.name`, `the customer has ${matches.length} facilities named "${name}" (ids ${matches.map((x) => x.id).join(', ')}); rename one first.`);
    const existing = matches.length === 1 ? matches[0]! : null;
    const controllers: ControllerPlan[] = [];
    for (const [c, controller] of (input.controllers ?? []).entries()) {
      const at = `${place}.controllers[${c}]`;
      const serialNumber = problems.check(`${at}.serial_number`, () => cleanName(controller.serial_number, 'serial number'));
      if (serialNumber === undefined) continue;
      const earlier = serials.get(serialNumber);
      if (earlier !== undefined) problems.add(`${at}.serial_number`, `${serialNumber} is also listed at ${earlier}.`);
      serials.set(serialNumber, at);
      const planned = await planController(store, actor, problems, at, { ...controller, serial_number: serialNumber }, { customer, facility: existing, facilityName: name });
      if (planned) controllers.push(planned);
    }
    facilities.push({
      existing,
      name,
      address: input.address ?? null,
      latitude: input.latitude ?? null,
      longitude: input.longitude ?? null,
      timeZone: input.time_zone,
      controllers,
    });
  }

  const emails = new Set<string>();
  const users: UserPlan[] = [];
  for (const [u, input] of (file.users ?? []).entries()) {
    const place = `users[${u}].email`;
    if (input.name !== undefined) problems.check(`users[${u}].name`, () => cleanName(input.name!, 'name'));
    const email = problems.check(place, () => normalEmail(input.email));
    if (email === undefined) continue;
    if (emails.has(email)) problems.add(place, `${email} is listed twice.`);
    emails.add(email);
    // Log-in e-mails are unique across the platform, so look beyond the customer.
    const found = await store.findUserCredentialsByEmail(email);
    let existing: User | null = null;
    if (found?.operator) problems.add(place, `${email} belongs to a platform operator.`);
    else if (found && (!customer || found.customerId !== customer.id)) problems.add(place, `${email} belongs to a user of another customer.`);
    else if (found) existing = await store.getUser(actor.scope, found.id);
    users.push({ existing, email, name: input.name, role: input.role ?? 'user' });
  }

  if (problems.list.length > 0) throw problemsError('The site cannot be imported', problems.list, 'conflict');
  return { customer: { existing: customer, name: customerName }, facilities, users };
}

type SiteController = NonNullable<NonNullable<SiteFile['facilities']>[number]['controllers']>[number];

async function planController(
  store: Store,
  actor: Actor,
  problems: Problems,
  place: string,
  input: SiteController,
  where: { customer: Customer | null; facility: Facility | null; facilityName: string },
): Promise<ControllerPlan | null> {
  const model = problems.check(`${place}.model`, () => cleanName(input.model, 'model'));
  const name = problems.check(`${place}.name`, () => cleanName(input.name, 'name'));
  const layout = problems.check(place, () => planControllerLayout({ model: input.model, processes: input.processes ?? [], channels: (input.channels ?? []).map(channelInput) }));
  // A serial number is the device's identity across the platform: look it up beyond the customer.
  const existing = await store.getControllerBySerial(actor.scope, input.serial_number);
  if (existing && (!where.customer || existing.customerId !== where.customer.id)) {
    problems.add(`${place}.serial_number`, `${input.serial_number} is registered to another customer.`);
    return null;
  }
  if (existing && (!where.facility || existing.facilityId !== where.facility.id)) {
    const at = await store.getFacility(actor.scope, existing.facilityId);
    problems.add(`${place}.serial_number`, `${input.serial_number} is registered at facility "${at?.name ?? existing.facilityId}", not "${where.facilityName}"; an import does not move controllers.`);
    return null;
  }
  if (model === undefined || name === undefined || layout === undefined) return null;
  return {
    existing,
    serialNumber: input.serial_number,
    model,
    name,
    pipeDiameter: input.pipe_diameter ?? null,
    tag: input.tag ?? null,
    layout,
    existingProcesses: existing ? await store.listProcesses(actor.scope, { controllerId: existing.id }) : [],
    existingChannels: existing ? await store.listChannels(actor.scope, { controllerId: existing.id }) : [],
  };
}

/** A channel of the site file (or of `controller register --channels`) as the onboarding functions take it. */
export function channelInput(channel: SiteChannel): ChannelInput {
  return {
    number: channel.number,
    type: channel.type,
    ...(channel.unit !== undefined ? { unit: channel.unit } : {}),
    ...(channel.name !== undefined ? { name: channel.name } : {}),
    ...(channel.kind !== undefined ? { kind: channel.kind } : {}),
    ...(channel.process !== undefined ? { process: channel.process } : {}),
  };
}

function problemsError(what: string, problems: string[], kind: 'invalid' | 'conflict') {
  const message = `${what} (${problems.length === 1 ? '1 problem' : `${problems.length} problems`}; nothing was written):\n${problems.map((p) => `  - ${p}`).join('\n')}`;
  return kind === 'invalid' ? ERRORS.invalidRequest(message, { problems }) : ERRORS.unprocessable(message, { problems });
}

// --- applying the plan -------------------------------------------------------------------

export interface Outcome<T> {
  record: T;
  created: boolean;
}

export interface ControllerOutcome extends Outcome<Controller> {
  /** The first ingest key of a controller registered now; shown once. */
  ingestKey: string | null;
  processes: Outcome<Process>[];
  channels: Outcome<Channel>[];
}

export interface SiteImportReport {
  customer: Outcome<Customer>;
  facilities: (Outcome<Facility> & { controllers: ControllerOutcome[] })[];
  /** A user invited now carries their one-time set-password link. */
  users: (Outcome<User> & { link: PasswordLink | null })[];
}

/**
 * Writes what the plan found missing, through the onboarding functions (so their checks and
 * roles apply). Should a write fail half-way (another admin registering the same serial number
 * meanwhile), what was written stays and running the import again completes it.
 */
export async function applySitePlan(services: LinkServices, actor: Actor, plan: SitePlan, log?: (error: unknown) => void): Promise<SiteImportReport> {
  const { store, clock } = services;
  const customer: Outcome<Customer> = plan.customer.existing
    ? { record: plan.customer.existing, created: false }
    : { record: await createCustomer(store, actor, { name: plan.customer.name }), created: true };
  const customerId = customer.record.id;

  const facilities: SiteImportReport['facilities'] = [];
  for (const f of plan.facilities) {
    const facility: Outcome<Facility> = f.existing
      ? { record: f.existing, created: false }
      : {
          record: await createFacility(store, actor, {
            customerId,
            name: f.name,
            address: f.address,
            latitude: f.latitude,
            longitude: f.longitude,
            ...(f.timeZone !== undefined ? { timeZone: f.timeZone } : {}),
          }),
          created: true,
        };
    const controllers: ControllerOutcome[] = [];
    for (const c of f.controllers) controllers.push(c.existing ? await completeController(store, actor, c, c.existing) : await registerPlanned(store, actor, c, facility.record.id, clock));
    facilities.push({ ...facility, controllers });
  }

  const users: SiteImportReport['users'] = [];
  for (const u of plan.users) {
    if (u.existing) {
      users.push({ record: u.existing, created: false, link: null });
      continue;
    }
    const invited = await inviteUser(services, actor, { email: u.email, role: u.role, customerId, ...(u.name !== undefined ? { name: u.name } : {}) }, log);
    users.push({ record: invited.user, created: true, link: invited.link });
  }
  return { customer, facilities, users };
}

async function registerPlanned(store: Store, actor: Actor, plan: ControllerPlan, facilityId: number, clock: LinkServices['clock']): Promise<ControllerOutcome> {
  const registered = await registerController(
    store,
    actor,
    {
      facilityId,
      serialNumber: plan.serialNumber,
      model: plan.model,
      name: plan.name,
      pipeDiameter: plan.pipeDiameter,
      tag: plan.tag,
      processes: plan.layout.processes.map((name) => ({ name })),
      channels: plan.layout.channels,
    },
    clock,
  );
  return {
    record: registered.controller,
    created: true,
    ingestKey: registered.ingestKey.key,
    processes: registered.processes.map((record) => ({ record, created: true })),
    channels: registered.channels.map((record) => ({ record, created: true })),
  };
}

/** A controller already registered gets the processes and channels of the file it lacks. */
async function completeController(store: Store, actor: Actor, plan: ControllerPlan, controller: Controller): Promise<ControllerOutcome> {
  const processByName = new Map(plan.existingProcesses.map((p) => [p.name, p]));
  const processes: Outcome<Process>[] = [];
  for (const name of plan.layout.processes) {
    const existing = processByName.get(name);
    const outcome = existing ? { record: existing, created: false } : { record: await createProcess(store, actor, controller.id, { name }), created: true };
    processByName.set(name, outcome.record);
    processes.push(outcome);
  }
  const channelByNumber = new Map(plan.existingChannels.map((c) => [c.number, c]));
  const channels: Outcome<Channel>[] = [];
  for (const c of plan.layout.channels) {
    const existing = channelByNumber.get(c.number);
    if (existing) {
      channels.push({ record: existing, created: false });
      continue;
    }
    const processId = c.process ? (processByName.get(c.process)?.id ?? null) : null;
    const { process: _named, ...rest } = c;
    channels.push({ record: await createChannel(store, actor, controller.id, { ...rest, processId }), created: true });
  }
  return { record: controller, created: false, ingestKey: null, processes, channels };
}

/** Checks a parsed site file in full, then writes what is missing. */
export async function importSite(services: LinkServices, actor: Actor, value: unknown, log?: (error: unknown) => void): Promise<SiteImportReport> {
  const plan = await planSiteImport(services.store, actor, parseSiteFile(value));
  return applySitePlan(services, actor, plan, log);
}
