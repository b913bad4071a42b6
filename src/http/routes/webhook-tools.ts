import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { formatIsoMillis } from '../../domain/time.js';
import type { WebhookDelivery, WebhookEndpoint } from '../../domain/types.js';
import { getAnyEndpoint, queueTestEvent, setEndpointEnabled, TEST_EVENT_TYPE, type EndpointServices } from '../../domain/webhook-endpoints.js';
import { principalOf } from '../plugins/auth.js';
import { IdParamSchema, IsoTimeSchema, nativeErrors, Nullable } from '../schemas/common.js';

/**
 * Tools of the developers page that neither face has: send a test event to a FlowCommand
 * webhook endpoint or a Fluent subscription, and enable or disable either kind. Both act on
 * the endpoint id the faces show (`id` / `subscription-id`); another customer's is not found.
 */

const Params = Type.Object({ id: IdParamSchema });

const EndpointStateSchema = Type.Object({
  id: Type.Integer(),
  kind: Type.Union([Type.Literal('flowcommand'), Type.Literal('fluent')]),
  enabled: Type.Boolean(),
  disabled_reason: Nullable(Type.String({ description: 'Why the server disabled the endpoint (its deliveries kept failing)' })),
  updated_at: IsoTimeSchema,
});

const TestDeliverySchema = Type.Object({
  delivery_id: Type.Integer({ description: 'The delivery in the endpoint’s log' }),
  endpoint_id: Type.Integer(),
  kind: Type.Union([Type.Literal('flowcommand'), Type.Literal('fluent')]),
  event_type: Type.Literal(TEST_EVENT_TYPE),
  webhook_id: Type.String({ description: 'The `webhook-id` header the receiver gets' }),
  created_at: IsoTimeSchema,
});

const DeliverySchema = Type.Object({
  id: Type.Integer(),
  webhook_id: Type.String({ description: 'The `webhook-id` header: the same for every attempt and re-send of this event' }),
  event_type: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  response_code: Nullable(Type.Integer()),
  latency_ms: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  created_at: IsoTimeSchema,
  last_attempt_at: Nullable(IsoTimeSchema),
  next_attempt_at: Nullable({ ...IsoTimeSchema, description: 'When a pending delivery is tried next' }),
  delivered_at: Nullable(IsoTimeSchema),
});

const iso = (ms: number | null) => (ms === null ? null : formatIsoMillis(ms));
const deliveryJson = (d: WebhookDelivery) => ({
  id: d.id,
  webhook_id: d.messageId,
  event_type: d.eventType,
  status: d.status,
  attempts: d.attempts,
  response_code: d.lastStatus,
  latency_ms: d.lastLatencyMs,
  last_error: d.lastError,
  created_at: formatIsoMillis(d.createdAt),
  last_attempt_at: iso(d.lastAttemptAt),
  next_attempt_at: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
  delivered_at: iso(d.deliveredAt),
});

const stateJson = (e: WebhookEndpoint) => ({ id: e.id, kind: e.kind, enabled: e.enabled, disabled_reason: e.disabledReason, updated_at: formatIsoMillis(e.updatedAt) });

export const webhookToolRoutes: FastifyPluginAsyncTypebox<{ services: EndpointServices; onQueued?: () => void }> = async (app, { services, onQueued }) => {
  app.post(
    '/webhook-endpoints/:id/test',
    {
      schema: {
        tags: ['webhooks'],
        operationId: 'webhookTools.sendTest',
        summary: 'Queue a signed test event to a webhook endpoint or subscription',
        description:
          'One delivery of event type `test` in the shape of the endpoint’s events (FlowCommand: `{"type": "test", "api_version": "1", "test": true, "data": {example ping}}`; Fluent: `{"event-type": "test", "subscription-id", "serial-number": "TEST", "test": true, "reading": {example}}`), signed and sent by the delivery worker like any event and listed in the delivery log. A disabled endpoint or an expired subscription is 409.',
        params: Params,
        response: { 202: TestDeliverySchema, ...nativeErrors },
      },
    },
    async (request, reply) => {
      const { endpoint, delivery } = await queueTestEvent(services, principalOf(request), request.params.id);
      onQueued?.();
      return reply.status(202).send({
        delivery_id: delivery.id,
        endpoint_id: endpoint.id,
        kind: endpoint.kind,
        event_type: TEST_EVENT_TYPE,
        webhook_id: delivery.messageId,
        created_at: formatIsoMillis(delivery.createdAt),
      });
    },
  );

  app.get(
    '/webhook-endpoints/:id/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        operationId: 'webhookTools.deliveries',
        summary: 'The newest deliveries of a webhook endpoint or subscription, in one shape for both kinds',
        description: 'Newest first, `limit` at a time (50 unless given); continue with `before` = the `next_before` of the previous answer.',
        params: Params,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          before: Type.Optional(IdParamSchema),
        }),
        response: { 200: Type.Object({ endpoint_id: Type.Integer(), deliveries: Type.Array(DeliverySchema), next_before: Nullable(Type.Integer()) }), ...nativeErrors },
      },
    },
    async (request) => {
      const endpoint = await getAnyEndpoint(services, principalOf(request), request.params.id);
      const limit = request.query.limit ?? 50;
      const deliveries = await services.store.listDeliveries(request.scope, endpoint.id, { limit, ...(request.query.before ? { beforeId: request.query.before } : {}) });
      return { endpoint_id: endpoint.id, deliveries: deliveries.map(deliveryJson), next_before: deliveries.length === limit ? deliveries.at(-1)!.id : null };
    },
  );

  app.put(
    '/webhook-endpoints/:id/enabled',
    {
      schema: {
        tags: ['webhooks'],
        operationId: 'webhookTools.setEnabled',
        summary: 'Enable or disable a webhook endpoint or subscription',
        description: 'A disabled endpoint receives nothing: no events are queued for it meanwhile, and deliveries already queued wait until it is enabled again. Enabling clears `disabled_reason` and the failure streak.',
        params: Params,
        body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: EndpointStateSchema, ...nativeErrors },
      },
    },
    async (request) => stateJson(await setEndpointEnabled(services, principalOf(request), request.params.id, request.body.enabled)),
  );
};
