import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { createEndpoint, deleteEndpoint, getEndpoint, resendDeliveries, rotateSecret, updateEndpoint, type EndpointServices } from '../../domain/webhook-endpoints.js';
import { formatIsoSeconds } from '../../domain/time.js';
import type { WebhookDelivery, WebhookEndpoint } from '../../domain/types.js';
import { ERRORS } from '../../errors.js';
import { principalOf } from '../plugins/auth.js';
import { Nullable } from '../schemas/common.js';
import { envelope, PAGE_SIZE, resolvePage } from './pagination.js';
import { DateTime, detailErrors, isoSeconds as iso, lastOf, page, PageQuerySchema, SensorParamsSchema } from './schemas.js';

/**
 * `/api/v1/webhooks/…`: FlowCommand's webhook endpoints (seed 002: a POST per ping received,
 * with the endpoint's secret in `FC-Signature`), managed in the face's Django REST style.
 */


const WebhookSchema = Type.Object({
  id: Type.Integer(),
  url: Type.String(),
  enabled: Type.Boolean(),
  event_types: Type.Array(Type.String(), { description: 'Always `["ping_received"]`' }),
  disabled_reason: Nullable(Type.String({ description: 'Why the server disabled the endpoint (its deliveries kept failing)' })),
  failing_since: Nullable({ ...DateTime, description: 'Since when every delivery has failed' }),
  created_at: DateTime,
  updated_at: DateTime,
});
const WebhookWithSecretSchema = Type.Object({
  ...WebhookSchema.properties,
  secret: Type.String({ description: 'Sent as `FC-Signature` and the Standard Webhooks signing key. Shown only now.' }),
});
const DeliverySchema = Type.Object({
  id: Type.Integer(),
  webhook_id: Type.String({ description: 'The `webhook-id` header: the same for every attempt of this event' }),
  event_type: Type.String(),
  status: Type.String({ enum: ['pending', 'delivered', 'failed'] }),
  attempts: Type.Integer(),
  response_code: Nullable(Type.Integer()),
  latency_ms: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  created_at: DateTime,
  last_attempt_at: Nullable(DateTime),
  next_attempt_at: Nullable({ ...DateTime, description: 'When a pending delivery is tried next' }),
  delivered_at: Nullable(DateTime),
});

const Url = Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) URL that receives the POSTs' });
const Params = SensorParamsSchema;
const DeliveryParams = Type.Object({ id: Type.String({ pattern: '^[0-9]+$' }), delivery: Type.String({ pattern: '^[0-9]+$' }) });
const errors = detailErrors;

function webhookJson(e: WebhookEndpoint) {
  return {
    id: e.id,
    url: e.url,
    enabled: e.enabled,
    event_types: e.eventTypes,
    disabled_reason: e.disabledReason,
    failing_since: iso(e.failingSince),
    created_at: formatIsoSeconds(e.createdAt),
    updated_at: formatIsoSeconds(e.updatedAt),
  };
}

function deliveryJson(d: WebhookDelivery) {
  return {
    id: d.id,
    webhook_id: d.messageId,
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    response_code: d.lastStatus,
    latency_ms: d.lastLatencyMs,
    last_error: d.lastError,
    created_at: formatIsoSeconds(d.createdAt),
    last_attempt_at: iso(d.lastAttemptAt),
    next_attempt_at: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    delivered_at: iso(d.deliveredAt),
  };
}

const idOf = (text: string) => {
  const id = Number(text);
  if (!Number.isSafeInteger(id)) throw ERRORS.notFound('Webhook endpoint');
  return id;
};

export const webhookRoutes: FastifyPluginAsyncTypebox<{ services: EndpointServices }> = async (app, { services }) => {
  const { store } = services;

  app.get(
    '/webhooks/',
    { schema: { tags: ['webhooks'], operationId: 'flowcommand.webhooks.list', summary: 'Your webhook endpoints, by id', querystring: PageQuerySchema, response: { 200: page(WebhookSchema), ...errors } } },
    async (request) => {
      const endpoints = await store.listWebhookEndpoints(request.scope, { kind: 'flowcommand' });
      const n = resolvePage(lastOf(request.query.page), endpoints.length);
      return envelope(request, endpoints.length, n, endpoints.slice((n - 1) * PAGE_SIZE, n * PAGE_SIZE).map(webhookJson));
    },
  );

  app.post(
    '/webhooks/',
    {
      schema: {
        tags: ['webhooks'],
        operationId: 'flowcommand.webhooks.create',
        summary: 'Add a webhook endpoint: a POST to it for every ping of your sensors',
        body: Type.Object({ url: Url, enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 201: WebhookWithSecretSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { endpoint, secret } = await createEndpoint(services, principalOf(request), 'flowcommand', {
        url: request.body.url,
        eventTypes: ['ping_received'],
        ...(request.body.enabled !== undefined ? { enabled: request.body.enabled } : {}),
      });
      return reply.status(201).send({ ...webhookJson(endpoint), secret });
    },
  );

  app.get(
    '/webhooks/:id(^\\d+)/',
    { schema: { tags: ['webhooks'], operationId: 'flowcommand.webhooks.get', summary: 'One webhook endpoint', params: Params, response: { 200: WebhookSchema, ...errors } } },
    async (request) => webhookJson(await getEndpoint(services, principalOf(request), 'flowcommand', idOf(request.params.id))),
  );

  for (const method of ['put', 'patch'] as const) {
    app[method](
      '/webhooks/:id(^\\d+)/',
      {
        schema: {
          tags: ['webhooks'],
          operationId: `flowcommand.webhooks.${method === 'put' ? 'update' : 'partialUpdate'}`,
          summary: method === 'put' ? 'Change a webhook endpoint' : 'Change some fields of a webhook endpoint',
          description: 'Enabling an endpoint the server disabled clears `disabled_reason` and `failing_since`.',
          params: Params,
          body:
            method === 'put'
              ? Type.Object({ url: Url, enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false })
              : Type.Object({ url: Type.Optional(Url), enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
          response: { 200: WebhookSchema, ...errors },
        },
      },
      async (request) => {
        const body = request.body as { url?: string; enabled?: boolean };
        return webhookJson(
          await updateEndpoint(services, principalOf(request), 'flowcommand', idOf(request.params.id), {
            ...(body.url !== undefined ? { url: body.url } : {}),
            ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
          }),
        );
      },
    );
  }

  app.delete(
    '/webhooks/:id(^\\d+)/',
    { schema: { tags: ['webhooks'], operationId: 'flowcommand.webhooks.delete', summary: 'Remove a webhook endpoint and its delivery log', params: Params, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      await deleteEndpoint(services, principalOf(request), 'flowcommand', idOf(request.params.id));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/webhooks/:id(^\\d+)/rotate_secret/',
    {
      schema: {
        tags: ['webhooks'],
        operationId: 'flowcommand.webhooks.rotateSecret',
        summary: 'Replace the secret; deliveries from now on use the new one',
        params: Params,
        response: { 200: Type.Object({ secret: Type.String() }), ...errors },
      },
    },
    async (request) => ({ secret: await rotateSecret(services, principalOf(request), 'flowcommand', idOf(request.params.id)) }),
  );

  app.get(
    '/webhooks/:id(^\\d+)/deliveries/',
    {
      schema: {
        tags: ['webhooks'],
        operationId: 'flowcommand.webhooks.deliveries',
        summary: 'The delivery log of an endpoint, newest first',
        params: Params,
        querystring: PageQuerySchema,
        response: { 200: page(DeliverySchema), ...errors },
      },
    },
    async (request) => {
      const endpoint = await getEndpoint(services, principalOf(request), 'flowcommand', idOf(request.params.id));
      const count = await store.countDeliveries(request.scope, endpoint.id);
      const n = resolvePage(lastOf(request.query.page), count);
      const deliveries = await store.listDeliveries(request.scope, endpoint.id, { limit: PAGE_SIZE, offset: (n - 1) * PAGE_SIZE });
      return envelope(request, count, n, deliveries.map(deliveryJson));
    },
  );

  app.post(
    '/webhooks/:id(^\\d+)/deliveries/:delivery(^\\d+)/resend/',
    {
      schema: {
        tags: ['webhooks'],
        operationId: 'flowcommand.webhooks.resendOne',
        summary: 'Send one delivery again (same webhook-id)',
        params: DeliveryParams,
        response: { 202: Type.Object({ resent: Type.Integer() }), ...errors },
      },
    },
    async (request, reply) => {
      const resent = await resendDeliveries(services, principalOf(request), 'flowcommand', idOf(request.params.id), { deliveryId: idOf(request.params.delivery) });
      return reply.status(202).send({ resent });
    },
  );

  app.post(
    '/webhooks/:id(^\\d+)/resend/',
    {
      schema: {
        tags: ['webhooks'],
        operationId: 'flowcommand.webhooks.resendRange',
        summary: 'Send again every delivery of the endpoint created in [start, end)',
        params: Params,
        body: Type.Object({ start: Type.String({ maxLength: 40 }), end: Type.String({ maxLength: 40 }) }, { additionalProperties: false }),
        response: { 202: Type.Object({ resent: Type.Integer() }), ...errors },
      },
    },
    async (request, reply) => {
      const resent = await resendDeliveries(services, principalOf(request), 'flowcommand', idOf(request.params.id), request.body);
      return reply.status(202).send({ resent });
    },
  );
};
