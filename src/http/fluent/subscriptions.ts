import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { createSubscription, renewSubscription, subscriptionStatus, SUBSCRIPTION_EVENT_TYPES, SUBSCRIPTION_LIFETIME_MS } from '../../domain/subscriptions.js';
import { formatIsoMillis } from '../../domain/time.js';
import type { WebhookEndpoint } from '../../domain/types.js';
import { deleteEndpoint, getEndpoint, resendDeliveries, rotateSecret, type EndpointServices } from '../../domain/webhook-endpoints.js';
import { principalOf } from '../plugins/auth.js';
import { FluentErrorSchema, fluentErrors } from './schemas.js';

/**
 * The Fluent `subscription` tag: create, list, get, renew, cancel. Pushes are POSTs of
 * `{"event-type", "subscription-id", "serial-number", "reading" | "alarm-event" + "alarm"}`
 * carrying the same reading and alarm objects as `controller/current-readings` and
 * `controller/active-alarms`, signed with Standard Webhooks headers.
 */

const Time = Type.String({ format: 'date-time' });
const EventType = Type.String({ enum: [...SUBSCRIPTION_EVENT_TYPES] });

const SubscriptionSchema = Type.Object({
  'subscription-id': Type.Integer(),
  'callback-url': Type.String(),
  'event-types': Type.Array(EventType),
  'serial-numbers': Type.Array(Type.String(), { description: 'Controllers whose events are pushed; empty with no processes means all of yours' }),
  'process-ids': Type.Array(Type.Integer()),
  status: Type.String({ enum: ['active', 'expired', 'disabled'], description: '`expired` 10 days after creation or the last renewal; `disabled` when deliveries kept failing' }),
  'disabled-reason': Type.Optional(Type.String()),
  'created-at': Time,
  'renewed-at': Time,
  'expires-at': Time,
});
const WithSecretSchema = Type.Object({
  ...SubscriptionSchema.properties,
  secret: Type.String({ description: 'Standard Webhooks signing key (`whsec_…`) for `webhook-signature`. Shown only now.' }),
});
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
const errors = { ...fluentErrors, 409: FluentErrorSchema } as const;

export const fluentSubscriptionRoutes: FastifyPluginAsyncTypebox<{ services: EndpointServices }> = async (app, { services }) => {
  const { store, clock } = services;
  const render = async (request: FastifyRequest, endpoints: WebhookEndpoint[]) => {
    const serials = new Map((await store.listControllers(request.scope)).map((c) => [c.id, c.serialNumber]));
    const now = clock.now();
    return endpoints.map((e) => ({
      'subscription-id': e.id,
      'callback-url': e.url,
      'event-types': e.eventTypes,
      'serial-numbers': (e.controllerIds ?? []).flatMap((id) => serials.get(id) ?? []),
      'process-ids': e.processIds ?? [],
      status: subscriptionStatus(e, now),
      ...(e.disabledReason ? { 'disabled-reason': e.disabledReason } : {}),
      'created-at': formatIsoMillis(e.createdAt),
      // Not updatedAt, which rotating the secret also moves: the expiry is always the last renewal + 10 days.
      'renewed-at': formatIsoMillis((e.expiresAt ?? e.createdAt + SUBSCRIPTION_LIFETIME_MS) - SUBSCRIPTION_LIFETIME_MS),
      'expires-at': formatIsoMillis(e.expiresAt ?? e.createdAt),
    }));
  };

  app.get(
    '/subscription/list/',
    {
      schema: {
        tags: ['subscription'],
        operationId: 'fluent.subscriptionList',
        summary: 'Your subscriptions, expired ones included until cancelled',
        response: { 200: Type.Object({ 'subscription-list': Type.Array(SubscriptionSchema) }), ...errors },
      },
    },
    async (request) => ({ 'subscription-list': await render(request, await store.listWebhookEndpoints(request.scope, { kind: 'fluent' })) }),
  );

  app.post(
    '/subscription/create/',
    {
      schema: {
        tags: ['subscription'],
        operationId: 'fluent.subscriptionCreate',
        summary: 'Subscribe a callback URL to data-change and/or alarm events for 10 days',
        body: Type.Object(
          {
            'callback-url': Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) URL the events are POSTed to' }),
            'event-types': Type.Array(Type.String({ maxLength: 50 }), { minItems: 1, maxItems: 2, description: '`data-change`, `alarm`' }),
            'serial-numbers': Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 })),
            'process-ids': Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), { maxItems: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: WithSecretSchema, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { endpoint, secret } = await createSubscription(services, principalOf(request), {
        callbackUrl: body['callback-url'],
        eventTypes: body['event-types'],
        ...(body['serial-numbers'] ? { serialNumbers: body['serial-numbers'] } : {}),
        ...(body['process-ids'] ? { processIds: body['process-ids'] } : {}),
      });
      const [rendered] = await render(request, [endpoint]);
      return reply.status(201).send({ ...rendered!, secret });
    },
  );

  app.get(
    '/subscription/:id',
    { schema: { tags: ['subscription'], operationId: 'fluent.subscriptionGet', summary: 'One subscription', params: IdParams, response: { 200: SubscriptionSchema, ...errors } } },
    async (request) => (await render(request, [await getEndpoint(services, principalOf(request), 'fluent', request.params.id)]))[0]!,
  );

  app.post(
    '/subscription/renew/:id',
    {
      schema: {
        tags: ['subscription'],
        operationId: 'fluent.subscriptionRenew',
        summary: 'Renew a subscription before it expires: it then expires 10 days from now',
        params: IdParams,
        response: { 200: SubscriptionSchema, ...errors },
      },
    },
    async (request) => (await render(request, [await renewSubscription(services, principalOf(request), request.params.id)]))[0]!,
  );

  app.post(
    '/subscription/rotate-secret/:id',
    {
      schema: {
        tags: ['subscription'],
        operationId: 'fluent.subscriptionRotateSecret',
        summary: 'Replace the signing secret',
        params: IdParams,
        response: { 200: Type.Object({ secret: Type.String() }), ...errors },
      },
    },
    async (request) => ({ secret: await rotateSecret(services, principalOf(request), 'fluent', request.params.id) }),
  );

  const DeliverySchema = Type.Object({
    'delivery-id': Type.Integer(),
    'webhook-id': Type.String({ description: 'The `webhook-id` header: the same for every attempt of this event' }),
    'event-type': Type.String({ enum: [...SUBSCRIPTION_EVENT_TYPES, 'test'], description: '`test`: sent by POST /api/flowline/v1/webhook-endpoints/{id}/test' }),
    status: Type.String({ enum: ['pending', 'delivered', 'failed'] }),
    attempts: Type.Integer(),
    'response-code': Type.Optional(Type.Integer()),
    'latency-ms': Type.Optional(Type.Integer()),
    'last-error': Type.Optional(Type.String()),
    'created-at': Time,
    'last-attempt-at': Type.Optional(Time),
    'next-attempt-at': Type.Optional(Time),
    'delivered-at': Type.Optional(Time),
  });
  const optional = <K extends string, V>(key: K, value: V | null) => (value === null ? {} : ({ [key]: value } as Record<K, V>));

  app.get(
    '/subscription/deliveries/:id',
    {
      schema: {
        tags: ['subscription'],
        operationId: 'fluent.subscriptionDeliveries',
        summary: "A subscription's delivery log, newest first",
        params: IdParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          cursor: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: '`next-cursor` of the previous page' })),
        }),
        response: { 200: Type.Object({ 'subscription-id': Type.Integer(), deliveries: Type.Array(DeliverySchema), 'next-cursor': Type.Union([Type.Integer(), Type.Null()]) }), ...errors },
      },
    },
    async (request) => {
      const endpoint = await getEndpoint(services, principalOf(request), 'fluent', request.params.id);
      const limit = request.query.limit ?? 100;
      const deliveries = await store.listDeliveries(request.scope, endpoint.id, { limit, ...(request.query.cursor ? { beforeId: request.query.cursor } : {}) });
      return {
        'subscription-id': endpoint.id,
        deliveries: deliveries.map((d) => ({
          'delivery-id': d.id,
          'webhook-id': d.messageId,
          'event-type': d.eventType,
          status: d.status,
          attempts: d.attempts,
          ...optional('response-code', d.lastStatus),
          ...optional('latency-ms', d.lastLatencyMs),
          ...optional('last-error', d.lastError),
          'created-at': formatIsoMillis(d.createdAt),
          ...optional('last-attempt-at', d.lastAttemptAt === null ? null : formatIsoMillis(d.lastAttemptAt)),
          ...optional('next-attempt-at', d.status === 'pending' ? formatIsoMillis(d.nextAttemptAt) : null),
          ...optional('delivered-at', d.deliveredAt === null ? null : formatIsoMillis(d.deliveredAt)),
        })),
        'next-cursor': deliveries.length === limit ? deliveries.at(-1)!.id : null,
      };
    },
  );

  app.post(
    '/subscription/resend/:id',
    {
      schema: {
        tags: ['subscription'],
        operationId: 'fluent.subscriptionResend',
        summary: 'Push again one delivery, or every delivery created in [start, end), with the same webhook-id',
        params: IdParams,
        body: Type.Union([
          Type.Object({ 'delivery-id': Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }, { additionalProperties: false }),
          Type.Object({ start: Type.String({ maxLength: 40 }), end: Type.String({ maxLength: 40 }) }, { additionalProperties: false }),
        ]),
        response: { 202: Type.Object({ resent: Type.Integer() }), ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const which = 'delivery-id' in body ? { deliveryId: body['delivery-id'] } : body;
      const resent = await resendDeliveries(services, principalOf(request), 'fluent', request.params.id, which);
      return reply.status(202).send({ resent });
    },
  );

  for (const path of ['/subscription/cancel/:id', '/subscription/:id']) {
    app.delete(
      path,
      {
        schema: {
          tags: ['subscription'],
          operationId: path.includes('cancel') ? 'fluent.subscriptionCancel' : 'fluent.subscriptionDelete',
          summary: 'Cancel a subscription: nothing more is pushed, and it is removed',
          params: IdParams,
          response: { 200: Type.Object({ 'subscription-id': Type.Integer(), status: Type.Literal('cancelled') }), ...errors },
        },
      },
      async (request) => {
        await deleteEndpoint(services, principalOf(request), 'fluent', request.params.id);
        return { 'subscription-id': request.params.id, status: 'cancelled' as const };
      },
    );
  }
};
