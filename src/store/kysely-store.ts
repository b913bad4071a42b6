import { sql, type Kysely } from 'kysely';
import { ERRORS } from '../errors.js';
import { canSeeCustomer, type Scope } from '../domain/scope.js';
import { NO_DATA_ALARM, SERVER_ALARM_TYPE } from '../domain/server-alarms.js';
import type { Alarm, Reading, Role } from '../domain/types.js';
import type { StoreDialect } from './dialects/dialect.js';
import { latestMigrationName, migrateToLatest } from './migrations/index.js';
import {
  toAlarm,
  toChannel,
  toController,
  toReading,
  toApiClient,
  toWebhookDelivery,
  toWebhookEndpoint,
} from './mappers.js';
import { deliveriesFor } from '../webhooks/fan-out.js';
import { RETRY_FOR_MS } from '../webhooks/backoff.js';
import { formatIsoSeconds } from '../domain/time.js';
import { queryRecords, writeRecord, type RecordQuery, type RecordWrite } from './record-query.js';
import type { ModelDef } from '../domain/models.js';
import { randomBytes } from 'node:crypto';
import type { Database } from './schema.js';
import { channelInScope, inScope, uniqueOrConflict, type Executor } from './scoped-query.js';
import { CustomersRepository, type CustomerPatch } from './repositories/customers.repository.js';
import { UsersRepository, type NewPasswordLink, type NewUser, type UserPatch } from './repositories/users.repository.js';
import { IngestKeysRepository, type NewIngestKey } from './repositories/ingest-keys.repository.js';
import { SessionsRepository, type NewSession } from './repositories/sessions.repository.js';
import {
  SitesRepository,
  type ChannelPatch,
  type ControllerPatch,
  type FacilityPatch,
  type NewChannel,
  type NewController,
  type NewFacility,
  type NewProcess,
  type RegisteredChannel,
} from './repositories/sites.repository.js';
import { refreshChannelBuckets, seriesBuckets } from './channel-rollups.js';
import { flowHoursBetween, pingWindow, refreshFlowRollups, ROLLUP_CHANNEL_TYPE } from './rollups.js';
import type {
  AlarmQuery,
  ClaimedDelivery,
  DeliveryAttempt,
  DownsampleQuery,
  IngestAlarmEvent,
  IngestBatch,
  IngestOutcome,
  IngestReading,
  NewWebhookEndpoint,
  ReadingPageQuery,
  ReadingQuery,
  RollupGrain,
  SeriesQuery,
  Store,
  WebhookEndpointPatch,
} from './store.js';

/** The store over any Kysely dialect; what differs between engines lives in `dialects/`. */
export class KyselyStore implements Store {
  readonly #db: Kysely<Database>;
  readonly #dialect: StoreDialect;
  readonly #now: () => number;

  readonly #customers: CustomersRepository;
  readonly #users: UsersRepository;
  readonly #sites: SitesRepository;
  readonly #ingestKeys: IngestKeysRepository;
  readonly #sessions: SessionsRepository;

  constructor(db: Kysely<Database>, dialect: StoreDialect, now: () => number = Date.now) {
    this.#db = db;
    this.#dialect = dialect;
    this.#now = now;
    const ctx = { db, dialect, now };
    this.#customers = new CustomersRepository(ctx);
    this.#users = new UsersRepository(ctx, this.#customers);
    this.#ingestKeys = new IngestKeysRepository(ctx);
    this.#sites = new SitesRepository(ctx, this.#customers, this.#ingestKeys);
    this.#sessions = new SessionsRepository(ctx);
  }

  get dialect() {
    return this.#dialect.name;
  }

  /** For the few callers (tests, benchmarks) that need raw SQL; never used by routes. */
  get kysely(): Kysely<Database> {
    return this.#db;
  }

  async migrate(): Promise<string[]> {
    const result = await migrateToLatest(this.#db as Kysely<unknown>, this.#dialect);
    return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  async currentMigration(): Promise<string | null> {
    try {
      const row = await sql<{ name: string }>`select name from flowline_migrations order by name desc limit 1`.execute(this.#db);
      return row.rows[0]?.name ?? null;
    } catch {
      return null;
    }
  }

  latestMigration(): string {
    return latestMigrationName(this.#dialect);
  }

  ping(): Promise<void> {
    return this.#dialect.ping(this.#db as Kysely<unknown>);
  }

  close(): Promise<void> {
    return this.#db.destroy();
  }

  // --- customers, sites, ingest keys (repositories) --------------------------------------

  createCustomer(scope: Scope, name: string) {
    return this.#customers.create(scope, name);
  }
  listCustomers(scope: Scope) {
    return this.#customers.list(scope);
  }
  getCustomer(scope: Scope, id: number) {
    return this.#customers.get(scope, id);
  }
  findCustomerByName(scope: Scope, name: string) {
    return this.#customers.findByName(scope, name);
  }
  updateCustomer(scope: Scope, id: number, patch: CustomerPatch) {
    return this.#customers.update(scope, id, patch);
  }

  createFacility(scope: Scope, input: NewFacility) {
    return this.#sites.createFacility(scope, input);
  }
  listFacilities(scope: Scope, filter?: { customerId?: number }) {
    return this.#sites.listFacilities(scope, filter);
  }
  getFacility(scope: Scope, id: number) {
    return this.#sites.getFacility(scope, id);
  }
  updateFacility(scope: Scope, id: number, patch: FacilityPatch) {
    return this.#sites.updateFacility(scope, id, patch);
  }

  createController(scope: Scope, input: NewController) {
    return this.#sites.createController(scope, input);
  }
  listControllers(scope: Scope, filter?: { model?: string; facilityId?: number }) {
    return this.#sites.listControllers(scope, filter);
  }
  getController(scope: Scope, id: number) {
    return this.#sites.getController(scope, id);
  }
  getControllerBySerial(scope: Scope, serialNumber: string) {
    return this.#sites.getControllerBySerial(scope, serialNumber);
  }
  registerController(scope: Scope, input: NewController, processNames: readonly string[], channels: readonly RegisteredChannel[]) {
    return this.#sites.registerController(scope, input, processNames, channels);
  }
  updateController(scope: Scope, id: number, patch: ControllerPatch) {
    return this.#sites.updateController(scope, id, patch);
  }

  async setControllerIngestKey(scope: Scope, id: number, ingestKeyHash: string) {
    const at = this.#now();
    await this.#ingestKeys.rotate(scope, id, { keyHash: ingestKeyHash, prefix: '', at }, at);
  }
  rotateIngestKey(scope: Scope, controllerId: number, key: NewIngestKey, retireOthersAt: number) {
    return this.#ingestKeys.rotate(scope, controllerId, key, retireOthersAt);
  }
  listIngestKeys(scope: Scope, controllerId: number) {
    return this.#ingestKeys.list(scope, controllerId);
  }
  revokeIngestKeys(scope: Scope, controllerId: number, at: number, keyId?: number) {
    return this.#ingestKeys.revoke(scope, controllerId, at, keyId);
  }
  findControllerByIngestKeyHash(ingestKeyHash: string, now = this.#now()) {
    return this.#ingestKeys.findController(ingestKeyHash, now);
  }

  createProcess(scope: Scope, input: NewProcess) {
    return this.#sites.createProcess(scope, input);
  }
  listProcesses(scope: Scope, filter?: { controllerId?: number }) {
    return this.#sites.listProcesses(scope, filter);
  }
  getProcess(scope: Scope, id: number) {
    return this.#sites.getProcess(scope, id);
  }
  updateProcess(scope: Scope, id: number, patch: { name?: string }) {
    return this.#sites.updateProcess(scope, id, patch);
  }

  createChannel(scope: Scope, input: NewChannel) {
    return this.#sites.createChannel(scope, input);
  }
  listChannels(scope: Scope, filter?: { controllerId?: number; processId?: number }) {
    return this.#sites.listChannels(scope, filter);
  }
  getChannel(scope: Scope, id: number) {
    return this.#sites.getChannel(scope, id);
  }
  updateChannel(scope: Scope, id: number, patch: ChannelPatch) {
    return this.#sites.updateChannel(scope, id, patch);
  }

  // --- ingest and readings ---------------------------------------------------------------

  async ingest(controllerId: number, batch: IngestBatch, receivedAt: number): Promise<IngestOutcome> {
    const readings = uniqueReadings(batch.readings);
    return this.#db.transaction().execute(async (trx) => {
      await this.#lockChannels(trx, readings);
      const stored = await this.#insertReadings(trx, readings);
      await updateLatestValues(trx, stored);
      await refreshFlowRollups(trx, await rollupChannels(trx, stored), stored);
      await refreshChannelBuckets(trx, stored);
      const outcome: IngestOutcome = {
        stored,
        duplicates: batch.readings.length - stored.length,
        raised: [],
        cleared: [],
        alarmEventsIgnored: 0,
      };
      const events = [...batch.alarms].sort((a, b) => a.time - b.time);
      for (const event of events) await applyAlarmEvent(trx, controllerId, event, outcome);
      if (batch.readings.length > 0 || batch.alarms.length > 0) {
        await trx.updateTable('controllers').set({ last_seen_at: receivedAt }).where('id', '=', controllerId).execute();
        const resumed = await trx
          .updateTable('alarms')
          .set({ cleared_at: receivedAt })
          .where('controller_id', '=', controllerId)
          .where('type', '=', NO_DATA_ALARM.type)
          .where('code', '=', NO_DATA_ALARM.code)
          .where('cleared_at', 'is', null)
          .returningAll()
          .execute();
        outcome.cleared.push(...resumed.map(toAlarm));
      }
      await queueDeliveries(trx, controllerId, outcome, receivedAt);
      return outcome;
    });
  }

  /**
   * Two batches for one channel must not recompute its rollups from each other's half-written
   * state: lock the batch's channels first, in id order so two batches cannot deadlock.
   */
  async #lockChannels(trx: Executor, readings: IngestReading[]): Promise<void> {
    if (!this.#dialect.supportsRowLocks || readings.length === 0) return;
    const ids = [...new Set(readings.map((r) => r.channelId))].sort((a, b) => a - b);
    await trx.selectFrom('channels').select('id').where('id', 'in', ids).orderBy('id').forNoKeyUpdate().execute();
  }

  async #insertReadings(trx: Executor, readings: IngestReading[]): Promise<Reading[]> {
    const stored: Reading[] = [];
    const chunk = this.#dialect.insertChunkRows;
    for (let i = 0; i < readings.length; i += chunk) {
      const rows = await trx
        .insertInto('readings')
        .values(readings.slice(i, i + chunk).map((r) => ({ channel_id: r.channelId, time: r.time, value: r.value })))
        .onConflict((oc) => oc.columns(['channel_id', 'time']).doNothing())
        .returning(['id', 'channel_id', 'time', 'value'])
        .execute();
      for (const row of rows) stored.push(toReading(row));
    }
    return stored;
  }

  async listReadings(scope: Scope, query: ReadingQuery) {
    const rows = await this.#db
      .selectFrom('readings')
      .select(['id', 'time', 'value'])
      .where('channel_id', '=', query.channelId)
      .$call((q) => channelInScope(q, scope, query.channelId))
      .$if(query.from !== undefined, (q) => q.where('time', '>=', query.from!))
      .$if(query.to !== undefined, (q) => q.where('time', '<=', query.to!))
      .orderBy('time', query.order)
      .limit(query.limit)
      .$if(query.offset !== undefined && query.offset > 0, (q) => q.offset(query.offset!))
      .execute();
    return rows.map((r) => ({ id: r.id, channelId: query.channelId, time: r.time, value: r.value }));
  }

  async listReadingsPage(scope: Scope, query: ReadingPageQuery) {
    const { after, order } = query;
    if (query.channelIds.length === 0 || query.limit < 1) return [];
    // One index range scan per channel, each stopping after `limit` rows, merged by the
    // database: a page costs channels × limit rows however long the range is.
    const perChannel = query.channelIds.map((channelId, i) => {
      let q = this.#db
        .selectFrom('readings')
        .select(['id', 'channel_id', 'time', 'value'])
        .where('channel_id', '=', channelId)
        .$call((q) => channelInScope(q, scope, channelId))
        .where('time', '>=', query.from)
        .where('time', '<', query.to);
      if (after) {
        // (time, channel) beyond the cursor: past the cursor's time, or at it for channels
        // that sort after the cursor's channel.
        const sameTimeAllowed = order === 'asc' ? channelId > after.channelId : channelId < after.channelId;
        q = q.where('time', order === 'asc' ? (sameTimeAllowed ? '>=' : '>') : sameTimeAllowed ? '<=' : '<', after.time);
      }
      return this.#db.selectFrom(q.orderBy('time', order).limit(query.limit).as(`c${i}`)).selectAll();
    });
    const merged = perChannel.slice(1).reduce((union, q) => union.unionAll(q), perChannel[0]!);
    const rows = await this.#db
      .selectFrom(merged.as('page'))
      .selectAll()
      .orderBy('time', order)
      .orderBy('channel_id', order)
      .limit(query.limit)
      .execute();
    return rows.map(toReading);
  }

  async downsampleReadings(scope: Scope, query: DownsampleQuery) {
    if (query.channelIds.length === 0) return [];
    const visible = this.#db
      .selectFrom('channels')
      .select('channels.id')
      .where('channels.id', 'in', query.channelIds)
      .$call((q) => inScope(q, scope, 'channels.customer_id'));
    const buckets = this.#db
      .selectFrom('readings')
      .select((eb) => [
        'channel_id',
        sql<number>`time - (time % ${query.intervalMs})`.as('bucket'),
        eb.fn.min('value').as('min'),
        eb.fn.max('value').as('max'),
        eb.fn.avg<number>('value').as('avg'),
        eb.fn.countAll<number>().as('count'),
        eb.fn.max('time').as('last_time'),
      ])
      .where('channel_id', 'in', visible)
      .where('time', '>=', query.from)
      .where('time', '<', query.to)
      .groupBy(['channel_id', 'bucket']);
    // (channel, time) is unique, so the bucket's latest time names exactly one reading.
    const rows = await this.#db
      .selectFrom(buckets.as('b'))
      .innerJoin('readings as r', (join) => join.onRef('r.channel_id', '=', 'b.channel_id').onRef('r.time', '=', 'b.last_time'))
      .select(['b.channel_id', 'b.bucket', 'b.min', 'b.max', 'b.avg', 'b.count', 'r.value as last'])
      .orderBy('b.bucket')
      .orderBy('b.channel_id')
      .execute();
    return rows.map((r) => ({
      channelId: r.channel_id,
      start: Number(r.bucket),
      min: r.min,
      max: r.max,
      avg: Number(r.avg),
      last: r.last,
      count: Number(r.count),
    }));
  }

  channelSeries(scope: Scope, query: SeriesQuery) {
    const width = query.intervalMs;
    const from = Math.floor(query.from / width) * width;
    const to = Math.ceil(query.to / width) * width;
    if (to <= from) return Promise.resolve([]);
    return seriesBuckets(this.#db, query.channelId, width, from, to, (q) => channelInScope(q, scope, query.channelId));
  }

  async countReadingsBetween(scope: Scope, channelId: number, from: number, to: number) {
    const row = await this.#db
      .selectFrom('readings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('channel_id', '=', channelId)
      .where('time', '>=', from)
      .where('time', '<', to)
      .$call((q) => channelInScope(q, scope, channelId))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async pingWindow(scope: Scope, channelId: number, from: number, to: number) {
    return pingWindow(this.#db, channelId, from, to, (q) => channelInScope(q, scope, channelId));
  }

  async sumFlowBuckets(scope: Scope, channelId: number, grain: RollupGrain, from: number, to: number) {
    if (to <= from) return { volume: 0, pings: 0 };
    const row =
      grain === 'hour'
        ? await this.#db
            .selectFrom('flow_hours')
            .select((eb) => [eb.fn.sum<number | null>('volume').as('volume'), eb.fn.sum<number | string | null>('ping_count').as('pings')])
            .where('channel_id', '=', channelId)
            .where('hour_start', '>=', from)
            .where('hour_start', '<', to)
            .$call((q) => channelInScope(q, scope, channelId))
            .executeTakeFirst()
        : await this.#db
            .selectFrom('flow_days')
            .select((eb) => [eb.fn.sum<number | null>('volume').as('volume'), eb.fn.sum<number | string | null>('ping_count').as('pings')])
            .where('channel_id', '=', channelId)
            .where('day_start', '>=', from)
            .where('day_start', '<', to)
            .$call((q) => channelInScope(q, scope, channelId))
            .executeTakeFirst();
    return { volume: Number(row?.volume ?? 0), pings: Number(row?.pings ?? 0) };
  }

  async listFlowHours(scope: Scope, channelId: number, from: number, to: number) {
    if (to <= from) return [];
    const rows = await flowHoursBetween(this.#db, channelId, from, to, (q) => channelInScope(q, scope, channelId));
    return rows.map((r) => ({ start: r.hour_start, volume: r.volume, pings: r.ping_count }));
  }

  async countReadings(scope: Scope, channelId: number) {
    const row = await this.#db
      .selectFrom('readings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('channel_id', '=', channelId)
      .$call((q) => channelInScope(q, scope, channelId))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  // --- alarms ----------------------------------------------------------------------------

  async listAlarms(scope: Scope, query: AlarmQuery) {
    const rows = await this.#db
      .selectFrom('alarms')
      .selectAll()
      .$call((q) => inScope(q, scope))
      .$if(query.controllerId !== undefined, (q) => q.where('controller_id', '=', query.controllerId!))
      .$if(query.activeOnly === true, (q) => q.where('cleared_at', 'is', null))
      .$if(query.raisedFrom !== undefined, (q) => q.where('raised_at', '>=', query.raisedFrom!))
      .$if(query.raisedTo !== undefined, (q) => q.where('raised_at', '<', query.raisedTo!))
      .$if(query.severities !== undefined, (q) => q.where('severity', 'in', query.severities!.length > 0 ? query.severities! : ['']))
      .$if(query.before !== undefined, (q) =>
        q.where((eb) =>
          eb.or([
            eb('raised_at', '<', query.before!.raisedAt),
            eb.and([eb('raised_at', '=', query.before!.raisedAt), eb('id', '<', query.before!.id)]),
          ]),
        ),
      )
      .orderBy('raised_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit)
      .execute();
    return rows.map(toAlarm);
  }

  async raiseNoDataAlarms(silentSince: number, at: number) {
    // The partial unique index of migration 0003 allows one active server alarm per controller
    // and code, so two processes running this at once raise it once.
    return this.#db.transaction().execute(async (trx) => {
      const rows = await trx
        .insertInto('alarms')
        .columns(['customer_id', 'controller_id', 'channel_id', 'type', 'code', 'severity', 'message', 'raised_at', 'cleared_at', 'acknowledged_at'])
        .expression((eb) =>
          eb
            .selectFrom('controllers as c')
            .select([
              'c.customer_id',
              'c.id',
              // Literals, not parameters: in INSERT … SELECT PostgreSQL would type a parameter as text.
              sql<null>`null`.as('channel_id'),
              sql.lit(NO_DATA_ALARM.type).as('type'),
              sql.lit(NO_DATA_ALARM.code).as('code'),
              sql.lit(NO_DATA_ALARM.severity).as('severity'),
              sql.lit(NO_DATA_ALARM.message).as('message'),
              sql.lit(Math.trunc(at)).as('raised_at'),
              sql<null>`null`.as('cleared_at'),
              sql<null>`null`.as('acknowledged_at'),
            ])
            .where('c.last_seen_at', 'is not', null)
            .where('c.last_seen_at', '<', silentSince)
            // A disabled customer's devices are refused, not silent.
            .where((w) => w.not(w.exists(w.selectFrom('customers as cu').select('cu.id').whereRef('cu.id', '=', 'c.customer_id').where('cu.disabled_at', 'is not', null))))
            .where((w) =>
              w.not(
                w.exists(
                  w
                    .selectFrom('alarms as a')
                    .select('a.id')
                    .whereRef('a.controller_id', '=', 'c.id')
                    .where('a.type', '=', NO_DATA_ALARM.type)
                    .where('a.code', '=', NO_DATA_ALARM.code)
                    .where('a.cleared_at', 'is', null),
                ),
              ),
            ),
        )
        .onConflict((oc) => oc.doNothing())
        .returningAll()
        .execute();
      const raised = rows.map(toAlarm);
      // Subscriptions to alarms hear of these like any other raise, in the same transaction.
      for (const alarm of raised) await queueDeliveries(trx, alarm.controllerId, { stored: [], duplicates: 0, raised: [alarm], cleared: [], alarmEventsIgnored: 0 }, at);
      return raised;
    });
  }

  // --- webhooks ----------------------------------------------------------------------------

  async createWebhookEndpoint(scope: Scope, input: NewWebhookEndpoint) {
    if (!canSeeCustomer(scope, input.customerId)) throw ERRORS.notFound('Customer');
    const now = input.createdAt ?? this.#now();
    const row = await this.#db
      .insertInto('webhook_endpoints')
      .values({
        customer_id: input.customerId,
        kind: input.kind,
        url: input.url,
        enabled: input.enabled === false ? 0 : 1,
        secret_ciphertext: input.secretCiphertext,
        event_types: input.eventTypes.join(','),
        controller_ids: idListText(input.controllerIds),
        process_ids: idListText(input.processIds),
        expires_at: input.expiresAt ?? null,
        disabled_reason: null,
        failing_since: null,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toWebhookEndpoint(row);
  }

  async listWebhookEndpoints(scope: Scope, filter: { kind: string }) {
    const rows = await this.#db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('kind', '=', filter.kind)
      .$call((q) => inScope(q, scope))
      .orderBy('id')
      .execute();
    return rows.map(toWebhookEndpoint);
  }

  async getWebhookEndpoint(scope: Scope, id: number) {
    const row = await this.#db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).$call((q) => inScope(q, scope)).executeTakeFirst();
    return row ? toWebhookEndpoint(row) : null;
  }

  async getWebhookSecret(scope: Scope, id: number) {
    const row = await this.#db
      .selectFrom('webhook_endpoints')
      .select('secret_ciphertext')
      .where('id', '=', id)
      .$call((q) => inScope(q, scope))
      .executeTakeFirst();
    return row?.secret_ciphertext ?? null;
  }

  async updateWebhookEndpoint(scope: Scope, id: number, patch: WebhookEndpointPatch, at: number) {
    const row = await this.#db
      .updateTable('webhook_endpoints')
      .set({
        updated_at: at,
        ...(patch.url !== undefined ? { url: patch.url } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
        // Re-enabling a disabled endpoint starts its failure clock afresh; enabled=true on an
        // enabled one leaves it running (decided on the row itself, not on an earlier read).
        ...(patch.enabled === true
          ? {
              failing_since: sql<number | null>`case when enabled = 0 then null else failing_since end`,
              disabled_reason: sql<string | null>`case when enabled = 0 then null else disabled_reason end`,
            }
          : {}),
        ...(patch.secretCiphertext !== undefined ? { secret_ciphertext: patch.secretCiphertext } : {}),
        ...(patch.eventTypes !== undefined ? { event_types: patch.eventTypes.join(',') } : {}),
        ...(patch.controllerIds !== undefined ? { controller_ids: idListText(patch.controllerIds) } : {}),
        ...(patch.processIds !== undefined ? { process_ids: idListText(patch.processIds) } : {}),
        ...(patch.expiresAt !== undefined ? { expires_at: patch.expiresAt } : {}),
      })
      .where('id', '=', id)
      .$call((q) => inScope(q, scope))
      .returningAll()
      .executeTakeFirst();
    return row ? toWebhookEndpoint(row) : null;
  }

  async deleteWebhookEndpoint(scope: Scope, id: number) {
    const result = await this.#db.deleteFrom('webhook_endpoints').where('id', '=', id).$call((q) => inScope(q, scope)).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async listDeliveries(scope: Scope, endpointId: number, query: { limit: number; beforeId?: number; offset?: number }) {
    const rows = await this.#db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('endpoint_id', '=', endpointId)
      .$call((q) => inScope(q, scope))
      .$if(query.beforeId !== undefined, (q) => q.where('id', '<', query.beforeId!))
      .orderBy('id', 'desc')
      .limit(query.limit)
      .$if(query.offset !== undefined && query.offset > 0, (q) => q.offset(query.offset!))
      .execute();
    return rows.map(toWebhookDelivery);
  }

  async countDeliveries(scope: Scope, endpointId: number) {
    const row = await this.#db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('endpoint_id', '=', endpointId)
      .$call((q) => inScope(q, scope))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async queueDelivery(scope: Scope, endpointId: number, event: { eventType: string; payload: string }, at: number) {
    return this.#db.transaction().execute(async (trx) => {
      const endpoint = await trx.selectFrom('webhook_endpoints').select(['id', 'customer_id']).where('id', '=', endpointId).$call((q) => inScope(q, scope)).executeTakeFirst();
      if (!endpoint) return null;
      const row = await trx
        .insertInto('webhook_deliveries')
        .values({
          endpoint_id: endpoint.id,
          customer_id: endpoint.customer_id,
          event_type: event.eventType,
          message_id: `msg_${randomBytes(16).toString('base64url')}`,
          payload: event.payload,
          status: 'pending',
          attempts: 0,
          next_attempt_at: at,
          leased_until: null,
          created_at: at,
          first_attempt_at: null,
          last_attempt_at: null,
          last_status: null,
          last_error: null,
          last_latency_ms: null,
          delivered_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toWebhookDelivery(row);
    });
  }

  async resendDeliveries(scope: Scope, endpointId: number, which: { deliveryId: number } | { from: number; to: number }, at: number) {
    const result = await this.#db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', attempts: 0, next_attempt_at: at, leased_until: null, first_attempt_at: null, delivered_at: null })
      .where('endpoint_id', '=', endpointId)
      .$call((q) => inScope(q, scope))
      .$if('deliveryId' in which, (q) => q.where('id', '=', (which as { deliveryId: number }).deliveryId))
      .$if('from' in which, (q) => q.where('created_at', '>=', (which as { from: number }).from).where('created_at', '<', (which as { to: number }).to))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async claimDeliveries(now: number, leaseMs: number, limit: number) {
    return this.#db.transaction().execute(async (trx) => {
      const due = await trx
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('leased_until', 'is', null), eb('leased_until', '<', now)]))
        // Only for endpoints that still want them; a subquery, so that SKIP LOCKED locks no endpoint.
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('webhook_endpoints as e')
              .innerJoin('customers as cu', 'cu.id', 'e.customer_id')
              .select('e.id')
              .whereRef('e.id', '=', 'webhook_deliveries.endpoint_id')
              .where('e.enabled', '=', 1)
              // A disabled customer's deliveries wait, kept, until it is enabled again.
              .where('cu.disabled_at', 'is', null)
              .where((w) => w.or([w('e.expires_at', 'is', null), w('e.expires_at', '>', now)])),
          ),
        )
        .orderBy('next_attempt_at')
        .limit(limit)
        // Several processes claim side by side on PostgreSQL, each skipping the others' rows.
        .$if(this.#dialect.supportsRowLocks, (q) => q.forUpdate().skipLocked())
        .execute();
      if (due.length === 0) return [];
      const rows = await trx
        .updateTable('webhook_deliveries')
        .set({ leased_until: now + leaseMs })
        .where('id', 'in', due.map((d) => d.id))
        .returningAll()
        .execute();
      const endpoints = await trx
        .selectFrom('webhook_endpoints')
        .select(['id', 'url', 'secret_ciphertext', 'kind', 'failing_since'])
        .where('id', 'in', [...new Set(rows.map((r) => r.endpoint_id))])
        .execute();
      const byId = new Map(endpoints.map((e) => [e.id, e]));
      return rows.flatMap((r): ClaimedDelivery[] => {
        const endpoint = byId.get(r.endpoint_id);
        if (!endpoint) return [];
        return [{ ...toWebhookDelivery(r), leasedUntil: now + leaseMs, url: endpoint.url, secretCiphertext: endpoint.secret_ciphertext, endpointKind: endpoint.kind as ClaimedDelivery['endpointKind'], failingSince: endpoint.failing_since }];
      });
    });
  }

  async recordDeliveryAttempts(results: readonly { delivery: ClaimedDelivery; attempt: DeliveryAttempt }[]) {
    if (results.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      // Only results whose claim still holds count, for the delivery and for its endpoint: a
      // delivery re-sent meanwhile, or re-claimed after its lease lapsed, is someone else's now.
      const counted: { delivery: ClaimedDelivery; attempt: DeliveryAttempt }[] = [];
      for (const result of results) {
        const { delivery, attempt } = result;
        const updated = await trx
          .updateTable('webhook_deliveries')
          .set((eb) => ({
            status: attempt.outcome === 'retry' ? 'pending' : attempt.outcome,
            attempts: eb('attempts', '+', 1),
            next_attempt_at: attempt.nextAttemptAt ?? delivery.nextAttemptAt,
            leased_until: null,
            first_attempt_at: eb.fn.coalesce('first_attempt_at', sql.lit(Math.trunc(attempt.at))),
            last_attempt_at: attempt.at,
            last_status: attempt.status,
            last_error: attempt.error,
            last_latency_ms: Math.round(attempt.latencyMs),
            delivered_at: attempt.outcome === 'delivered' ? attempt.at : null,
          }))
          .where('id', '=', delivery.id)
          .where('status', '=', 'pending')
          .where('leased_until', '=', delivery.leasedUntil)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) > 0) counted.push(result);
      }
      // Each endpoint's failure streak follows its latest counted attempt in this flush, and
      // the decision to disable it is taken here, on its current row, not on the claim's copy.
      const latest = new Map<number, DeliveryAttempt>();
      for (const { delivery, attempt } of counted) latest.set(delivery.endpointId, attempt);
      for (const [endpointId, attempt] of latest) {
        const endpoint = trx.updateTable('webhook_endpoints').where('id', '=', endpointId);
        if (attempt.outcome === 'delivered') {
          await endpoint.set({ failing_since: null }).where('failing_since', 'is not', null).execute();
          continue;
        }
        await endpoint.set({ failing_since: attempt.at }).where('failing_since', 'is', null).execute();
        const disabled = await trx
          .updateTable('webhook_endpoints')
          .set({ enabled: 0, updated_at: attempt.at })
          .where('id', '=', endpointId)
          .where('enabled', '=', 1)
          .where('failing_since', '<=', attempt.at - RETRY_FOR_MS)
          .returning(['failing_since'])
          .executeTakeFirst();
        if (disabled) {
          const since = formatIsoSeconds(disabled.failing_since ?? attempt.at);
          await trx
            .updateTable('webhook_endpoints')
            .set({ disabled_reason: `Every delivery has failed since ${since} (last: ${attempt.error ?? 'no answer'}); enable the endpoint again once it is fixed.` })
            .where('id', '=', endpointId)
            .execute();
        }
      }
    });
  }

  queryRecords(scope: Scope, query: RecordQuery, now: number) {
    return queryRecords(this.#db, scope, query, now);
  }

  writeRecord(scope: Scope, model: ModelDef, write: RecordWrite) {
    return uniqueOrConflict(this.#dialect, `That ${model.type} already exists (a unique field is taken).`, () => writeRecord(this.#db, scope, model, write));
  }

  // --- API clients ---------------------------------------------------------------------

  async createApiClient(scope: Scope, input: { customerId: number; name: string; clientId: string; secretHash: string; role: Role; createdBy: number | null }) {
    if (!canSeeCustomer(scope, input.customerId)) throw ERRORS.notFound('Customer');
    const row = await this.#db
      .insertInto('api_clients')
      .values({ customer_id: input.customerId, name: input.name, client_id: input.clientId, secret_hash: input.secretHash, role: input.role, created_by: input.createdBy, created_at: this.#now() })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toApiClient(row);
  }

  async listApiClients(scope: Scope) {
    const rows = await this.#db.selectFrom('api_clients').selectAll().$call((q) => inScope(q, scope)).orderBy('id').execute();
    return rows.map(toApiClient);
  }

  async deleteApiClient(scope: Scope, id: number) {
    const result = await this.#db.deleteFrom('api_clients').where('id', '=', id).$call((q) => inScope(q, scope)).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async findApiClientCredentials(clientId: string) {
    if (clientId.includes('\u0000')) return null;
    // A disabled customer's clients cannot exchange their secrets.
    const row = await this.#db
      .selectFrom('api_clients')
      .innerJoin('customers', 'customers.id', 'api_clients.customer_id')
      .leftJoin('users as creator', 'creator.id', 'api_clients.created_by')
      .selectAll('api_clients')
      .where('api_clients.client_id', '=', clientId)
      .where('customers.disabled_at', 'is', null)
      // A client acts with the rights its creator gave it: a disabled creator's clients stop too.
      .where('creator.disabled_at', 'is', null)
      .executeTakeFirst();
    return row ? { ...toApiClient(row), secretHash: row.secret_hash } : null;
  }

  async storeAccessToken(apiClientId: number, tokenHash: string, expiresAt: number, at: number) {
    await this.#db.insertInto('api_access_tokens').values({ api_client_id: apiClientId, token_hash: tokenHash, expires_at: expiresAt, created_at: at }).execute();
    // Expired tokens are of no use to anyone: each exchange clears its client's.
    await this.#db.deleteFrom('api_access_tokens').where('api_client_id', '=', apiClientId).where('expires_at', '<=', at).execute();
  }

  async findApiClientByAccessTokenHash(tokenHash: string, now: number) {
    const row = await this.#db
      .selectFrom('api_access_tokens as t')
      .innerJoin('api_clients as c', 'c.id', 't.api_client_id')
      .innerJoin('customers', 'customers.id', 'c.customer_id')
      .leftJoin('users as creator', 'creator.id', 'c.created_by')
      .selectAll('c')
      .where('t.token_hash', '=', tokenHash)
      .where('t.expires_at', '>', now)
      .where('customers.disabled_at', 'is', null)
      .where('creator.disabled_at', 'is', null)
      .executeTakeFirst();
    return row ? toApiClient(row) : null;
  }

  // --- users (repository) ----------------------------------------------------------------

  createUser(scope: Scope, input: NewUser) {
    return this.#users.create(scope, input);
  }
  listUsers(scope: Scope, filter?: { customerId?: number }) {
    return this.#users.list(scope, filter);
  }
  getUser(scope: Scope, id: number) {
    return this.#users.get(scope, id);
  }
  updateUser(scope: Scope, id: number, patch: UserPatch) {
    return this.#users.update(scope, id, patch);
  }
  findUserCredentialsByEmail(email: string) {
    return this.#users.findCredentialsByEmail(email);
  }
  findUserCredentialsByTokenHash(tokenHash: string) {
    return this.#users.findCredentialsByTokenHash(tokenHash);
  }
  setUserApiToken(userId: number, tokenHash: string, at: number) {
    return this.#users.setApiToken(userId, tokenHash, at);
  }
  setUserPassword(userId: number, passwordHash: string) {
    return this.#users.setPassword(userId, passwordHash);
  }
  createPasswordLink(link: NewPasswordLink) {
    return this.#users.createPasswordLink(link);
  }
  findPasswordLink(tokenHash: string, now: number) {
    return this.#users.findPasswordLink(tokenHash, now);
  }
  redeemPasswordLink(tokenHash: string, passwordHash: string, now: number) {
    return this.#users.redeemPasswordLink(tokenHash, passwordHash, now);
  }

  // --- sessions (repository) -------------------------------------------------------------

  createSession(session: NewSession) {
    return this.#sessions.create(session);
  }
  findActiveSession(tokenHash: string, now: number, idleSince: number) {
    return this.#sessions.findActive(tokenHash, now, idleSince);
  }
  touchSession(id: number, at: number) {
    return this.#sessions.touch(id, at);
  }
  deleteSession(id: number) {
    return this.#sessions.delete(id);
  }
  deleteUserSessions(userId: number, exceptId?: number) {
    return this.#sessions.deleteForUser(userId, exceptId);
  }
  deleteCustomerSessions(customerId: number) {
    return this.#sessions.deleteForCustomer(customerId);
  }
}

/** The channels among `stored` whose readings feed volume rollups. */
async function rollupChannels(trx: Executor, stored: Reading[]): Promise<Set<number>> {
  const ids = [...new Set(stored.map((r) => r.channelId))];
  if (ids.length === 0) return new Set();
  const rows = await trx.selectFrom('channels').select('id').where('id', 'in', ids).where('type', '=', ROLLUP_CHANNEL_TYPE).execute();
  return new Set(rows.map((r) => r.id));
}

/** A batch that names the same (channel, time) twice keeps the first, as a resend would. */
function uniqueReadings(readings: IngestReading[]): IngestReading[] {
  const seen = new Set<string>();
  const out: IngestReading[] = [];
  for (const r of readings) {
    const key = `${r.channelId}:${r.time}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
  }
  return out;
}

async function updateLatestValues(trx: Executor, stored: Reading[]): Promise<void> {
  const newest = new Map<number, Reading>();
  for (const r of stored) {
    const current = newest.get(r.channelId);
    if (!current || r.time > current.time) newest.set(r.channelId, r);
  }
  for (const r of newest.values()) {
    // Late or back-filled readings must not replace a newer latest value.
    await trx
      .updateTable('channels')
      .set({ latest_value: r.value, latest_time: r.time })
      .where('id', '=', r.channelId)
      .where((eb) => eb.or([eb('latest_time', 'is', null), eb('latest_time', '<', r.time)]))
      .execute();
  }
}

const idListText = (ids: number[] | null | undefined) => (ids === null || ids === undefined ? null : JSON.stringify(ids));

/**
 * The outbox: inside the ingest transaction, one pending delivery per event and endpoint whose
 * scope covers it. A batch of a customer without endpoints costs one indexed query.
 */
async function queueDeliveries(trx: Executor, controllerId: number, outcome: IngestOutcome, at: number): Promise<void> {
  if (outcome.stored.length === 0 && outcome.raised.length === 0 && outcome.cleared.length === 0) return;
  // The usual case, a customer without endpoints, costs this one query.
  const endpoints = await trx
    .selectFrom('webhook_endpoints')
    .selectAll('webhook_endpoints')
    .innerJoin('controllers', 'controllers.customer_id', 'webhook_endpoints.customer_id')
    .where('controllers.id', '=', controllerId)
    .where('webhook_endpoints.enabled', '=', 1)
    .where((eb) => eb.or([eb('webhook_endpoints.expires_at', 'is', null), eb('webhook_endpoints.expires_at', '>', at)]))
    .execute();
  if (endpoints.length === 0) return;
  const [controllerRow, channels] = await Promise.all([
    trx.selectFrom('controllers').selectAll().where('id', '=', controllerId).executeTakeFirstOrThrow(),
    trx.selectFrom('channels').selectAll().where('controller_id', '=', controllerId).execute(),
  ]);
  const drafts = deliveriesFor(endpoints.map(toWebhookEndpoint), {
    controller: toController(controllerRow),
    channels: new Map(channels.map((c) => [c.id, toChannel(c)])),
    stored: outcome.stored,
    raised: outcome.raised,
    cleared: outcome.cleared,
  });
  const rows = drafts.map((d) => ({
    endpoint_id: d.endpointId,
    customer_id: d.customerId,
    event_type: d.eventType,
    message_id: `msg_${randomBytes(16).toString('base64url')}`,
    payload: d.payload,
    status: 'pending',
    next_attempt_at: at,
    leased_until: null,
    created_at: at,
    first_attempt_at: null,
    last_attempt_at: null,
    last_status: null,
    last_error: null,
    last_latency_ms: null,
    delivered_at: null,
  }));
  // 15 columns a row: stay under SQLite's 32,766 bound parameters.
  for (let i = 0; i < rows.length; i += 1000) await trx.insertInto('webhook_deliveries').values(rows.slice(i, i + 1000)).execute();
}

async function applyAlarmEvent(trx: Executor, controllerId: number, event: IngestAlarmEvent, outcome: IngestOutcome): Promise<void> {
  const active = await trx
    .selectFrom('alarms')
    .selectAll()
    .where('controller_id', '=', controllerId)
    .where('type', '!=', SERVER_ALARM_TYPE)
    .where('code', '=', event.code)
    .where((eb) => (event.channelId === null ? eb('channel_id', 'is', null) : eb('channel_id', '=', event.channelId)))
    .where('cleared_at', 'is', null)
    .executeTakeFirst();

  if (event.action === 'raise') {
    if (active) {
      outcome.alarmEventsIgnored += 1;
      return;
    }
    const controller = await trx.selectFrom('controllers').select('customer_id').where('id', '=', controllerId).executeTakeFirstOrThrow();
    const row = await trx
      .insertInto('alarms')
      .values({
        customer_id: controller.customer_id,
        controller_id: controllerId,
        channel_id: event.channelId,
        type: event.type,
        code: event.code,
        severity: event.severity,
        message: event.message,
        raised_at: event.time,
        cleared_at: null,
        acknowledged_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    outcome.raised.push(toAlarm(row));
    return;
  }

  if (!active) {
    outcome.alarmEventsIgnored += 1;
    return;
  }
  const clearedAt = Math.max(active.raised_at, event.time);
  const row = await trx.updateTable('alarms').set({ cleared_at: clearedAt }).where('id', '=', active.id).returningAll().executeTakeFirstOrThrow();
  outcome.cleared.push(toAlarm(row) satisfies Alarm);
}
