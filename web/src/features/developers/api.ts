import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../lib/api';

/**
 * The developers page's data: FlowCommand webhook endpoints (`/api/v1/webhooks/`), Fluent
 * subscriptions (`/subscription/…`), and Flowline's tools for both (test event, enable).
 * Every call goes through the typed client; the session cookie authenticates it.
 */

export const keys = {
  hooks: ['developers', 'flowcommand'] as const,
  subscriptions: ['developers', 'fluent'] as const,
  deliveries: (kind: Kind, id: number) => ['developers', 'deliveries', kind, id] as const,
};

export type Kind = 'flowcommand' | 'fluent';

/** One row of either delivery log, in one shape. */
export interface DeliveryRow {
  id: number;
  eventType: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  responseCode: number | null;
  latencyMs: number | null;
  lastError: string | null;
  createdAt: string;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

export function useHooks() {
  return useQuery({ queryKey: keys.hooks, queryFn: () => must(api.GET('/api/v1/webhooks/')) });
}

export function useSubscriptions() {
  return useQuery({ queryKey: keys.subscriptions, queryFn: async () => (await must(api.GET('/subscription/list/')))['subscription-list'] });
}

/** Both kinds' logs come from one Flowline route, in one shape, the newest 50. */
async function fetchDeliveries(id: number): Promise<DeliveryRow[]> {
  const log = await must(api.GET('/api/flowline/v1/webhook-endpoints/{id}/deliveries', { params: { path: { id }, query: { limit: 50 } } }));
  return log.deliveries.map((d) => ({
    id: d.id,
    eventType: d.event_type,
    status: d.status,
    attempts: d.attempts,
    responseCode: d.response_code,
    latencyMs: d.latency_ms,
    lastError: d.last_error,
    createdAt: d.created_at,
    nextAttemptAt: d.next_attempt_at,
    deliveredAt: d.delivered_at,
  }));
}

/** A delivery log, polled while it has pending deliveries (and slowly otherwise, for new events). */
export function useDeliveries(kind: Kind, id: number, enabled = true) {
  return useQuery({
    queryKey: keys.deliveries(kind, id),
    enabled,
    queryFn: () => fetchDeliveries(id),
    refetchInterval: (query) => (query.state.data?.some((d) => d.status === 'pending') ? 1000 : 5000),
  });
}

function useInvalidate() {
  const client = useQueryClient();
  return (kind: Kind, id?: number) =>
    Promise.all([
      client.invalidateQueries({ queryKey: kind === 'flowcommand' ? keys.hooks : keys.subscriptions }),
      ...(id === undefined ? [] : [client.invalidateQueries({ queryKey: keys.deliveries(kind, id) })]),
    ]);
}

export function useCreateHook() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (url: string) => must(api.POST('/api/v1/webhooks/', { body: { url } })),
    onSuccess: () => invalidate('flowcommand'),
  });
}

export function useCreateSubscription() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: { 'callback-url': string; 'event-types': string[]; 'serial-numbers'?: string[] }) => must(api.POST('/subscription/create/', { body })),
    onSuccess: () => invalidate('fluent'),
  });
}

export function useRenewSubscription() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: number) => must(api.POST('/subscription/renew/{id}', { params: { path: { id } } })),
    onSuccess: () => invalidate('fluent'),
  });
}

export function useRotateSecret(kind: Kind) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async (id: number) =>
      kind === 'flowcommand'
        ? must(api.POST('/api/v1/webhooks/{id}/rotate_secret/', { params: { path: { id: String(id) } } }))
        : must(api.POST('/subscription/rotate-secret/{id}', { params: { path: { id } } })),
    onSuccess: () => invalidate(kind),
  });
}

export function useDeleteEndpoint(kind: Kind) {
  const invalidate = useInvalidate();
  const client = useQueryClient();
  return useMutation({
    // The log stops polling first: a poll after the delete would ask for a log that is gone.
    onMutate: (id: number) => client.cancelQueries({ queryKey: keys.deliveries(kind, id) }),
    mutationFn: async (id: number) => {
      if (kind === 'flowcommand') await must(api.DELETE('/api/v1/webhooks/{id}/', { params: { path: { id: String(id) } } }));
      else await must(api.DELETE('/subscription/cancel/{id}', { params: { path: { id } } }));
    },
    onSuccess: () => invalidate(kind),
  });
}

export function useSetEnabled(kind: Kind) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, enabled }: { id: number; enabled: boolean }) => must(api.PUT('/api/flowline/v1/webhook-endpoints/{id}/enabled', { params: { path: { id } }, body: { enabled } })),
    onSuccess: (_data, { id }) => invalidate(kind, id),
  });
}

export function useSendTest(kind: Kind) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: number) => must(api.POST('/api/flowline/v1/webhook-endpoints/{id}/test', { params: { path: { id } } })),
    onSuccess: (_data, id) => invalidate(kind, id),
  });
}

export function useResend(kind: Kind, endpointId: number) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async (deliveryId: number) =>
      kind === 'flowcommand'
        ? must(api.POST('/api/v1/webhooks/{id}/deliveries/{delivery}/resend/', { params: { path: { id: String(endpointId), delivery: String(deliveryId) } } }))
        : must(api.POST('/subscription/resend/{id}', { params: { path: { id: endpointId } }, body: { 'delivery-id': deliveryId } })),
    onSuccess: () => invalidate(kind, endpointId),
  });
}
