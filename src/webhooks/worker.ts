import type { BlockList } from 'node:net';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import type { SecretBox } from '../domain/secret-box.js';
import type { Clock } from '../domain/time.js';
import type { ClaimedDelivery, DeliveryAttempt, Store } from '../store/store.js';
import { isRetryable, nextAttemptAt } from './backoff.js';
import { checkWebhookUrl, safeLookup } from './destination.js';
import { standardWebhookHeaders } from './signing.js';

export interface DeliveryWorkerOptions {
  store: Store;
  secrets: SecretBox;
  /** Networks webhooks may reach despite being private (tests allow loopback). */
  allowed: BlockList;
  clock: Clock;
  logger: Logger;
  /** Deliveries in flight at once, over all endpoints. */
  concurrency?: number;
  /** Deliveries in flight at once to one endpoint. */
  perEndpoint?: number;
  /** Connect + response time allowed for one attempt. */
  timeoutMs?: number;
  /** How long a claim keeps other workers off a delivery; a crashed worker's claims lapse after it. */
  leaseMs?: number;
  /** How often to look for due deliveries when nothing pokes the worker. */
  pollMs?: number;
  /** Bytes of a receiver's answer read at most (the rest is discarded). */
  maxResponseBytes?: number;
  random?: () => number;
}

export interface DeliveryWorker {
  /** New deliveries were queued: look now rather than at the next poll. */
  poke(): void;
  stop(): Promise<void>;
}

const USER_AGENT = 'Flowline-Webhooks/1';

/**
 * Sends queued deliveries: claims due ones (leased, so several processes share the work and a
 * crash loses nothing), POSTs each with its signatures, and records the attempt — delivered,
 * retried later with backoff, or failed for good — disabling endpoints that have failed for
 * three days. At least once: a delivery is marked only after its answer, so a crash between
 * sending and recording sends it again.
 */
export function startDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { store, secrets, clock, logger } = options;
  const concurrency = options.concurrency ?? 64;
  const perEndpoint = options.perEndpoint ?? 16;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const leaseMs = options.leaseMs ?? 60_000;
  const pollMs = options.pollMs ?? 500;
  const maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
  const random = options.random ?? Math.random;
  const agent = new Agent({ connect: { lookup: safeLookup(options.allowed), timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });

  let running = true;
  let inFlight = 0;
  const inFlightByEndpoint = new Map<number, number>();
  const waiting = new Map<number, ClaimedDelivery[]>();
  let wake: (() => void) | null = null;
  let pokedWhileBusy = false;
  const settled = new Set<Promise<void>>();

  // Results are written in batches: one transaction per flush rather than per delivery (on
  // SQLite each commit is a disk sync). A delivery stays leased until its result is written.
  let unrecorded: { delivery: ClaimedDelivery; attempt: DeliveryAttempt }[] = [];
  let flushing: Promise<void> = Promise.resolve();
  let flushTimer: NodeJS.Timeout | null = null;
  const flush = (): Promise<void> => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    const batch = unrecorded;
    unrecorded = [];
    flushing = flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await store.recordDeliveryAttempts(batch);
      } catch (e) {
        logger.warn({ err: e, deliveries: batch.length }, 'webhook delivery results could not be recorded; their leases will lapse and they are sent again');
      }
    });
    return flushing;
  };
  const record = (delivery: ClaimedDelivery, attempt: DeliveryAttempt): Promise<void> => {
    unrecorded.push({ delivery, attempt });
    if (unrecorded.length >= 200) return flush();
    flushTimer ??= setTimeout(() => void flush(), 5);
    return Promise.resolve();
  };

  const poke = () => {
    pokedWhileBusy = true;
    wake?.();
  };

  async function send(delivery: ClaimedDelivery): Promise<DeliveryAttempt> {
    const started = performance.now();
    const at = clock.now();
    let status: number | null = null;
    let error: string | null = null;
    let final = false;
    try {
      let secret: string;
      try {
        secret = secrets.open(delivery.secretCiphertext);
      } catch {
        final = true;
        throw new Error('the signing secret cannot be opened (was SECRET_KEY changed?); rotate the secret');
      }
      // A literal IP address is connected to without a lookup, so safeLookup never sees it;
      // a refused address is the endpoint's configuration, not a passing failure.
      try {
        checkWebhookUrl(delivery.url, options.allowed);
      } catch (refused) {
        final = true;
        throw refused;
      }
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...standardWebhookHeaders(secret, delivery.messageId, Math.floor(at / 1000), delivery.payload),
        // FlowCommand's document: the endpoint's secret itself, in `FC-Signature`.
        ...(delivery.endpointKind === 'flowcommand' ? { 'fc-signature': secret } : {}),
      };
      const response = await request(delivery.url, {
        method: 'POST',
        body: delivery.payload,
        headers,
        dispatcher: agent,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.statusCode;
      await drain(response.body, maxResponseBytes);
      if (status >= 300 && status < 400) error = `redirect to ${String(response.headers.location ?? '?')} not followed`;
      else if (status >= 400) error = `HTTP ${status}`;
    } catch (e) {
      error = describe(e);
    }
    const latencyMs = performance.now() - started;
    if (status !== null && status >= 200 && status < 300) return { at, status, error: null, latencyMs, outcome: 'delivered' };
    const redirect = status !== null && status >= 300 && status < 400;
    const next = !redirect && !final && isRetryable(status) ? nextAttemptAt(delivery.firstAttemptAt ?? at, at, delivery.attempts + 1, random) : null;
    return { at, status, error, latencyMs, outcome: next === null ? 'failed' : 'retry', ...(next === null ? {} : { nextAttemptAt: next }) };
  }

  function start(delivery: ClaimedDelivery): void {
    inFlight += 1;
    inFlightByEndpoint.set(delivery.endpointId, (inFlightByEndpoint.get(delivery.endpointId) ?? 0) + 1);
    const task = send(delivery)
      .then((attempt) => record(delivery, attempt))
      .catch((e: unknown) => logger.warn({ err: e, delivery: delivery.id }, 'webhook delivery failed unexpectedly; its lease will lapse and it is sent again'))
      .finally(() => {
        inFlight -= 1;
        const left = (inFlightByEndpoint.get(delivery.endpointId) ?? 1) - 1;
        if (left === 0) inFlightByEndpoint.delete(delivery.endpointId);
        else inFlightByEndpoint.set(delivery.endpointId, left);
        const queue = waiting.get(delivery.endpointId);
        const next = queue?.shift();
        if (queue && queue.length === 0) waiting.delete(delivery.endpointId);
        if (next && running) start(next);
        settled.delete(task);
        wake?.();
      });
    settled.add(task);
  }

  function dispatch(delivery: ClaimedDelivery): void {
    if ((inFlightByEndpoint.get(delivery.endpointId) ?? 0) < perEndpoint) start(delivery);
    else waiting.set(delivery.endpointId, [...(waiting.get(delivery.endpointId) ?? []), delivery]);
  }

  const waitingCount = () => [...waiting.values()].reduce((n, q) => n + q.length, 0);

  async function loop(): Promise<void> {
    while (running) {
      const room = concurrency - inFlight - waitingCount();
      let claimed: ClaimedDelivery[] = [];
      pokedWhileBusy = false;
      // Claim in bulk (each claim is a write transaction), unless nothing at all is in flight.
      if (room >= Math.min(16, concurrency) || (room > 0 && inFlight === 0)) {
        try {
          claimed = await store.claimDeliveries(clock.now(), leaseMs, room);
        } catch (e) {
          logger.warn({ err: e }, 'claiming webhook deliveries failed');
        }
        for (const delivery of claimed) dispatch(delivery);
      }
      if (!running) break;
      if (claimed.length > 0 && claimed.length === room) continue;
      if (pokedWhileBusy) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  }

  const looping = loop();
  return {
    poke,
    async stop() {
      running = false;
      wake?.();
      await looping;
      await Promise.allSettled([...settled]);
      await flush();
      await agent.close();
    },
  };
}

async function drain(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<void> {
  let read = 0;
  for await (const chunk of body) {
    read += chunk.length;
    if (read >= limit) {
      body.destroy();
      return;
    }
  }
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string; name?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
  const code = e.code ?? e.cause?.code;
  const message = e.message ?? e.cause?.message ?? String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
