import { FLOW_SENSOR_MODEL, type Alarm, type Channel, type Controller, type Reading, type WebhookEndpoint } from '../domain/types.js';
import { pingObject } from '../wire/flowcommand.js';
import { fluentAlarm, fluentReading } from '../wire/fluent.js';

/** One event for one endpoint, before it is stored as a pending delivery. */
export interface DeliveryDraft {
  endpointId: number;
  customerId: number;
  eventType: string;
  payload: string;
}

export interface EventSource {
  controller: Controller;
  channels: ReadonlyMap<number, Channel>;
  stored: readonly Reading[];
  raised: readonly Alarm[];
  cleared: readonly Alarm[];
}

const FLOWRATE = 'flowrate';

/**
 * An endpoint's scope is the union of its controllers and its processes (both null: all the
 * customer's data). An alarm of the whole controller belongs to each of its processes.
 */
function inScope(endpoint: WebhookEndpoint, controller: Controller, channel: Channel | undefined, controllerProcessIds: ReadonlySet<number>): boolean {
  const { controllerIds, processIds } = endpoint;
  if (controllerIds === null && processIds === null) return true;
  if (controllerIds?.includes(controller.id)) return true;
  if (processIds === null) return false;
  if (channel) return channel.processId !== null && processIds.includes(channel.processId);
  return processIds.some((id) => controllerProcessIds.has(id));
}

/**
 * The deliveries one ingest batch causes: a `ping_received` per ping of a flow sensor for
 * FlowCommand webhooks; a `data-change` per reading and an `alarm` per raise or clear for
 * Fluent subscriptions — each only for endpoints whose scope covers it. The bodies are
 * rendered now, so a delivery sends exactly what the data was when it was stored.
 */
export function deliveriesFor(endpoints: readonly WebhookEndpoint[], source: EventSource): DeliveryDraft[] {
  const { controller, channels } = source;
  const processIds = new Set([...channels.values()].map((c) => c.processId).filter((id): id is number => id !== null));
  const drafts: DeliveryDraft[] = [];
  const add = (endpoint: WebhookEndpoint, eventType: string, body: unknown) =>
    drafts.push({ endpointId: endpoint.id, customerId: endpoint.customerId, eventType, payload: JSON.stringify(body) });

  for (const endpoint of endpoints) {
    if (endpoint.customerId !== controller.customerId) continue;
    if (endpoint.kind === 'flowcommand') {
      if (!endpoint.eventTypes.includes('ping_received') || controller.model !== FLOW_SENSOR_MODEL) continue;
      for (const reading of source.stored) {
        const channel = channels.get(reading.channelId);
        if (channel?.type !== FLOWRATE || !inScope(endpoint, controller, channel, processIds)) continue;
        add(endpoint, 'ping_received', { type: 'ping_received', api_version: '1', data: pingObject(controller, reading) });
      }
      continue;
    }
    const envelope = { 'subscription-id': endpoint.id, 'serial-number': controller.serialNumber };
    if (endpoint.eventTypes.includes('data-change')) {
      for (const reading of source.stored) {
        const channel = channels.get(reading.channelId);
        if (!channel || !inScope(endpoint, controller, channel, processIds)) continue;
        add(endpoint, 'data-change', { 'event-type': 'data-change', ...envelope, reading: fluentReading(channel, reading.value, reading.time) });
      }
    }
    if (endpoint.eventTypes.includes('alarm')) {
      for (const [action, alarms] of [
        ['raised', source.raised],
        ['cleared', source.cleared],
      ] as const) {
        for (const alarm of alarms) {
          const channel = alarm.channelId === null ? undefined : channels.get(alarm.channelId);
          if (!inScope(endpoint, controller, channel, processIds)) continue;
          add(endpoint, 'alarm', { 'event-type': 'alarm', ...envelope, 'alarm-event': action, alarm: fluentAlarm(alarm, channel) });
        }
      }
    }
  }
  return drafts;
}
