/**
 * Seeds the demo customers through the Store interface: accounts, sites, devices and their
 * history, the history written in bulk (one store transaction per chunk of readings) so a
 * fresh database is ready within seconds, never request by request through HTTP.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createAccount, issueApiToken } from '../domain/accounts.js';
import { authenticate } from '../domain/auth.js';
import { MAX_BATCH_READINGS } from '../domain/ingest.js';
import { PLATFORM_SCOPE } from '../domain/scope.js';
import { keyPrefix } from '../domain/onboarding.js';
import { digestSecret, hashPassword, newIngestKey, newPassword } from '../domain/secrets.js';
import type { Clock } from '../domain/time.js';
import type { Channel, Controller } from '../domain/types.js';
import type { IngestAlarmEvent, IngestReading, Store } from '../store/store.js';
import { catalogControllers, channelsOf, DEMO_CATALOG, DEMO_CUSTOMER_NAME, type CatalogController, type CatalogCustomer, type CatalogFacility } from './catalog.js';
import { alarmEdges, DAY_MS, MINUTE_MS, valueAt, type Signal } from './signals.js';

export interface DemoController {
  serialNumber: string;
  ingestKey: string;
  model: string;
  channels: { number: string; type: string }[];
}
export interface DemoLogin {
  username: string;
  password: string;
  token: string;
}
export interface DemoCredentials {
  admin: DemoLogin;
  otherCustomerUser: DemoLogin;
  controllers: DemoController[];
}
export interface SeedOptions {
  clock: Clock;
  /** Days of history up to now; default 30. */
  days?: number;
  onProgress?: (done: number, total: number, what: string) => void;
}

/** `seedDemo` on a database that already holds the demo customer. */
export class DemoAlreadySeededError extends Error {
  constructor() {
    super(`The demo customer "${DEMO_CUSTOMER_NAME}" already exists; the demo is seeded only into a database without it.`);
    this.name = 'DemoAlreadySeededError';
  }
}

/**
 * A demo credentials file that is there but cannot be used. It is never overwritten: it may
 * be a file the user cares about, named by mistake; a damaged one is theirs to delete.
 */
export class DemoCredentialsFileError extends Error {
  readonly file: string;
  readonly problem: 'unreadable' | 'not-json' | 'not-credentials';
  /** The reason in a few words: the system error code, the JSON error, the missing fields. */
  readonly detail: string;

  constructor(file: string, problem: DemoCredentialsFileError['problem'], detail: string) {
    super(`${file}: ${problem} (${detail})`);
    this.name = 'DemoCredentialsFileError';
    this.file = file;
    this.problem = problem;
    this.detail = detail;
  }
}

export const DEFAULT_HISTORY_DAYS = 30;
export const HISTORY_STEP_MS = 5 * MINUTE_MS;
/** Readings per store.ingest call: the ingest batch limit, so one chunk is one device-sized transaction. */
export const HISTORY_CHUNK_READINGS = MAX_BATCH_READINGS;

/** A seeded controller with what the history writer needs. */
interface SeededController {
  spec: CatalogController;
  controller: Controller;
  ingestKey: string;
  channels: Map<string, Channel>;
}

// --- seeding ------------------------------------------------------------------------------

/** Seeds a fresh database. Throws if the demo customer already exists. */
export async function seedDemo(store: Store, options: SeedOptions): Promise<DemoCredentials> {
  const days = historyDays(options.days);
  if (await store.findCustomerByName(PLATFORM_SCOPE, DEMO_CUSTOMER_NAME)) throw new DemoAlreadySeededError();
  const logins: DemoLogin[] = [];
  const seeded: SeededController[] = [];
  for (const customer of DEMO_CATALOG) {
    const result = await seedCustomer(store, customer, options.clock);
    logins.push(result.login);
    seeded.push(...result.controllers);
  }
  const plan = seedPlan(options.clock.now(), days);
  await writeHistory(store, seeded.map((s) => ({ seeded: s, plan })), options);
  return {
    admin: logins[0]!,
    otherCustomerUser: logins[1]!,
    controllers: seeded.map((s) => demoController(s.controller, s.ingestKey, [...s.channels.values()])),
  };
}

function historyDays(days: number | undefined): number {
  const value = days ?? DEFAULT_HISTORY_DAYS;
  if (!Number.isFinite(value) || value < 0) throw new Error(`Days of demo history must be a number ≥ 0, not ${days}.`);
  return value;
}

async function seedCustomer(store: Store, spec: CatalogCustomer, clock: Clock): Promise<{ login: DemoLogin; controllers: SeededController[] }> {
  const customer = await store.createCustomer(PLATFORM_SCOPE, spec.name);
  const logins: DemoLogin[] = [];
  for (const user of spec.users) {
    const password = newPassword();
    const created = await createAccount(store, PLATFORM_SCOPE, { customerId: customer.id, email: user.email, name: user.name, role: user.role, password });
    const { token } = await issueApiToken(store, created.id, clock);
    logins.push({ username: created.email, password, token });
  }
  const controllers: SeededController[] = [];
  for (const facility of spec.facilities) controllers.push(...(await seedFacility(store, customer.id, facility)));
  return { login: logins[0]!, controllers };
}

async function seedFacility(store: Store, customerId: number, spec: CatalogFacility): Promise<SeededController[]> {
  const facility = await store.createFacility(PLATFORM_SCOPE, {
    customerId,
    name: spec.name,
    address: spec.address,
    latitude: spec.latitude,
    longitude: spec.longitude,
    timeZone: spec.timeZone,
  });
  const seeded: SeededController[] = [];
  for (const controller of spec.controllers) seeded.push(await seedController(store, facility.id, controller));
  return seeded;
}

async function seedController(store: Store, facilityId: number, spec: CatalogController): Promise<SeededController> {
  const ingestKey = newIngestKey();
  const sensor = spec.flowSensor;
  const controller = await store.createController(PLATFORM_SCOPE, {
    facilityId,
    serialNumber: spec.serialNumber,
    model: spec.model,
    name: spec.name,
    ingestKeyHash: digestSecret(ingestKey),
    // The key's record keeps its first characters, as registration does, so the admin's key table can tell it apart.
    ingestKeyPrefix: keyPrefix(ingestKey),
    ...(sensor
      ? { pipeDiameter: sensor.pipeDiameter, activatedAt: Date.parse(sensor.activatedAt), latitude: sensor.latitude, longitude: sensor.longitude, tag: sensor.tag }
      : {}),
  });
  const processIds = new Map<string, number>();
  for (const process of spec.processes) {
    processIds.set(process.name, (await store.createProcess(PLATFORM_SCOPE, { controllerId: controller.id, name: process.name })).id);
  }
  const channels = new Map<string, Channel>();
  for (const { channel, process } of channelsOf(spec)) {
    const created = await store.createChannel(PLATFORM_SCOPE, {
      controllerId: controller.id,
      processId: process === null ? null : processIds.get(process)!,
      number: channel.number,
      name: channel.name,
      kind: channel.kind,
      type: channel.type,
      unit: channel.unit,
    });
    channels.set(channel.number, created);
  }
  return { spec, controller, ingestKey, channels };
}

function demoController(controller: Controller, ingestKey: string, channels: Channel[]): DemoController {
  return { serialNumber: controller.serialNumber, ingestKey, model: controller.model, channels: channels.map((c) => ({ number: c.number, type: c.type })) };
}

// --- history ------------------------------------------------------------------------------

/** What to write for one controller: readings on the five-minute grid and alarm edges. */
interface HistoryPlan {
  /** Inclusive grid steps; the same instants whatever the second the seeding runs at. */
  firstStep: number;
  lastStep: number;
  /** Alarm edges in (alarmsAfter, now]; with `includeOngoing`, an episode in progress at alarmsAfter is raised too. */
  alarmsAfter: number;
  includeOngoing: boolean;
  now: number;
}

function gridStepAtOrBefore(t: number): number {
  return Math.floor(t / HISTORY_STEP_MS) * HISTORY_STEP_MS;
}

function seedPlan(now: number, days: number): HistoryPlan {
  const lastStep = gridStepAtOrBefore(now);
  const firstStep = lastStep - Math.round((days * DAY_MS) / HISTORY_STEP_MS) * HISTORY_STEP_MS;
  return { firstStep, lastStep, alarmsAfter: firstStep, includeOngoing: true, now };
}

/** Channels with a process: the only ones whose history Flowline would have stored. */
function storedChannels(seeded: SeededController): { channel: Channel; signal: Signal }[] {
  return channelsOf(seeded.spec)
    .filter(({ process }) => process !== null)
    .flatMap(({ channel }) => {
      const stored = seeded.channels.get(channel.number);
      return stored && stored.processId !== null ? [{ channel: stored, signal: channel.signal }] : [];
    });
}

function historyAlarms(seeded: SeededController, plan: HistoryPlan): IngestAlarmEvent[] {
  return seeded.spec.alarms
    .filter((alarm) => alarm.channel === undefined || seeded.channels.has(alarm.channel))
    .flatMap((alarm) =>
      alarmEdges(alarm.schedule, plan.alarmsAfter, plan.now, plan.includeOngoing).map((edge) => ({
        action: edge.action,
        channelId: alarm.channel === undefined ? null : seeded.channels.get(alarm.channel)!.id,
        code: alarm.code,
        type: alarm.type,
        severity: alarm.severity,
        message: alarm.message,
        time: edge.time,
      })),
    )
    .sort((a, b) => a.time - b.time);
}

function plannedReadings(seeded: SeededController, plan: HistoryPlan): number {
  const steps = plan.lastStep < plan.firstStep ? 0 : (plan.lastStep - plan.firstStep) / HISTORY_STEP_MS + 1;
  return storedChannels(seeded).length * steps;
}

async function writeHistory(store: Store, work: { seeded: SeededController; plan: HistoryPlan }[], options: SeedOptions): Promise<void> {
  const total = work.reduce((sum, w) => sum + plannedReadings(w.seeded, w.plan), 0);
  let done = 0;
  for (const { seeded, plan } of work) {
    const what = `demo history ${seeded.controller.name} (${seeded.controller.serialNumber})`;
    for await (const written of writeControllerHistory(store, seeded, plan, options.clock)) {
      done += written;
      options.onProgress?.(done, total, what);
    }
  }
}

/** Writes one controller's history chunk by chunk, yielding the readings written by each. */
async function* writeControllerHistory(store: Store, seeded: SeededController, plan: HistoryPlan, clock: Clock): AsyncGenerator<number> {
  const channels = storedChannels(seeded);
  const alarms = historyAlarms(seeded, plan);
  const stepsPerChunk = Math.max(1, Math.floor(HISTORY_CHUNK_READINGS / Math.max(1, channels.length)));
  let nextAlarm = 0;
  for (let chunkStart = plan.firstStep; chunkStart <= plan.lastStep || nextAlarm < alarms.length; chunkStart += stepsPerChunk * HISTORY_STEP_MS) {
    const chunkEnd = Math.min(plan.lastStep, chunkStart + (stepsPerChunk - 1) * HISTORY_STEP_MS);
    const readings: IngestReading[] = [];
    for (let t = chunkStart; t <= chunkEnd; t += HISTORY_STEP_MS) {
      for (const { channel, signal } of channels) readings.push({ channelId: channel.id, time: t, value: valueAt(signal, t) });
    }
    // Alarm edges travel with the readings of their time; the last chunk takes those up to now.
    const alarmsUntil = chunkEnd >= plan.lastStep ? plan.now : chunkEnd;
    const chunkAlarms: IngestAlarmEvent[] = [];
    while (nextAlarm < alarms.length && alarms[nextAlarm]!.time <= alarmsUntil) chunkAlarms.push(alarms[nextAlarm++]!);
    if (readings.length > 0 || chunkAlarms.length > 0) await store.ingest(seeded.controller.id, { readings, alarms: chunkAlarms }, clock.now());
    yield readings.length;
  }
}

/**
 * After a pause (the server was stopped), writes what the devices would have buffered and
 * resent: readings from each controller's newest reading up to now (at most `days` back) and
 * the alarm edges of the gap. The simulator then carries on from a store that matches the
 * signals, so charts have no hole and alarm states are right.
 */
async function catchUpHistory(store: Store, days: number, options: SeedOptions): Promise<void> {
  const now = options.clock.now();
  const lastStep = gridStepAtOrBefore(now);
  const work: { seeded: SeededController; plan: HistoryPlan }[] = [];
  for (const spec of catalogControllers()) {
    const controller = await store.getControllerBySerial(PLATFORM_SCOPE, spec.serialNumber);
    if (!controller) continue;
    const channels = new Map((await store.listChannels(PLATFORM_SCOPE, { controllerId: controller.id })).map((c) => [c.number, c]));
    const seeded: SeededController = { spec, controller, ingestKey: '', channels };
    // The newest reading marks how far this controller's readings and alarm edges were delivered.
    const newest = Math.max(...storedChannels(seeded).map(({ channel }) => channel.latestTime ?? Number.NEGATIVE_INFINITY));
    if (!Number.isFinite(newest) || newest >= now) continue;
    const from = Math.max(newest, lastStep - days * DAY_MS);
    work.push({ seeded, plan: { firstStep: gridStepAtOrBefore(from) + HISTORY_STEP_MS, lastStep, alarmsAfter: from, includeOngoing: false, now } });
  }
  await writeHistory(store, work, options);
}

// --- npm start: seed once, then reuse ----------------------------------------------------

/** Why `ensureDemo` issued new secrets for an already seeded database. */
export type ReissueReason = 'file-missing' | 'file-stale';

export interface EnsuredDemo {
  credentials: DemoCredentials;
  /** True when this call seeded an empty database. */
  seeded: boolean;
  /** Set when the credentials were issued afresh, which revokes the previous ones. */
  reissued: ReissueReason | null;
}

/**
 * `npm start` path: seeds the demo when its customer is absent and writes `file`. Otherwise
 * fills the gap since the last run, and reuses the credentials in `file` if they still
 * authenticate, or issues fresh ones. A `file` that is there but not a credentials file
 * stops it (DemoCredentialsFileError) rather than being overwritten.
 */
export async function ensureDemo(store: Store, options: SeedOptions & { file: string }): Promise<EnsuredDemo> {
  const saved = readCredentialsFile(options.file);
  if (!(await store.findCustomerByName(PLATFORM_SCOPE, DEMO_CUSTOMER_NAME))) {
    const credentials = await seedDemo(store, options);
    writeCredentialsFile(options.file, credentials);
    return { credentials, seeded: true, reissued: null };
  }
  await catchUpHistory(store, historyDays(options.days), options);
  if (saved && (await credentialsStillValid(store, saved))) return { credentials: saved, seeded: false, reissued: null };
  const credentials = await reissueCredentials(store, options.clock);
  writeCredentialsFile(options.file, credentials);
  return { credentials, seeded: false, reissued: saved ? 'file-stale' : 'file-missing' };
}

/** Owner-only, and replaced in one rename so a crash never leaves half a file. */
export function writeCredentialsFile(file: string, credentials: DemoCredentials): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

/**
 * The credentials in `file`, or null when there is no such file. A file that cannot be read,
 * is not JSON or lacks the credentials throws DemoCredentialsFileError.
 */
export function readCredentialsFile(file: string): DemoCredentials | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    if (code === 'ENOENT') return null;
    throw new DemoCredentialsFileError(file, 'unreadable', code === 'EISDIR' ? 'it is a folder' : code);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON.parse's message: it quotes the text, which may hold a token.
    throw new DemoCredentialsFileError(file, 'not-json', 'not JSON');
  }
  if (!isDemoCredentials(parsed)) throw new DemoCredentialsFileError(file, 'not-credentials', 'it needs admin, otherCustomerUser and controllers');
  return parsed;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isLogin(value: unknown): value is DemoLogin {
  return isRecord(value) && typeof value.username === 'string' && typeof value.password === 'string' && typeof value.token === 'string';
}

function isDemoController(value: unknown): value is DemoController {
  return (
    isRecord(value) &&
    typeof value.serialNumber === 'string' &&
    typeof value.ingestKey === 'string' &&
    typeof value.model === 'string' &&
    Array.isArray(value.channels) &&
    value.channels.every((c: unknown) => isRecord(c) && typeof c.number === 'string' && typeof c.type === 'string')
  );
}

function isDemoCredentials(value: unknown): value is DemoCredentials {
  return isRecord(value) && isLogin(value.admin) && isLogin(value.otherCustomerUser) && Array.isArray(value.controllers) && value.controllers.every(isDemoController);
}

async function loginStillValid(store: Store, login: DemoLogin): Promise<boolean> {
  try {
    const byToken = await authenticate(store, { scheme: 'token', token: login.token });
    const byPassword = await authenticate(store, { scheme: 'basic', username: login.username, secret: login.password });
    return byToken.kind === 'user' && byPassword.kind === 'user' && byToken.userId === byPassword.userId && byPassword.method === 'password';
  } catch {
    return false;
  }
}

async function credentialsStillValid(store: Store, credentials: DemoCredentials): Promise<boolean> {
  if (!(await loginStillValid(store, credentials.admin)) || !(await loginStillValid(store, credentials.otherCustomerUser))) return false;
  for (const c of credentials.controllers) {
    const controller = await store.findControllerByIngestKeyHash(digestSecret(c.ingestKey));
    if (controller?.serialNumber !== c.serialNumber) return false;
  }
  return credentials.controllers.length > 0;
}

/** A seeded database whose credentials file is lost or stale: new secrets for the same accounts and devices. */
async function reissueCredentials(store: Store, clock: Clock): Promise<DemoCredentials> {
  const logins: DemoLogin[] = [];
  for (const customer of DEMO_CATALOG) logins.push(await reissueLogin(store, customer.users[0]!.email, clock));
  const controllers: DemoController[] = [];
  for (const spec of catalogControllers()) {
    // A controller missing from a seeded database was removed on purpose; feed the others.
    const controller = await store.getControllerBySerial(PLATFORM_SCOPE, spec.serialNumber);
    if (!controller) continue;
    const ingestKey = newIngestKey();
    const at = clock.now();
    await store.rotateIngestKey(PLATFORM_SCOPE, controller.id, { keyHash: digestSecret(ingestKey), prefix: keyPrefix(ingestKey), at }, at);
    controllers.push(demoController(controller, ingestKey, await store.listChannels(PLATFORM_SCOPE, { controllerId: controller.id })));
  }
  return { admin: logins[0]!, otherCustomerUser: logins[1]!, controllers };
}

async function reissueLogin(store: Store, email: string, clock: Clock): Promise<DemoLogin> {
  const user = await store.findUserCredentialsByEmail(email);
  if (!user) {
    throw new Error(
      `The demo customer exists but its user ${email} does not (an interrupted seeding?). Start from an empty database, or create the user with \`flowline user create\`.`,
    );
  }
  const password = newPassword();
  await store.setUserPassword(user.id, await hashPassword(password));
  const { token } = await issueApiToken(store, user.id, clock);
  return { username: user.email, password, token };
}
