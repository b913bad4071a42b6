import { ERRORS } from '../../errors.js';
import type { Scope } from '../../domain/scope.js';
import type { Channel, ChannelKind, Controller, Facility, IngestKey, Process } from '../../domain/types.js';
import { toChannel, toController, toFacility, toProcess } from '../mappers.js';
import { inScope, uniqueOrConflict, type Executor, type RepositoryContext } from '../scoped-query.js';
import type { CustomersRepository } from './customers.repository.js';
import type { IngestKeysRepository } from './ingest-keys.repository.js';

export interface NewFacility {
  customerId: number;
  name: string;
  address?: string | null;
  latitude?: number | null;
  longitude?: number | null;
  timeZone?: string;
}

export type FacilityPatch = Partial<Omit<NewFacility, 'customerId'>>;

export interface NewController {
  facilityId: number;
  serialNumber: string;
  model: string;
  name: string;
  latitude?: number | null;
  longitude?: number | null;
  pipeDiameter?: number | null;
  activatedAt?: number | null;
  tag?: string | null;
  /** Digest of the controller's first ingest key, if it gets one now. */
  ingestKeyHash?: string | null;
  /** Its first characters (see IngestKey.prefix). */
  ingestKeyPrefix?: string;
}

/** The serial number is the device's identity and stays; a controller may move between its customer's facilities. */
export type ControllerPatch = Partial<Omit<NewController, 'serialNumber' | 'ingestKeyHash' | 'ingestKeyPrefix'>>;

export interface NewProcess {
  controllerId: number;
  name: string;
}

export interface NewChannel {
  controllerId: number;
  processId?: number | null;
  number: string;
  name: string;
  kind: ChannelKind;
  type: string;
  unit?: string | null;
}

/** What a registration wrote; `ingestKey` is the record of the key it was given, if any. */
export interface RegisteredController {
  controller: Controller;
  processes: Process[];
  channels: Channel[];
  ingestKey: IngestKey | null;
}

/** A channel of a registration, naming its process (one of the registration's) by name. */
export type RegisteredChannel = Omit<NewChannel, 'controllerId' | 'processId'> & { process?: string | null };

/** A channel stays on its controller, under its number (devices send readings by it). */
export type ChannelPatch = Partial<Omit<NewChannel, 'controllerId' | 'number'>>;

const defined = <T extends object>(values: T): Partial<T> => Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;

/** A customer's sites: facilities, their controllers, and the controllers' processes and channels. */
export class SitesRepository {
  readonly #ctx: RepositoryContext;
  readonly #customers: CustomersRepository;
  readonly #ingestKeys: IngestKeysRepository;

  constructor(ctx: RepositoryContext, customers: CustomersRepository, ingestKeys: IngestKeysRepository) {
    this.#ctx = ctx;
    this.#customers = customers;
    this.#ingestKeys = ingestKeys;
  }

  // --- facilities ------------------------------------------------------------------------

  async createFacility(scope: Scope, input: NewFacility): Promise<Facility> {
    if (!(await this.#customers.get(scope, input.customerId))) throw ERRORS.notFound('Customer');
    const row = await this.#ctx.db
      .insertInto('facilities')
      .values({
        customer_id: input.customerId,
        name: input.name,
        address: input.address ?? null,
        latitude: input.latitude ?? null,
        longitude: input.longitude ?? null,
        time_zone: input.timeZone ?? 'UTC',
        created_at: this.#ctx.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toFacility(row);
  }

  async listFacilities(scope: Scope, filter: { customerId?: number } = {}): Promise<Facility[]> {
    const rows = await this.#ctx.db
      .selectFrom('facilities')
      .selectAll()
      .$call((q) => inScope(q, scope))
      .$if(filter.customerId !== undefined, (q) => q.where('customer_id', '=', filter.customerId!))
      .orderBy('id')
      .execute();
    return rows.map(toFacility);
  }

  async getFacility(scope: Scope, id: number): Promise<Facility | null> {
    const row = await this.#ctx.db.selectFrom('facilities').selectAll().where('id', '=', id).$call((q) => inScope(q, scope)).executeTakeFirst();
    return row ? toFacility(row) : null;
  }

  async updateFacility(scope: Scope, id: number, patch: FacilityPatch): Promise<Facility | null> {
    const values = defined({ name: patch.name, address: patch.address, latitude: patch.latitude, longitude: patch.longitude, time_zone: patch.timeZone });
    if (Object.keys(values).length === 0) return this.getFacility(scope, id);
    const row = await this.#ctx.db.updateTable('facilities').set(values).where('id', '=', id).$call((q) => inScope(q, scope)).returningAll().executeTakeFirst();
    return row ? toFacility(row) : null;
  }

  // --- controllers -----------------------------------------------------------------------

  async createController(scope: Scope, input: NewController): Promise<Controller> {
    return (await this.registerController(scope, input, [], [])).controller;
  }

  /**
   * A controller with its processes and channels (each channel naming its process by name) in
   * one transaction: a registration that fails anywhere leaves nothing behind.
   */
  async registerController(
    scope: Scope,
    input: NewController,
    processNames: readonly string[],
    channels: readonly RegisteredChannel[],
  ): Promise<RegisteredController> {
    const facility = await this.getFacility(scope, input.facilityId);
    if (!facility) throw ERRORS.notFound('Facility');
    return this.#ctx.db.transaction().execute(async (trx) => {
      const row = await uniqueOrConflict(this.#ctx.dialect, `A controller with serial number ${input.serialNumber} is already registered.`, () =>
        trx
          .insertInto('controllers')
          .values({
            customer_id: facility.customerId,
            facility_id: facility.id,
            serial_number: input.serialNumber,
            model: input.model,
            name: input.name,
            latitude: input.latitude ?? null,
            longitude: input.longitude ?? null,
            pipe_diameter: input.pipeDiameter ?? null,
            activated_at: input.activatedAt ?? null,
            tag: input.tag ?? null,
            ingest_key_hash: null,
            last_seen_at: null,
            created_at: this.#ctx.now(),
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      const controller = toController(row);
      const ingestKey = input.ingestKeyHash ? await this.#ingestKeys.insert(trx, controller, { keyHash: input.ingestKeyHash, prefix: input.ingestKeyPrefix ?? '', at: controller.createdAt }) : null;
      const processes: Process[] = [];
      for (const name of processNames) processes.push(await this.#insertProcess(trx, controller, name));
      const processIds = new Map(processes.map((p) => [p.name, p.id]));
      const created: Channel[] = [];
      for (const { process, ...channel } of channels) {
        const processId = process ? processIds.get(process) : null;
        if (processId === undefined) throw ERRORS.invalidRequest(`Channel ${channel.number} names process "${process}", which is not among the controller's processes.`);
        created.push(await this.#insertChannel(trx, controller, { ...channel, controllerId: controller.id, processId }));
      }
      return { controller, processes, channels: created, ingestKey };
    });
  }

  async listControllers(scope: Scope, filter: { model?: string; facilityId?: number } = {}): Promise<Controller[]> {
    const rows = await this.#ctx.db
      .selectFrom('controllers')
      .selectAll()
      .$call((q) => inScope(q, scope))
      .$if(filter.model !== undefined, (q) => q.where('model', '=', filter.model!))
      .$if(filter.facilityId !== undefined, (q) => q.where('facility_id', '=', filter.facilityId!))
      .orderBy('id')
      .execute();
    return rows.map(toController);
  }

  async getController(scope: Scope, id: number, db: Executor = this.#ctx.db): Promise<Controller | null> {
    const row = await db.selectFrom('controllers').selectAll().where('id', '=', id).$call((q) => inScope(q, scope)).executeTakeFirst();
    return row ? toController(row) : null;
  }

  async getControllerBySerial(scope: Scope, serialNumber: string): Promise<Controller | null> {
    // No serial holds NUL, and PostgreSQL text cannot (it would fail, where SQLite finds nothing).
    if (serialNumber.includes('\u0000')) return null;
    const row = await this.#ctx.db
      .selectFrom('controllers')
      .selectAll()
      .where('serial_number', '=', serialNumber)
      .$call((q) => inScope(q, scope))
      .executeTakeFirst();
    return row ? toController(row) : null;
  }

  async updateController(scope: Scope, id: number, patch: ControllerPatch): Promise<Controller | null> {
    const current = await this.getController(scope, id);
    if (!current) return null;
    if (patch.facilityId !== undefined) {
      const facility = await this.getFacility(scope, patch.facilityId);
      // Moving a controller to another customer's facility would move its data with it.
      if (!facility || facility.customerId !== current.customerId) throw ERRORS.notFound('Facility');
    }
    const values = defined({
      facility_id: patch.facilityId,
      model: patch.model,
      name: patch.name,
      latitude: patch.latitude,
      longitude: patch.longitude,
      pipe_diameter: patch.pipeDiameter,
      activated_at: patch.activatedAt,
      tag: patch.tag,
    });
    if (Object.keys(values).length === 0) return current;
    const row = await this.#ctx.db.updateTable('controllers').set(values).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    return toController(row);
  }

  // --- processes and channels ------------------------------------------------------------

  async createProcess(scope: Scope, input: NewProcess): Promise<Process> {
    const controller = await this.getController(scope, input.controllerId);
    if (!controller) throw ERRORS.notFound('Controller');
    return this.#insertProcess(this.#ctx.db, controller, input.name);
  }

  async #insertProcess(db: Executor, controller: Controller, name: string): Promise<Process> {
    const row = await db
      .insertInto('processes')
      .values({ customer_id: controller.customerId, controller_id: controller.id, name, created_at: this.#ctx.now() })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toProcess(row);
  }

  async listProcesses(scope: Scope, filter: { controllerId?: number } = {}): Promise<Process[]> {
    const rows = await this.#ctx.db
      .selectFrom('processes')
      .selectAll()
      .$call((q) => inScope(q, scope))
      .$if(filter.controllerId !== undefined, (q) => q.where('controller_id', '=', filter.controllerId!))
      .orderBy('id')
      .execute();
    return rows.map(toProcess);
  }

  async getProcess(scope: Scope, id: number): Promise<Process | null> {
    const row = await this.#ctx.db.selectFrom('processes').selectAll().where('id', '=', id).$call((q) => inScope(q, scope)).executeTakeFirst();
    return row ? toProcess(row) : null;
  }

  async updateProcess(scope: Scope, id: number, patch: { name?: string }): Promise<Process | null> {
    if (patch.name === undefined) return this.getProcess(scope, id);
    const row = await this.#ctx.db.updateTable('processes').set({ name: patch.name }).where('id', '=', id).$call((q) => inScope(q, scope)).returningAll().executeTakeFirst();
    return row ? toProcess(row) : null;
  }

  /** A channel's process must be one of its own controller's. */
  async #checkProcess(controllerId: number, processId: number | null | undefined): Promise<void> {
    if (processId === null || processId === undefined) return;
    const process = await this.#ctx.db.selectFrom('processes').select('controller_id').where('id', '=', processId).executeTakeFirst();
    if (!process || process.controller_id !== controllerId) throw ERRORS.unprocessable('The process belongs to another controller.');
  }

  async createChannel(scope: Scope, input: NewChannel): Promise<Channel> {
    const controller = await this.getController(scope, input.controllerId);
    if (!controller) throw ERRORS.notFound('Controller');
    await this.#checkProcess(controller.id, input.processId);
    return this.#insertChannel(this.#ctx.db, controller, input);
  }

  async #insertChannel(db: Executor, controller: Controller, input: NewChannel): Promise<Channel> {
    const row = await uniqueOrConflict(this.#ctx.dialect, `Controller ${controller.serialNumber} already has a channel ${input.number}.`, () =>
      db
        .insertInto('channels')
        .values({
          customer_id: controller.customerId,
          controller_id: controller.id,
          process_id: input.processId ?? null,
          number: input.number,
          name: input.name,
          kind: input.kind,
          type: input.type,
          unit: input.unit ?? null,
          latest_value: null,
          latest_time: null,
          created_at: this.#ctx.now(),
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return toChannel(row);
  }

  async listChannels(scope: Scope, filter: { controllerId?: number; processId?: number } = {}): Promise<Channel[]> {
    const rows = await this.#ctx.db
      .selectFrom('channels')
      .selectAll()
      .$call((q) => inScope(q, scope))
      .$if(filter.controllerId !== undefined, (q) => q.where('controller_id', '=', filter.controllerId!))
      .$if(filter.processId !== undefined, (q) => q.where('process_id', '=', filter.processId!))
      .orderBy('id')
      .execute();
    return rows.map(toChannel);
  }

  async getChannel(scope: Scope, id: number): Promise<Channel | null> {
    const row = await this.#ctx.db.selectFrom('channels').selectAll().where('id', '=', id).$call((q) => inScope(q, scope)).executeTakeFirst();
    return row ? toChannel(row) : null;
  }

  async updateChannel(scope: Scope, id: number, patch: ChannelPatch): Promise<Channel | null> {
    const current = await this.getChannel(scope, id);
    if (!current) return null;
    await this.#checkProcess(current.controllerId, patch.processId);
    const values = defined({ process_id: patch.processId, name: patch.name, kind: patch.kind, type: patch.type, unit: patch.unit });
    if (Object.keys(values).length === 0) return current;
    const row = await this.#ctx.db.updateTable('channels').set(values).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    return toChannel(row);
  }
}
