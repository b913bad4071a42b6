import type { Scope } from '../domain/scope.js';
import type {
  ApiClient,
  ApiClientCredentials,
  Alarm,
  AlarmSeverity,
  Channel,
  Controller,
  Customer,
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
import type { Ping } from '../domain/volume.js';
import type { DialectName } from './dialects/dialect.js';
import type { RecordQuery, RecordRow, RecordWrite } from './record-query.js';
import type { ModelDef } from '../domain/models.js';
import type { CustomerPatch } from './repositories/customers.repository.js';
import type { NewPasswordLink, NewUser, PasswordLinkInfo, UserPatch } from './repositories/users.repository.js';
import type { ChannelPatch, ControllerPatch, FacilityPatch, NewChannel, NewController, NewFacility, NewProcess, RegisteredChannel, RegisteredController } from './repositories/sites.repository.js';
import type { NewIngestKey } from './repositories/ingest-keys.repository.js';
import type { ActiveSession, NewSession, SessionRecord } from './repositories/sessions.repository.js';

export type { CustomerPatch } from './repositories/customers.repository.js';
export type { NewUser, NewPasswordLink, PasswordLinkInfo, UserPatch } from './repositories/users.repository.js';
export type { NewFacility, FacilityPatch, NewController, ControllerPatch, NewProcess, NewChannel, ChannelPatch, RegisteredChannel } from './repositories/sites.repository.js';
export type { NewIngestKey } from './repositories/ingest-keys.repository.js';
export type { ActiveSession, NewSession, SessionRecord } from './repositories/sessions.repository.js';

/** One reading of an ingest batch, already resolved to a channel that has a process. */
export interface IngestReading {
  channelId: number;
  time: number;
  value: number;
}

export interface IngestAlarmEvent {
  action: 'raise' | 'clear';
  channelId: number | null;
  code: number;
  type: string;
  severity: AlarmSeverity;
  message: string;
  time: number;
}

export interface IngestBatch {
  readings: IngestReading[];
  alarms: IngestAlarmEvent[];
}

export interface IngestOutcome {
  /** Readings written by this batch, with their new ids. */
  stored: Reading[];
  /** Readings whose (channel, time) was already stored: a resend, left as it was. */
  duplicates: number;
  raised: Alarm[];
  cleared: Alarm[];
  /** Raises of an alarm already active, or clears with nothing active to clear. */
  alarmEventsIgnored: number;
}

export interface ReadingQuery {
  channelId: number;
  /** Inclusive bounds, epoch ms. */
  from?: number;
  to?: number;
  order: 'asc' | 'desc';
  limit: number;
  offset?: number;
}

/** Readings of several channels, ordered by (time, channel id), one page at a time. */
export interface ReadingPageQuery {
  channelIds: number[];
  /** Half-open range [from, to), epoch ms. */
  from: number;
  to: number;
  order: 'asc' | 'desc';
  limit: number;
  /** Continue strictly after this row, in the query's order (a keyset cursor). */
  after?: { time: number; channelId: number };
}

export interface DownsampleQuery {
  channelIds: number[];
  /** Half-open range [from, to), epoch ms. */
  from: number;
  to: number;
  /** Bucket width; buckets start at whole multiples of it since the epoch (UTC). */
  intervalMs: number;
}

/** One channel's readings within one bucket, aggregated by the database. */
export interface ReadingBucket {
  channelId: number;
  start: number;
  min: number;
  max: number;
  avg: number;
  /** The value of the bucket's latest reading. */
  last: number;
  count: number;
}

export type RollupGrain = 'hour' | 'day';

/** A chart series of one channel: buckets of `intervalMs` overlapping [from, to). */
export interface SeriesQuery {
  channelId: number;
  from: number;
  to: number;
  /** A multiple of a minute that divides an hour, or a multiple of an hour that divides a day, or whole days. */
  intervalMs: number;
}

/** One bucket of a series: the aggregates of the readings whose time falls in it. */
export interface SeriesBucket {
  /** Epoch ms, a whole multiple of the interval (UTC). */
  start: number;
  min: number;
  max: number;
  avg: number;
  /** The value of the bucket's latest reading. */
  last: number;
  count: number;
}

export interface NewWebhookEndpoint {
  customerId: number;
  kind: WebhookKind;
  url: string;
  secretCiphertext: string;
  eventTypes: string[];
  controllerIds?: number[] | null;
  processIds?: number[] | null;
  expiresAt?: number | null;
  enabled?: boolean;
  /** The service's clock, so that created-at and expires-at agree; the store's clock otherwise. */
  createdAt?: number;
}

export interface WebhookEndpointPatch {
  url?: string;
  enabled?: boolean;
  secretCiphertext?: string;
  eventTypes?: string[];
  controllerIds?: number[] | null;
  processIds?: number[] | null;
  expiresAt?: number | null;
}

/** A delivery claimed by a worker, with what sending it needs. */
export interface ClaimedDelivery extends WebhookDelivery {
  /** The claim: its result is recorded only while the claim still holds (not after a re-send). */
  leasedUntil: number;
  url: string;
  secretCiphertext: string;
  endpointKind: WebhookKind;
  failingSince: number | null;
}

/** What one attempt to send a delivery came to. */
export interface DeliveryAttempt {
  at: number;
  status: number | null;
  error: string | null;
  latencyMs: number;
  /** delivered; retry at `nextAttemptAt`; or failed for good. */
  outcome: 'delivered' | 'retry' | 'failed';
  nextAttemptAt?: number;
}

export interface FlowBucket {
  /** Start of the UTC hour or day. */
  start: number;
  volume: number;
  pings: number;
}

export interface AlarmQuery {
  controllerId?: number;
  activeOnly?: boolean;
  /** Half-open range [raisedFrom, raisedTo) on raised_at, epoch ms. */
  raisedFrom?: number;
  raisedTo?: number;
  severities?: AlarmSeverity[];
  /** Newest first; continue strictly after this alarm (a keyset cursor). */
  before?: { raisedAt: number; id: number };
  limit: number;
}

/**
 * The one storage interface. Methods over tenant data take the caller's scope first and
 * behave as if records outside it did not exist (null / empty / not-found), so that no
 * route can forget a tenant check. Unscoped methods serve device and login authentication.
 */
export interface Store {
  readonly dialect: DialectName;

  migrate(): Promise<string[]>;
  /** Name of the newest applied migration, or null on an empty database. */
  currentMigration(): Promise<string | null>;
  latestMigration(): string;
  ping(): Promise<void>;
  close(): Promise<void>;

  createCustomer(scope: Scope, name: string): Promise<Customer>;
  listCustomers(scope: Scope): Promise<Customer[]>;
  getCustomer(scope: Scope, id: number): Promise<Customer | null>;
  findCustomerByName(scope: Scope, name: string): Promise<Customer | null>;
  /** Rename, disable or enable; platform operators only (the domain checks roles). */
  updateCustomer(scope: Scope, id: number, patch: CustomerPatch): Promise<Customer | null>;

  createFacility(scope: Scope, input: NewFacility): Promise<Facility>;
  listFacilities(scope: Scope, filter?: { customerId?: number }): Promise<Facility[]>;
  getFacility(scope: Scope, id: number): Promise<Facility | null>;
  updateFacility(scope: Scope, id: number, patch: FacilityPatch): Promise<Facility | null>;

  createController(scope: Scope, input: NewController): Promise<Controller>;
  listControllers(scope: Scope, filter?: { model?: string; facilityId?: number }): Promise<Controller[]>;
  getController(scope: Scope, id: number): Promise<Controller | null>;
  getControllerBySerial(scope: Scope, serialNumber: string): Promise<Controller | null>;
  /** A controller with its processes and channels, in one transaction: a failure leaves nothing. */
  registerController(scope: Scope, input: NewController, processNames: readonly string[], channels: readonly RegisteredChannel[]): Promise<RegisteredController>;
  /** Moves a controller between its customer's facilities, renames it, …; a foreign facility is not found. */
  updateController(scope: Scope, id: number, patch: ControllerPatch): Promise<Controller | null>;
  /** Replaces every live ingest key of the controller with this one, at once. */
  setControllerIngestKey(scope: Scope, id: number, ingestKeyHash: string): Promise<void>;
  /** Adds an ingest key; the controller's other live keys stop at `retireOthersAt` (an overlap, or now). */
  rotateIngestKey(scope: Scope, controllerId: number, key: NewIngestKey, retireOthersAt: number): Promise<IngestKey>;
  listIngestKeys(scope: Scope, controllerId: number): Promise<IngestKey[]>;
  /** Revokes one key (by id) or every live key of the controller; how many. */
  revokeIngestKeys(scope: Scope, controllerId: number, at: number, keyId?: number): Promise<number>;
  /** Device authentication: unscoped by nature. A revoked, expired or disabled customer's key finds nothing. */
  findControllerByIngestKeyHash(ingestKeyHash: string, now?: number): Promise<Controller | null>;

  createProcess(scope: Scope, input: NewProcess): Promise<Process>;
  listProcesses(scope: Scope, filter?: { controllerId?: number }): Promise<Process[]>;
  getProcess(scope: Scope, id: number): Promise<Process | null>;
  updateProcess(scope: Scope, id: number, patch: { name?: string }): Promise<Process | null>;

  createChannel(scope: Scope, input: NewChannel): Promise<Channel>;
  listChannels(scope: Scope, filter?: { controllerId?: number; processId?: number }): Promise<Channel[]>;
  getChannel(scope: Scope, id: number): Promise<Channel | null>;
  /** A process of another controller is a 422. */
  updateChannel(scope: Scope, id: number, patch: ChannelPatch): Promise<Channel | null>;

  /**
   * Writes one device batch in one transaction: readings (ignoring resent (channel, time)
   * pairs), channel latest values, the controller's last_seen_at, alarm raises and clears.
   * The caller has checked that every channel belongs to `controllerId`.
   */
  ingest(controllerId: number, batch: IngestBatch, receivedAt: number): Promise<IngestOutcome>;
  listReadings(scope: Scope, query: ReadingQuery): Promise<Reading[]>;
  countReadings(scope: Scope, channelId: number): Promise<number>;
  /** Channels outside the scope contribute nothing. */
  listReadingsPage(scope: Scope, query: ReadingPageQuery): Promise<Reading[]>;
  /** Buckets ordered by (start, channel id); channels outside the scope contribute nothing. */
  downsampleReadings(scope: Scope, query: DownsampleQuery): Promise<ReadingBucket[]>;
  /**
   * A channel's series buckets that overlap [from, to), whole, oldest first; buckets without
   * readings are absent. Computed in the database: from channel_days or channel_hours when the
   * interval is whole hours, else from raw readings. A channel outside the scope has none.
   */
  channelSeries(scope: Scope, query: SeriesQuery): Promise<SeriesBucket[]>;
  /** Readings with from <= time < to (half-open). */
  countReadingsBetween(scope: Scope, channelId: number, from: number, to: number): Promise<number>;

  /**
   * Pings of a channel in [from, to) plus its nearest neighbours outside, sorted by time:
   * what integrating exactly over [from, to) needs. Callers keep the range short (an hour).
   */
  pingWindow(scope: Scope, channelId: number, from: number, to: number): Promise<Ping[]>;
  /** Sum of the rollup buckets (flowrate channels) starting in [from, to). */
  sumFlowBuckets(scope: Scope, channelId: number, grain: RollupGrain, from: number, to: number): Promise<{ volume: number; pings: number }>;
  /** The hourly rollup buckets starting in [from, to), oldest first; hours without data are absent. */
  listFlowHours(scope: Scope, channelId: number, from: number, to: number): Promise<FlowBucket[]>;

  listAlarms(scope: Scope, query: AlarmQuery): Promise<Alarm[]>;
  /**
   * A system job, unscoped by nature: raises the server's no-data alarm on each controller last
   * seen before `silentSince` that has none active, at most once however many processes run it.
   */
  raiseNoDataAlarms(silentSince: number, at: number): Promise<Alarm[]>;

  createWebhookEndpoint(scope: Scope, input: NewWebhookEndpoint): Promise<WebhookEndpoint>;
  listWebhookEndpoints(scope: Scope, filter: { kind: WebhookKind }): Promise<WebhookEndpoint[]>;
  getWebhookEndpoint(scope: Scope, id: number): Promise<WebhookEndpoint | null>;
  /** The endpoint's sealed signing secret (for showing to its owner or signing). */
  getWebhookSecret(scope: Scope, id: number): Promise<string | null>;
  updateWebhookEndpoint(scope: Scope, id: number, patch: WebhookEndpointPatch, at: number): Promise<WebhookEndpoint | null>;
  deleteWebhookEndpoint(scope: Scope, id: number): Promise<boolean>;
  /** Newest first; continue before `beforeId`. */
  listDeliveries(scope: Scope, endpointId: number, query: { limit: number; beforeId?: number; offset?: number }): Promise<WebhookDelivery[]>;
  countDeliveries(scope: Scope, endpointId: number): Promise<number>;
  /** Queues one delivery (a test event) for an endpoint in scope, due now; null when the endpoint is not in scope. */
  queueDelivery(scope: Scope, endpointId: number, event: { eventType: string; payload: string }, at: number): Promise<WebhookDelivery | null>;
  /** Queues deliveries of the endpoint again (one by id, or those created in [from, to)); returns how many. */
  resendDeliveries(scope: Scope, endpointId: number, which: { deliveryId: number } | { from: number; to: number }, at: number): Promise<number>;
  /**
   * A worker's claim on up to `limit` due deliveries, leased until `now + leaseMs` so that no
   * other worker (or process) takes them meanwhile; a crashed worker's lease lapses.
   */
  claimDeliveries(now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]>;
  /** Records attempts in one transaction (a worker flushes what finished together). */
  recordDeliveryAttempts(results: readonly { delivery: ClaimedDelivery; attempt: DeliveryAttempt }[]): Promise<void>;

  /** The Fluxx face's generic reads: chosen fields of one model's rows in scope, filtered, sorted, paged. */
  queryRecords(scope: Scope, query: RecordQuery, now: number): Promise<{ rows: RecordRow[]; total: number }>;
  /** Creates, updates or deletes one record of a model in scope; the id, or null when it is not there. A duplicate is 409. */
  writeRecord(scope: Scope, model: ModelDef, write: RecordWrite): Promise<number | null>;

  createApiClient(scope: Scope, input: { customerId: number; name: string; clientId: string; secretHash: string; role: Role; createdBy: number | null }): Promise<ApiClient>;
  listApiClients(scope: Scope): Promise<ApiClient[]>;
  deleteApiClient(scope: Scope, id: number): Promise<boolean>;
  /** Token exchange: unscoped by nature. */
  findApiClientCredentials(clientId: string): Promise<ApiClientCredentials | null>;
  storeAccessToken(apiClientId: number, tokenHash: string, expiresAt: number, at: number): Promise<void>;
  /** The client an unexpired access token belongs to (authentication: unscoped by nature). */
  findApiClientByAccessTokenHash(tokenHash: string, now: number): Promise<ApiClient | null>;

  createUser(scope: Scope, input: NewUser): Promise<User>;
  listUsers(scope: Scope, filter?: { customerId?: number }): Promise<User[]>;
  getUser(scope: Scope, id: number): Promise<User | null>;
  updateUser(scope: Scope, id: number, patch: UserPatch): Promise<User | null>;
  /** Login: unscoped by nature. E-mail addresses compare case-insensitively. */
  findUserCredentialsByEmail(email: string): Promise<UserCredentials | null>;
  findUserCredentialsByTokenHash(tokenHash: string): Promise<UserCredentials | null>;
  /** Keeps the first acceptance of the API terms (the first token records it); answers its time. */
  setUserApiToken(userId: number, tokenHash: string, at: number): Promise<number>;
  setUserPassword(userId: number, passwordHash: string): Promise<void>;
  /** A new link replaces the user's unused ones. */
  createPasswordLink(link: NewPasswordLink): Promise<void>;
  /** An unused, unexpired link of an enabled user; null otherwise (unscoped: the link is the credential). */
  findPasswordLink(tokenHash: string, now: number): Promise<PasswordLinkInfo | null>;
  /** Uses the link once and sets the password; null when it cannot be used. */
  redeemPasswordLink(tokenHash: string, passwordHash: string, now: number): Promise<User | null>;

  /**
   * A web-app session (the token kept as a digest); clears the user's expired ones. Null, and
   * nothing stored, when the user's password hash is no longer `session.passwordHash` or the
   * user is disabled (a sign-in that raced a password change).
   */
  createSession(session: NewSession): Promise<SessionRecord | null>;
  /** The live session of a token digest and its user (unscoped: the token is the credential); null when expired or idle since `idleSince`. */
  findActiveSession(tokenHash: string, now: number, idleSince: number): Promise<ActiveSession | null>;
  /** Records use of a session (for the idle limit). */
  touchSession(id: number, at: number): Promise<void>;
  deleteSession(id: number): Promise<void>;
  /** Ends all the user's sessions, but `exceptId`. */
  deleteUserSessions(userId: number, exceptId?: number): Promise<void>;
  /** Ends all the sessions of the customer's users. */
  deleteCustomerSessions(customerId: number): Promise<void>;
}
