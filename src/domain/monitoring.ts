import { ERRORS } from '../errors.js';
import type { Store } from '../store/store.js';
import type { Scope } from './scope.js';
import type { Alarm, AlarmSeverity, Channel, Controller, Reading } from './types.js';

export interface ControllerWithChannels {
  controller: Controller;
  channels: Channel[];
}

/** Everything a dashboard shows at a glance: each visible controller with its channels' latest values. */
export async function controllersWithChannels(store: Store, scope: Scope): Promise<ControllerWithChannels[]> {
  const [controllers, channels] = await Promise.all([store.listControllers(scope), store.listChannels(scope)]);
  const byController = new Map<number, Channel[]>();
  for (const channel of channels) {
    const list = byController.get(channel.controllerId) ?? [];
    list.push(channel);
    byController.set(channel.controllerId, list);
  }
  return controllers.map((controller) => ({ controller, channels: byController.get(controller.id) ?? [] }));
}

export interface ReadingRange {
  from?: number;
  to?: number;
  order: 'asc' | 'desc';
  limit: number;
}

export async function channelReadings(store: Store, scope: Scope, channelId: number, range: ReadingRange): Promise<{ channel: Channel; readings: Reading[] }> {
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    throw ERRORS.invalidRequest('The range is reversed: "from" is after "to".');
  }
  const channel = await store.getChannel(scope, channelId);
  if (!channel) throw ERRORS.notFound('Channel');
  const readings = await store.listReadings(scope, { channelId, ...range });
  return { channel, readings };
}

export interface AlarmFilter {
  activeOnly: boolean;
  limit: number;
  controllerId?: number;
  severity?: AlarmSeverity;
  /** Half-open range on raised_at, epoch ms. */
  from?: number;
  to?: number;
}

/** Alarms newest first. A controller outside the scope simply has none (no hint that it exists). */
export function alarms(store: Store, scope: Scope, filter: AlarmFilter): Promise<Alarm[]> {
  if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) {
    throw ERRORS.invalidRequest('The range is reversed: "from" is after "to".');
  }
  return store.listAlarms(scope, {
    activeOnly: filter.activeOnly,
    limit: filter.limit,
    ...(filter.controllerId !== undefined ? { controllerId: filter.controllerId } : {}),
    ...(filter.severity !== undefined ? { severities: [filter.severity] } : {}),
    ...(filter.from !== undefined ? { raisedFrom: filter.from } : {}),
    ...(filter.to !== undefined ? { raisedTo: filter.to } : {}),
  });
}
