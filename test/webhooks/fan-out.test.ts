import { describe, expect, it } from 'vitest';
import { formatIsoMillis, formatIsoSeconds } from '../../src/domain/time.js';
import { FLOW_SENSOR_MODEL, type Alarm, type Channel, type Controller, type Reading, type WebhookEndpoint } from '../../src/domain/types.js';
import { deliveriesFor, type EventSource } from '../../src/webhooks/fan-out.js';

/**
 * `deliveriesFor`, the pure fan-out of one ingest batch into deliveries: which endpoint hears
 * of which reading, ping and alarm (kinds, event types, the customer, the union of a scope's
 * controllers and processes), and the exact bodies rendered.
 */

const T = Date.parse('2026-11-24T08:00:00.250Z');
const CUSTOMER = 10;
const OTHER_CUSTOMER = 11;

function controller(id: number, over: Partial<Controller> = {}): Controller {
  return {
    id,
    customerId: CUSTOMER,
    facilityId: 1,
    serialNumber: String(1_900_000_000 + id),
    model: 'W900',
    name: `Controller ${id}`,
    latitude: null,
    longitude: null,
    pipeDiameter: null,
    activatedAt: null,
    tag: null,
    lastSeenAt: null,
    createdAt: 0,
    ...over,
  };
}

function channel(id: number, controllerId: number, processId: number | null, over: Partial<Channel> = {}): Channel {
  return {
    id,
    customerId: CUSTOMER,
    controllerId,
    processId,
    number: `S${id}`,
    name: `Channel ${id}`,
    kind: 'input',
    type: 'conductivity',
    unit: 'µS/cm',
    latestValue: null,
    latestTime: null,
    createdAt: 0,
    ...over,
  };
}

let endpointIds = 100;
function endpoint(over: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  return {
    id: endpointIds++,
    customerId: CUSTOMER,
    kind: 'fluent',
    url: 'https://hooks.example.com/x',
    enabled: true,
    eventTypes: ['data-change', 'alarm'],
    controllerIds: null,
    processIds: null,
    expiresAt: null,
    disabledReason: null,
    failingSince: null,
    createdAt: 0,
    updatedAt: 0,
    ...over,
  };
}

const reading = (id: number, channelId: number, value: number, time = T): Reading => ({ id, channelId, time, value });

function alarm(id: number, controllerId: number, channelId: number | null, over: Partial<Alarm> = {}): Alarm {
  return {
    id,
    customerId: CUSTOMER,
    controllerId,
    channelId,
    type: 'controller-alarm',
    code: id,
    severity: 'warning',
    message: `Alarm ${id}`,
    raisedAt: T,
    clearedAt: null,
    acknowledgedAt: null,
    ...over,
  };
}

function source(c: Controller, channels: Channel[], events: Partial<Pick<EventSource, 'stored' | 'raised' | 'cleared'>>): EventSource {
  return { controller: c, channels: new Map(channels.map((ch) => [ch.id, ch])), stored: [], raised: [], cleared: [], ...events };
}

/** A W900 with two processes: P1 (channels 1, 2) and P2 (channel 3), and channel 4 in no process. */
const W900 = controller(1);
const P1 = 201;
const P2 = 202;
const S1 = channel(1, W900.id, P1);
const R2 = channel(2, W900.id, P1, { number: 'R2', name: 'Bleed', kind: 'output', type: 'relay', unit: null });
const S3 = channel(3, W900.id, P2, { name: 'pH', type: 'ph', unit: null });
const S4 = channel(4, W900.id, null);
const W900_CHANNELS = [S1, R2, S3, S4];

/** Another controller of the same customer, process P3 (channel 5). */
const OTHER = controller(2);
const P3 = 203;
const S5 = channel(5, OTHER.id, P3);

/** A flow sensor (process P4): flowrate S1 (channel 6) and a temperature input (channel 7). */
const SENSOR = controller(3, { model: FLOW_SENSOR_MODEL, name: 'North Header', tag: 'north' });
const P4 = 204;
const FLOW = channel(6, SENSOR.id, P4, { number: 'S1', name: 'Flow Rate', type: 'flowrate', unit: 'bbl/day' });
const TEMP = channel(7, SENSOR.id, P4, { number: 'T1', name: 'Temperature', type: 'temperature', unit: '°F' });

const payloads = (drafts: { payload: string }[]) => drafts.map((d) => JSON.parse(d.payload) as Record<string, unknown>);
const channelNumbers = (drafts: { payload: string; eventType: string }[]) =>
  drafts.filter((d) => d.eventType === 'data-change').map((d) => (JSON.parse(d.payload) as { reading: { 'channel-number': string } }).reading['channel-number']);
const alarmCodes = (drafts: { payload: string; eventType: string }[]) =>
  drafts.filter((d) => d.eventType === 'alarm').map((d) => (JSON.parse(d.payload) as { alarm: { 'alarm-id': number } }).alarm['alarm-id']);

describe('deliveriesFor: FlowCommand ping_received', () => {
  it('renders one ping_received per flowrate ping of a flow sensor, exactly as the pings endpoint shows a ping', () => {
    const hook = endpoint({ kind: 'flowcommand', eventTypes: ['ping_received'] });
    const drafts = deliveriesFor([hook], source(SENSOR, [FLOW, TEMP], { stored: [reading(900, FLOW.id, 123.5, T), reading(901, FLOW.id, 0, T + 60_000)] }));
    expect(drafts.map((d) => ({ endpointId: d.endpointId, customerId: d.customerId, eventType: d.eventType }))).toEqual([
      { endpointId: hook.id, customerId: CUSTOMER, eventType: 'ping_received' },
      { endpointId: hook.id, customerId: CUSTOMER, eventType: 'ping_received' },
    ]);
    // Byte for byte: key order and second-precision datetimes as on GET /api/v1/flow_sensors/<id>/pings/.
    expect(drafts[0]!.payload).toBe(
      `{"type":"ping_received","api_version":"1","data":{"id":900,"sensor_id":${SENSOR.id},"sensor_name":"North Header","sensor_tag":"north","flowrate":123.5,"datetime":"${formatIsoSeconds(T)}"}}`,
    );
    expect(JSON.parse(drafts[1]!.payload)).toEqual({
      type: 'ping_received',
      api_version: '1',
      data: { id: 901, sensor_id: SENSOR.id, sensor_name: 'North Header', sensor_tag: 'north', flowrate: 0, datetime: '2026-11-24T08:01:00Z' },
    });
  });

  it('a sensor without a tag has sensor_tag null', () => {
    const hook = endpoint({ kind: 'flowcommand', eventTypes: ['ping_received'] });
    const [draft] = deliveriesFor([hook], source({ ...SENSOR, tag: null }, [FLOW], { stored: [reading(1, FLOW.id, 5)] }));
    expect((JSON.parse(draft!.payload) as { data: { sensor_tag: unknown } }).data.sensor_tag).toBeNull();
  });

  it('ignores non-flowrate channels, controllers that are not flow sensors, alarms and readings of unknown channels', () => {
    const hook = endpoint({ kind: 'flowcommand', eventTypes: ['ping_received'] });
    expect(deliveriesFor([hook], source(SENSOR, [FLOW, TEMP], { stored: [reading(1, TEMP.id, 70)] }))).toEqual([]);
    expect(deliveriesFor([hook], source(SENSOR, [FLOW], { stored: [reading(1, 999, 70)] }))).toEqual([]);
    expect(deliveriesFor([hook], source(SENSOR, [FLOW], { raised: [alarm(1, SENSOR.id, FLOW.id)], cleared: [alarm(2, SENSOR.id, null, { clearedAt: T })] }))).toEqual([]);
    // A flowrate channel on a controller that is not a flow sensor is no ping.
    const meter = channel(8, W900.id, P1, { type: 'flowrate', unit: 'gpm' });
    expect(deliveriesFor([hook], source(W900, [...W900_CHANNELS, meter], { stored: [reading(1, meter.id, 10)] }))).toEqual([]);
  });

  it('needs ping_received among its event types; Fluent event types mean nothing to it', () => {
    const wrong = endpoint({ kind: 'flowcommand', eventTypes: ['data-change', 'alarm'] });
    const none = endpoint({ kind: 'flowcommand', eventTypes: [] });
    expect(deliveriesFor([wrong, none], source(SENSOR, [FLOW], { stored: [reading(1, FLOW.id, 10)], raised: [alarm(1, SENSOR.id, null)] }))).toEqual([]);
  });

  it('honours the scope: sensors by controller id, or by process', () => {
    const stored = [reading(1, FLOW.id, 10)];
    const bySensor = endpoint({ kind: 'flowcommand', eventTypes: ['ping_received'], controllerIds: [SENSOR.id] });
    const byOtherSensor = endpoint({ kind: 'flowcommand', eventTypes: ['ping_received'], controllerIds: [OTHER.id] });
    const byProcess = endpoint({ kind: 'flowcommand', eventTypes: ['ping_received'], processIds: [P4] });
    const byOtherProcess = endpoint({ kind: 'flowcommand', eventTypes: ['ping_received'], processIds: [P1] });
    const drafts = deliveriesFor([bySensor, byOtherSensor, byProcess, byOtherProcess], source(SENSOR, [FLOW], { stored }));
    expect(drafts.map((d) => d.endpointId)).toEqual([bySensor.id, byProcess.id]);
  });
});

describe('deliveriesFor: Fluent data-change and alarm', () => {
  it('renders a data-change per stored reading with the current-readings reading object', () => {
    const sub = endpoint();
    const drafts = deliveriesFor([sub], source(W900, W900_CHANNELS, { stored: [reading(1, S1.id, 1500.5), reading(2, R2.id, 1, T + 1)] }));
    expect(drafts.map((d) => d.eventType)).toEqual(['data-change', 'data-change']);
    expect(drafts[0]!.payload).toBe(
      JSON.stringify({
        'event-type': 'data-change',
        'subscription-id': sub.id,
        'serial-number': W900.serialNumber,
        reading: {
          'channel-name': 'Channel 1',
          'channel-number': 'S1',
          'channel-type': 'conductivity',
          subchannel: [{ type: 'value', value: 1500.5, units: 'µS/cm', time: formatIsoMillis(T) }],
        },
      }),
    );
    // An output reports a state, and a channel without a unit has no `units`.
    expect(payloads(drafts)[1]).toEqual({
      'event-type': 'data-change',
      'subscription-id': sub.id,
      'serial-number': W900.serialNumber,
      reading: { 'channel-name': 'Bleed', 'channel-number': 'R2', 'channel-type': 'relay', subchannel: [{ type: 'state', value: 1, time: '2026-11-24T08:00:00.251Z' }] },
    });
  });

  it('renders an alarm event per raise and per clear, with the active-alarms alarm object', () => {
    const sub = endpoint();
    const raised = alarm(7, W900.id, S1.id, { severity: 'critical', message: 'Conductivity high' });
    const cleared = alarm(9, W900.id, null, { raisedAt: T - 60_000, clearedAt: T });
    const drafts = deliveriesFor([sub], source(W900, W900_CHANNELS, { raised: [raised], cleared: [cleared] }));
    expect(payloads(drafts)).toEqual([
      {
        'event-type': 'alarm',
        'subscription-id': sub.id,
        'serial-number': W900.serialNumber,
        'alarm-event': 'raised',
        alarm: {
          'alarm-type': 'controller-alarm',
          'alarm-id': 7,
          'alarm-text': 'Conductivity high',
          'channel-name': 'Channel 1',
          'channel-number': 'S1',
          'alarm-severity': 'critical',
          'raised-at': formatIsoMillis(T),
        },
      },
      {
        'event-type': 'alarm',
        'subscription-id': sub.id,
        'serial-number': W900.serialNumber,
        'alarm-event': 'cleared',
        // An alarm of the whole controller has "" as its channel name and number.
        alarm: {
          'alarm-type': 'controller-alarm',
          'alarm-id': 9,
          'alarm-text': 'Alarm 9',
          'channel-name': '',
          'channel-number': '',
          'alarm-severity': 'warning',
          'raised-at': formatIsoMillis(T - 60_000),
          'cleared-at': formatIsoMillis(T),
        },
      },
    ]);
    expect(drafts.map((d) => d.eventType)).toEqual(['alarm', 'alarm']);
  });

  it('sends only the event types subscribed to', () => {
    const events = { stored: [reading(1, S1.id, 1)], raised: [alarm(1, W900.id, S1.id)], cleared: [alarm(2, W900.id, null, { clearedAt: T })] };
    const dataOnly = endpoint({ eventTypes: ['data-change'] });
    const alarmsOnly = endpoint({ eventTypes: ['alarm'] });
    const pingsOnly = endpoint({ eventTypes: ['ping_received'] });
    const drafts = deliveriesFor([dataOnly, alarmsOnly, pingsOnly], source(W900, W900_CHANNELS, events));
    expect(drafts.map((d) => [d.endpointId, d.eventType])).toEqual([
      [dataOnly.id, 'data-change'],
      [alarmsOnly.id, 'alarm'],
      [alarmsOnly.id, 'alarm'],
    ]);
  });

  it('a Fluent subscription hears of a flow sensor as data-change, never as ping_received', () => {
    const sub = endpoint();
    const drafts = deliveriesFor([sub], source(SENSOR, [FLOW, TEMP], { stored: [reading(1, FLOW.id, 10), reading(2, TEMP.id, 70)] }));
    expect(drafts.map((d) => d.eventType)).toEqual(['data-change', 'data-change']);
    expect(channelNumbers(drafts)).toEqual(['S1', 'T1']);
  });

  it('skips readings of channels it does not know', () => {
    expect(deliveriesFor([endpoint()], source(W900, W900_CHANNELS, { stored: [reading(1, 999, 1)] }))).toEqual([]);
  });
});

describe('deliveriesFor: scope', () => {
  const events = {
    stored: [reading(1, S1.id, 1), reading(2, R2.id, 0), reading(3, S3.id, 7)],
    raised: [alarm(11, W900.id, S1.id), alarm(13, W900.id, S3.id), alarm(10, W900.id, null)],
  };
  const onW900 = (e: WebhookEndpoint) => deliveriesFor([e], source(W900, W900_CHANNELS, events));

  it('both null: everything of the customer', () => {
    const drafts = onW900(endpoint());
    expect(channelNumbers(drafts)).toEqual(['S1', 'R2', 'S3']);
    expect(alarmCodes(drafts)).toEqual([11, 13, 10]);
  });

  it('by controller: all of the listed controllers, nothing of the others', () => {
    expect(channelNumbers(onW900(endpoint({ controllerIds: [W900.id] })))).toEqual(['S1', 'R2', 'S3']);
    expect(alarmCodes(onW900(endpoint({ controllerIds: [OTHER.id, W900.id] })))).toEqual([11, 13, 10]);
    expect(onW900(endpoint({ controllerIds: [OTHER.id] }))).toEqual([]);
  });

  it('by process: readings and alarms of the process’s channels, and alarms of the whole controller', () => {
    const drafts = onW900(endpoint({ processIds: [P2] }));
    expect(channelNumbers(drafts)).toEqual(['S3']);
    expect(alarmCodes(drafts)).toEqual([13, 10]);
    const p1 = onW900(endpoint({ processIds: [P1] }));
    expect(channelNumbers(p1)).toEqual(['S1', 'R2']);
    expect(alarmCodes(p1)).toEqual([11, 10]);
    // A process of another controller covers none of this one's events, not even controller-wide alarms.
    expect(onW900(endpoint({ processIds: [P3] }))).toEqual([]);
  });

  it('a channel in no process is outside every process scope', () => {
    const drafts = deliveriesFor([endpoint({ processIds: [P1, P2] })], source(W900, W900_CHANNELS, { stored: [reading(1, S4.id, 5)], raised: [alarm(4, W900.id, S4.id)] }));
    expect(drafts).toEqual([]);
    // …but inside the scope of its controller.
    expect(deliveriesFor([endpoint({ controllerIds: [W900.id] })], source(W900, W900_CHANNELS, { stored: [reading(1, S4.id, 5)] }))).toHaveLength(1);
  });

  it('controllers and processes together: the union of the two', () => {
    const union = endpoint({ controllerIds: [OTHER.id], processIds: [P2] });
    const drafts = onW900(union);
    expect(channelNumbers(drafts)).toEqual(['S3']);
    expect(alarmCodes(drafts)).toEqual([13, 10]);
    const onOther = deliveriesFor([union], source(OTHER, [S5], { stored: [reading(9, S5.id, 2)], raised: [alarm(20, OTHER.id, null)] }));
    expect(channelNumbers(onOther)).toEqual(['S5']);
    expect(alarmCodes(onOther)).toEqual([20]);
    // The controller listed wins even where the processes listed do not cover a channel.
    expect(channelNumbers(onW900(endpoint({ controllerIds: [W900.id], processIds: [P3] })))).toEqual(['S1', 'R2', 'S3']);
  });

  it('empty lists select nothing', () => {
    expect(onW900(endpoint({ controllerIds: [], processIds: null }))).toEqual([]);
    expect(onW900(endpoint({ controllerIds: null, processIds: [] }))).toEqual([]);
    expect(onW900(endpoint({ controllerIds: [], processIds: [] }))).toEqual([]);
  });
});

describe('deliveriesFor: tenants', () => {
  it('an endpoint of another customer gets nothing, even when its scope names this customer’s controller, process or sensor', () => {
    const foreign = [
      endpoint({ customerId: OTHER_CUSTOMER }),
      endpoint({ customerId: OTHER_CUSTOMER, controllerIds: [W900.id] }),
      endpoint({ customerId: OTHER_CUSTOMER, processIds: [P1, P2] }),
    ];
    expect(deliveriesFor(foreign, source(W900, W900_CHANNELS, { stored: [reading(1, S1.id, 1)], raised: [alarm(1, W900.id, null)] }))).toEqual([]);
    const foreignHook = endpoint({ customerId: OTHER_CUSTOMER, kind: 'flowcommand', eventTypes: ['ping_received'], controllerIds: [SENSOR.id] });
    expect(deliveriesFor([foreignHook], source(SENSOR, [FLOW], { stored: [reading(1, FLOW.id, 10)] }))).toEqual([]);
  });

  it('with endpoints of several customers and kinds, each draft carries its own endpoint and customer', () => {
    const mine = endpoint();
    const theirs = endpoint({ customerId: OTHER_CUSTOMER });
    const hook = endpoint({ kind: 'flowcommand', eventTypes: ['ping_received'] });
    const drafts = deliveriesFor([theirs, mine, hook], source(W900, W900_CHANNELS, { stored: [reading(1, S1.id, 1)] }));
    expect(drafts.map((d) => [d.endpointId, d.customerId, d.eventType])).toEqual([[mine.id, CUSTOMER, 'data-change']]);
    expect(JSON.parse(drafts[0]!.payload)).toMatchObject({ 'subscription-id': mine.id });
  });

  it('no events, no drafts', () => {
    expect(deliveriesFor([endpoint(), endpoint({ kind: 'flowcommand', eventTypes: ['ping_received'] })], source(SENSOR, [FLOW], {}))).toEqual([]);
    expect(deliveriesFor([], source(W900, W900_CHANNELS, { stored: [reading(1, S1.id, 1)] }))).toEqual([]);
  });
});
