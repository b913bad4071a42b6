import { queryOptions } from '@tanstack/react-query';
import { api, must } from '../../lib/api';
import type { paths } from '../../generated/openapi';
import { prefetched } from './prefetch';

/**
 * The dashboard's reads, one query-options factory per endpoint (each owns its key). Live
 * figures poll: every server process answers the same from the shared store, so polling
 * works behind any load balancer without sticky sessions or a pub/sub channel.
 */
export const LIVE_REFRESH_MS = 15_000;

export type Controller = Awaited<ReturnType<typeof fetchControllers>>[number];
export type Channel = Controller['channels'][number];
export type Facility = Awaited<ReturnType<typeof fetchFacilities>>[number];
export type AlarmQuery = NonNullable<paths['/api/flowline/v1/alarms']['get']['parameters']['query']>;
export type Alarm = Awaited<ReturnType<typeof fetchAlarms>>[number];

async function fetchControllers() {
  return (await must(api.GET('/api/flowline/v1/controllers'))).controllers;
}

async function fetchFacilities() {
  return (await must(api.GET('/api/flowline/v1/facilities'))).facilities;
}

async function fetchAlarms(query: AlarmQuery) {
  return (await must(api.GET('/api/flowline/v1/alarms', { params: { query } }))).alarms;
}

async function fetchControllerDetail(id: number) {
  return must(api.GET('/api/flowline/v1/controllers/{id}', { params: { path: { id } } }));
}

export const CONTROLLERS_KEY = ['dashboard', 'controllers'] as const;
export const FACILITIES_KEY = ['dashboard', 'facilities'] as const;
export const detailKey = (id: number) => ['dashboard', 'controller', id] as const;

export const controllersQuery = () =>
  queryOptions({ queryKey: CONTROLLERS_KEY, queryFn: () => prefetched(CONTROLLERS_KEY, fetchControllers), refetchInterval: LIVE_REFRESH_MS });

export const facilitiesQuery = () => queryOptions({ queryKey: FACILITIES_KEY, queryFn: () => prefetched(FACILITIES_KEY, fetchFacilities), staleTime: 60_000 });

/** A controller with its processes and channels; its 404 is the page's "Not found". */
export const controllerDetailQuery = (id: number) =>
  queryOptions({ queryKey: detailKey(id), queryFn: () => prefetched(detailKey(id), () => fetchControllerDetail(id)), staleTime: 60_000 });

export const loaders = { fetchControllers, fetchFacilities, fetchControllerDetail };

export const alarmsQuery = (query: AlarmQuery, live = true) =>
  queryOptions({ queryKey: ['dashboard', 'alarms', query], queryFn: () => fetchAlarms(query), ...(live ? { refetchInterval: LIVE_REFRESH_MS } : {}) });

/** The model FlowCommand calls a flow sensor (src/domain/types.ts FLOW_SENSOR_MODEL). */
export const FLOW_SENSOR_MODEL = 'flow_sensor';
export const isFlowSensor = (c: Controller) => c.model === FLOW_SENSOR_MODEL;

/**
 * Online / stale / never seen, from `last_seen_at` (the time of the controller's last batch):
 * stale after 30 minutes of silence — the default of NO_DATA_ALARM_MINUTES, after which the
 * server raises its "No data received" alarm — or as soon as that alarm is active (the server's
 * own threshold, whatever it is set to).
 */
export const STALE_AFTER_MS = 30 * 60_000;
export type LinkState = 'online' | 'stale' | 'never';

export function linkState(controller: Controller, now: number, activeAlarms: readonly Alarm[] = []): LinkState {
  if (controller.last_seen_at === null) return 'never';
  const noData = activeAlarms.some((a) => a.controller_id === controller.id && a.type === 'fluent-alarm' && a.code === 1);
  if (noData || now - Date.parse(controller.last_seen_at) > STALE_AFTER_MS) return 'stale';
  return 'online';
}

export const LINK_STATE_LABEL: Record<LinkState, string> = { online: 'Online', stale: 'Stale', never: 'Never seen' };
export const LINK_STATE_BADGE: Record<LinkState, string> = { online: 'badge-ok', stale: 'badge-warn', never: 'badge-muted' };

export const SEVERITY_BADGE: Record<string, string> = { critical: 'badge-danger', warning: 'badge-warn', info: 'badge-muted' };

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
/** A figure as people read it: at most two decimals, grouped thousands (volumes, flowrates). */
export const formatValue = (value: number | null | undefined, unit?: string | null): string =>
  value === null || value === undefined ? '—' : `${numberFormat.format(value)}${unit ? ` ${unit}` : ''}`;

const fixedFormats = new Map<number, Intl.NumberFormat>();
const fixed = (decimals: number) => {
  let f = fixedFormats.get(decimals);
  if (!f) fixedFormats.set(decimals, (f = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })));
  return f;
};

/** A relay or pump without a unit reports 1/0: it is on or off. */
export const isSwitch = (channel: Pick<Channel, 'kind' | 'unit'>): boolean => channel.kind === 'output' && !channel.unit;

/** Decimals of a channel's readings, the same for every value of the channel: pH 2, others 1. */
export function channelDecimals(channel: Pick<Channel, 'type' | 'unit'>): number {
  if (channel.type.toLowerCase() === 'ph' || channel.unit === 'pH') return 2;
  return 1;
}

/** A channel's reading: "On"/"Off" for a switch, else a fixed number of decimals for the channel and its unit. */
export function formatReading(value: number | null | undefined, channel: Pick<Channel, 'kind' | 'type' | 'unit'>): string {
  if (value === null || value === undefined) return '—';
  if (isSwitch(channel)) return value !== 0 ? 'On' : 'Off';
  return `${fixed(channelDecimals(channel)).format(value)}${channel.unit ? ` ${channel.unit}` : ''}`;
}
