import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { controllerForIngestKey, ingestBatch, MAX_BATCH_ALARMS, MAX_BATCH_READINGS } from '../../domain/ingest.js';
import type { Clock } from '../../domain/time.js';
import type { Controller } from '../../domain/types.js';
import { ERRORS } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { parseAuthorization } from '../plugins/auth.js';
import { IsoTimeInputSchema, nativeErrors } from '../schemas/common.js';

// PostgreSQL text cannot hold NUL; refuse it at the door rather than fail in the database.
const NO_NUL = '^[^\\u0000]*$';
const ChannelNumberSchema = Type.String({ minLength: 1, maxLength: 64, pattern: NO_NUL });

const IngestBodySchema = Type.Object(
  {
    readings: Type.Optional(
      Type.Array(
        Type.Object({ channel: ChannelNumberSchema, time: IsoTimeInputSchema, value: Type.Number() }),
        { maxItems: MAX_BATCH_READINGS },
      ),
    ),
    alarms: Type.Optional(
      Type.Array(
        Type.Object({
          event: Type.Union([Type.Literal('raise'), Type.Literal('clear')]),
          code: Type.Integer({ minimum: 0, maximum: 2_147_483_647 }),
          channel: Type.Optional(ChannelNumberSchema),
          type: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: NO_NUL })),
          severity: Type.Optional(Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')])),
          message: Type.Optional(Type.String({ maxLength: 500, pattern: NO_NUL })),
          time: IsoTimeInputSchema,
        }),
        { maxItems: MAX_BATCH_ALARMS },
      ),
    ),
  },
  { additionalProperties: false },
);

const IngestReportSchema = Type.Object({
  controller: Type.String({ description: 'Serial number of the controller the ingest key belongs to' }),
  received: Type.Integer(),
  stored: Type.Integer(),
  duplicates: Type.Integer({ description: 'Readings whose (channel, time) was already stored; left unchanged' }),
  not_stored: Type.Array(Type.Object({ index: Type.Integer(), channel: Type.String(), reason: Type.String() })),
  alarms: Type.Object({ raised: Type.Integer(), cleared: Type.Integer(), ignored: Type.Integer() }),
});

/** 10,000 readings as JSON run to about 1 MB; leave room for alarms and long channel names. */
const INGEST_BODY_LIMIT = 8 * 1024 * 1024;

export const ingestRoutes: FastifyPluginAsyncTypebox<{ store: Store; clock: Clock; onQueued?: () => void }> = async (app, { store, clock, onQueued }) => {
  app.decorateRequest('ingestController', null);
  app.post(
    '/ingest/v1/readings',
    {
      bodyLimit: INGEST_BODY_LIMIT,
      schema: {
        tags: ['ingest'],
        operationId: 'ingest.readings',
        summary: 'Push a batch of readings and alarm events from a controller',
        description:
          'Authenticated by the controller ingest key (`Authorization: Bearer <key>`). All-or-nothing: a bad time or an unknown channel rejects the whole batch. Idempotent on (channel, time). Answered only after the batch is committed.',
        security: [{ ingestKey: [] }],
        body: IngestBodySchema,
        response: { 200: IngestReportSchema, ...nativeErrors },
      },
      // The key is checked before the body is parsed, so an unknown device learns nothing about its payload.
      onRequest: async (request) => {
        const credentials = parseAuthorization(request.headers.authorization);
        if (!credentials) throw ERRORS.notAuthenticated();
        if (credentials.scheme !== 'token') throw ERRORS.invalidIngestKey();
        request.ingestController = await controllerForIngestKey(store, credentials.token, clock.now());
      },
    },
    async (request) => {
      const report = await ingestBatch(store, request.ingestController!, request.body, clock);
      // The batch may have queued webhook deliveries: the worker need not wait for its next poll.
      onQueued?.();
      return {
        controller: report.controller.serialNumber,
        received: report.received,
        stored: report.outcome.stored.length,
        duplicates: report.outcome.duplicates,
        not_stored: report.notStored,
        alarms: { raised: report.outcome.raised.length, cleared: report.outcome.cleared.length, ignored: report.outcome.alarmEventsIgnored },
      };
    },
  );
};

declare module 'fastify' {
  interface FastifyRequest {
    /** The device the ingest key belongs to; set by the ingest route's onRequest hook. */
    ingestController: Controller | null;
  }
}
