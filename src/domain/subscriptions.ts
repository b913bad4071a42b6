import { ERRORS } from '../errors.js';
import type { Principal } from './auth.js';
import { scopeOf } from './auth.js';
import type { WebhookEndpoint } from './types.js';
import { createEndpoint, getEndpoint, updateEndpoint, type EndpointServices } from './webhook-endpoints.js';

/**
 * Fluent subscriptions (seed 000): pushed data-change and alarm events of chosen controllers
 * or processes. Each expires 10 days after it is created or last renewed, after which it
 * delivers nothing and shows as expired until cancelled; it can be renewed only before then.
 */

export const SUBSCRIPTION_LIFETIME_MS = 10 * 24 * 60 * 60_000;
export const SUBSCRIPTION_EVENT_TYPES = ['data-change', 'alarm'] as const;

export type SubscriptionStatus = 'active' | 'expired' | 'disabled';

export function subscriptionStatus(endpoint: WebhookEndpoint, now: number): SubscriptionStatus {
  if (endpoint.expiresAt !== null && endpoint.expiresAt <= now) return 'expired';
  return endpoint.enabled ? 'active' : 'disabled';
}

export interface SubscriptionInput {
  callbackUrl: string;
  eventTypes: string[];
  serialNumbers?: string[];
  processIds?: number[];
}

/** Serials and processes must be the caller's; an unknown one is named, a foreign one looks unknown. */
async function resolveScope(services: EndpointServices, principal: Principal, input: SubscriptionInput): Promise<{ controllerIds: number[] | null; processIds: number[] | null }> {
  const scope = scopeOf(principal);
  let controllerIds: number[] | null = null;
  if (input.serialNumbers && input.serialNumbers.length > 0) {
    const bySerial = new Map((await services.store.listControllers(scope)).map((c) => [c.serialNumber, c.id]));
    controllerIds = [];
    for (const serial of new Set(input.serialNumbers)) {
      const id = bySerial.get(serial);
      if (id === undefined) throw ERRORS.invalidRequest(`Unknown controller serial number "${serial}".`);
      controllerIds.push(id);
    }
  }
  let processIds: number[] | null = null;
  if (input.processIds && input.processIds.length > 0) {
    const mine = new Set((await services.store.listProcesses(scope)).map((p) => p.id));
    const unknown = input.processIds.find((id) => !mine.has(id));
    if (unknown !== undefined) throw ERRORS.invalidRequest(`Unknown process ${unknown}.`);
    processIds = [...new Set(input.processIds)];
  }
  return { controllerIds, processIds };
}

function checkEventTypes(eventTypes: string[]): string[] {
  const unknown = eventTypes.find((t) => !(SUBSCRIPTION_EVENT_TYPES as readonly string[]).includes(t));
  if (unknown !== undefined) throw ERRORS.invalidRequest(`Unknown event type "${unknown}"; use ${SUBSCRIPTION_EVENT_TYPES.join(', ')}.`);
  if (eventTypes.length === 0) throw ERRORS.invalidRequest(`Choose at least one event type: ${SUBSCRIPTION_EVENT_TYPES.join(', ')}.`);
  return [...new Set(eventTypes)];
}

export async function createSubscription(services: EndpointServices, principal: Principal, input: SubscriptionInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const eventTypes = checkEventTypes(input.eventTypes);
  const { controllerIds, processIds } = await resolveScope(services, principal, input);
  return createEndpoint(services, principal, 'fluent', {
    url: input.callbackUrl,
    eventTypes,
    controllerIds,
    processIds,
    expiresAt: services.clock.now() + SUBSCRIPTION_LIFETIME_MS,
  });
}

export async function renewSubscription(services: EndpointServices, principal: Principal, id: number): Promise<WebhookEndpoint> {
  const endpoint = await getEndpoint(services, principal, 'fluent', id);
  const now = services.clock.now();
  if (subscriptionStatus(endpoint, now) === 'expired') throw ERRORS.conflict(`Subscription ${id} has expired; create a new one.`);
  return updateEndpoint(services, principal, 'fluent', id, { expiresAt: now + SUBSCRIPTION_LIFETIME_MS });
}
