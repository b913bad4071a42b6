import { formatIsoSeconds } from '../domain/time.js';
import type { Controller, Reading } from '../domain/types.js';

/** A ping as FlowCommand clients read it: on the pings endpoint and in `ping_received` webhooks. */
export interface PingObject {
  id: number;
  sensor_id: number;
  sensor_name: string;
  sensor_tag: string | null;
  flowrate: number;
  datetime: string;
}

export function pingObject(sensor: Controller, ping: Reading): PingObject {
  return {
    id: ping.id,
    sensor_id: sensor.id,
    sensor_name: sensor.name,
    sensor_tag: sensor.tag,
    flowrate: ping.value,
    datetime: formatIsoSeconds(ping.time),
  };
}
