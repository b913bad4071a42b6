import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf } from '../../domain/actor.js';
import {
  createChannel,
  createProcess,
  getController,
  listChannels,
  listIngestKeys,
  listProcesses,
  registerController,
  revokeIngestKeys,
  rotateIngestKey,
  updateChannel,
  updateController,
  updateProcess,
  type ControllerChange,
} from '../../domain/onboarding.js';
import { parseIsoTime, type Clock } from '../../domain/time.js';
import { ERRORS } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { principalOf } from '../plugins/auth.js';
import { IdParamSchema, IsoTimeSchema, nativeErrors } from '../schemas/common.js';
import {
  ChannelCreateSchema,
  ChannelPatchSchema,
  ChannelSchema,
  channelWire,
  ControllerPatchSchema,
  ControllerRegisterSchema,
  ControllerSchema,
  controllerWire,
  IngestKeySchema,
  ingestKeyWire,
  IssuedKeySchema,
  ProcessCreateSchema,
  ProcessSchema,
  processWire,
  RotateKeySchema,
} from './schemas.js';

const tags = ['onboarding'];
const IdParams = Type.Object({ id: IdParamSchema });
const ControllerDetailSchema = Type.Object({ controller: ControllerSchema, processes: Type.Array(ProcessSchema), channels: Type.Array(ChannelSchema) });

/** The schema checks the form of the text; a date that does not exist (February 30) is refused here. */
function timeOf(text: string | null | undefined): number | null | undefined {
  if (text === undefined || text === null) return text;
  const ms = parseIsoTime(text);
  if (ms === null) throw ERRORS.invalidRequest(`activated_at: "${text}" is not a date-time that exists.`);
  return ms;
}

function controllerChange(body: { facility_id?: number; pipe_diameter?: number | null; activated_at?: string | null } & Record<string, unknown>): ControllerChange {
  const { facility_id: facilityId, pipe_diameter: pipeDiameter, activated_at: activatedAt, ...rest } = body;
  return {
    ...(rest as Omit<ControllerChange, 'facilityId' | 'pipeDiameter' | 'activatedAt'>),
    ...(facilityId !== undefined ? { facilityId } : {}),
    ...(pipeDiameter !== undefined ? { pipeDiameter } : {}),
    ...(activatedAt !== undefined ? { activatedAt: timeOf(activatedAt) } : {}),
  };
}

/**
 * Controllers (and flow sensors) with their processes, channels and ingest keys: admins
 * register and change them, users read. (`GET /controllers`, with latest values, is the
 * monitoring route.)
 */
export const controllerRoutes: FastifyPluginAsyncTypebox<{ store: Store; clock: Clock }> = async (app, { store, clock }) => {
  app.post(
    '/controllers',
    {
      schema: {
        tags,
        operationId: 'onboarding.controllers.register',
        summary: 'Register a controller or flow sensor with its processes and channels (admins)',
        description: 'Everything is checked before anything is written. The answer holds the first ingest key, shown once.',
        body: ControllerRegisterSchema,
        response: { 201: Type.Object({ ...ControllerDetailSchema.properties, ingest_key: IssuedKeySchema }), ...nativeErrors },
      },
    },
    async (request, reply) => {
      const { serial_number: serialNumber, processes, channels, ...rest } = request.body;
      const registered = await registerController(
        store,
        actorOf(principalOf(request)),
        {
          ...(controllerChange(rest) as Required<Pick<ControllerChange, 'facilityId' | 'model' | 'name'>>),
          serialNumber,
          ...(processes ? { processes } : {}),
          ...(channels ? { channels } : {}),
        },
        clock,
      );
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send({
        controller: controllerWire(registered.controller),
        processes: registered.processes.map(processWire),
        channels: registered.channels.map(channelWire),
        ingest_key: { key: registered.ingestKey.key, ingest_key: ingestKeyWire(registered.ingestKey.record, clock.now()) },
      });
    },
  );

  app.get(
    '/controllers/:id',
    { schema: { tags, operationId: 'onboarding.controllers.get', summary: 'A controller with its processes and channels', params: IdParams, response: { 200: ControllerDetailSchema, ...nativeErrors } } },
    async (request) => {
      const actor = actorOf(principalOf(request));
      const controller = await getController(store, actor, request.params.id);
      const [processes, channels] = await Promise.all([listProcesses(store, actor, controller.id), listChannels(store, actor, controller.id)]);
      return { controller: controllerWire(controller), processes: processes.map(processWire), channels: channels.map(channelWire) };
    },
  );

  app.patch(
    '/controllers/:id',
    {
      schema: {
        tags,
        operationId: 'onboarding.controllers.update',
        summary: "Change a controller, or move it to another of its customer's facilities (admins)",
        params: IdParams,
        body: ControllerPatchSchema,
        response: { 200: ControllerSchema, ...nativeErrors },
      },
    },
    async (request) => controllerWire(await updateController(store, actorOf(principalOf(request)), request.params.id, controllerChange(request.body))),
  );

  app.post(
    '/controllers/:id/processes',
    { schema: { tags, operationId: 'onboarding.processes.create', summary: 'Add a process to a controller (admins)', params: IdParams, body: ProcessCreateSchema, response: { 201: ProcessSchema, ...nativeErrors } } },
    async (request, reply) => reply.status(201).send(processWire(await createProcess(store, actorOf(principalOf(request)), request.params.id, request.body))),
  );

  app.patch(
    '/processes/:id',
    { schema: { tags, operationId: 'onboarding.processes.update', summary: 'Rename a process (admins)', params: IdParams, body: ProcessCreateSchema, response: { 200: ProcessSchema, ...nativeErrors } } },
    async (request) => processWire(await updateProcess(store, actorOf(principalOf(request)), request.params.id, request.body)),
  );

  app.post(
    '/controllers/:id/channels',
    {
      schema: {
        tags,
        operationId: 'onboarding.channels.create',
        summary: 'Add a channel to a controller (admins)',
        description: 'Data is stored only for channels that belong to a process.',
        params: IdParams,
        body: ChannelCreateSchema,
        response: { 201: ChannelSchema, ...nativeErrors },
      },
    },
    async (request, reply) => {
      const { process_id: processId, ...rest } = request.body;
      return reply.status(201).send(channelWire(await createChannel(store, actorOf(principalOf(request)), request.params.id, { ...rest, ...(processId !== undefined ? { processId } : {}) })));
    },
  );

  app.patch(
    '/channels/:id',
    {
      schema: {
        tags,
        operationId: 'onboarding.channels.update',
        summary: "Change a channel or assign it to one of its controller's processes (admins)",
        params: IdParams,
        body: ChannelPatchSchema,
        response: { 200: ChannelSchema, ...nativeErrors },
      },
    },
    async (request) => {
      const { process_id: processId, ...rest } = request.body;
      return channelWire(await updateChannel(store, actorOf(principalOf(request)), request.params.id, { ...rest, ...(processId !== undefined ? { processId } : {}) }));
    },
  );

  app.get(
    '/controllers/:id/ingest-keys',
    {
      schema: {
        tags,
        operationId: 'onboarding.ingestKeys.list',
        summary: "A controller's ingest keys, newest first (admins; never the keys themselves)",
        params: IdParams,
        response: { 200: Type.Object({ ingest_keys: Type.Array(IngestKeySchema) }), ...nativeErrors },
      },
    },
    async (request) => ({ ingest_keys: (await listIngestKeys(store, actorOf(principalOf(request)), request.params.id)).map((k) => ingestKeyWire(k, clock.now())) }),
  );

  app.post(
    '/controllers/:id/ingest-keys',
    {
      schema: {
        tags,
        operationId: 'onboarding.ingestKeys.rotate',
        summary: 'Issue a new ingest key; the previous keys work for the overlap, then stop (admins)',
        params: IdParams,
        body: RotateKeySchema,
        response: { 201: Type.Object({ ...IssuedKeySchema.properties, previous_keys_stop_at: IsoTimeSchema }), ...nativeErrors },
      },
    },
    async (request, reply) => {
      const rotated = await rotateIngestKey(store, actorOf(principalOf(request)), request.params.id, (request.body.overlap_seconds ?? 0) * 1000, clock);
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send({ key: rotated.key, ingest_key: ingestKeyWire(rotated.record, clock.now()), previous_keys_stop_at: new Date(rotated.previousKeysStopAt).toISOString() });
    },
  );

  app.delete(
    '/controllers/:id/ingest-keys',
    {
      schema: { tags, operationId: 'onboarding.ingestKeys.revokeAll', summary: 'Revoke every key of the controller: the device is refused at once (admins)', params: IdParams, response: { 200: Type.Object({ revoked: Type.Integer() }), ...nativeErrors } },
    },
    async (request) => ({ revoked: await revokeIngestKeys(store, actorOf(principalOf(request)), request.params.id, clock) }),
  );

  app.delete(
    '/controllers/:id/ingest-keys/:keyId',
    {
      schema: {
        tags,
        operationId: 'onboarding.ingestKeys.revoke',
        summary: 'Revoke one ingest key (admins)',
        params: Type.Object({ id: IdParamSchema, keyId: IdParamSchema }),
        response: { 200: Type.Object({ revoked: Type.Integer() }), ...nativeErrors },
      },
    },
    async (request) => ({ revoked: await revokeIngestKeys(store, actorOf(principalOf(request)), request.params.id, clock, request.params.keyId) }),
  );
};
