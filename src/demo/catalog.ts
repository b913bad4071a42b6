/**
 * The demo layout: who the demo customers are, where their sites are, which devices they run
 * and how each channel behaves. Serial numbers and channel numbers tie the seeder, the
 * credentials file and the simulator together, so they must stay stable between releases.
 */
import type { ChannelKind, Role } from '../domain/types.js';
import { FLOW_SENSOR_MODEL } from '../domain/types.js';
import type { AlarmSpec, AnalogSignal, DailyFeed, Excursion, Schedule, Signal } from './signals.js';

export interface CatalogChannel {
  number: string;
  name: string;
  kind: ChannelKind;
  type: string;
  unit: string | null;
  signal: Signal;
}

export interface CatalogProcess {
  name: string;
  channels: CatalogChannel[];
}

export interface CatalogFlowSensor {
  pipeDiameter: number;
  activatedAt: string;
  latitude: number;
  longitude: number;
  tag: string;
}

export interface CatalogController {
  serialNumber: string;
  model: string;
  name: string;
  processes: CatalogProcess[];
  /** Channels with no process: the device sends them, Flowline answers "not stored". */
  unassigned: CatalogChannel[];
  alarms: AlarmSpec[];
  flowSensor?: CatalogFlowSensor;
}

export interface CatalogFacility {
  name: string;
  address: string;
  latitude: number;
  longitude: number;
  timeZone: string;
  controllers: CatalogController[];
}

export interface CatalogUser {
  email: string;
  name: string;
  role: Role;
}

export interface CatalogCustomer {
  name: string;
  /** The first user is the one whose credentials the demo prints. */
  users: CatalogUser[];
  facilities: CatalogFacility[];
}

export const CONTROLLER_ALARM_TYPE = 'controller-alarm';

// Standard-time offsets of the facilities' zones. The daily cycles ignore daylight saving:
// an hour's shift in a demo's afternoon peak is not worth a time-zone database lookup per reading.
const CENTRAL = -6;
const MOUNTAIN = -7;

// --- channel building blocks --------------------------------------------------------------

const randomSchedule = (seed: string, chance: number, minMinutes = 30, maxMinutes = 60): Schedule => ({
  kind: 'random',
  seed,
  chance,
  blockHours: 6,
  minMinutes,
  maxMinutes,
});

function analog(seed: string, utcOffsetHours: number, shape: Omit<AnalogSignal, 'kind' | 'seed' | 'utcOffsetHours'>): AnalogSignal {
  return { kind: 'analog', seed, utcOffsetHours, ...shape };
}

/** Cooling water concentrates through the warm afternoon, when evaporation peaks. */
function conductivity(seed: string, offset: number, base: number, excursion?: Excursion): AnalogSignal {
  return analog(seed, offset, { base, daily: { amplitude: 280, peakHour: 16 }, drift: 160, jitter: 12, min: 1500, max: 3000, decimals: 0, ...(excursion ? { excursion } : {}) });
}

function temperature(seed: string, offset: number, base: number): AnalogSignal {
  return analog(seed, offset, { base, daily: { amplitude: 4.5, peakHour: 15 }, drift: 1.5, jitter: 0.15, min: 20, max: 35, decimals: 1 });
}

function ph(seed: string, offset: number, excursion?: Excursion): AnalogSignal {
  return analog(seed, offset, { base: 7.85, daily: { amplitude: 0.15, peakHour: 14 }, drift: 0.2, jitter: 0.02, min: 7.2, max: 8.4, decimals: 2, ...(excursion ? { excursion } : {}) });
}

/** Sunlight burns off oxidiser during the day; the night biocide slug lifts it again. */
function orp(seed: string, offset: number, feed: DailyFeed, excursion?: Excursion): AnalogSignal {
  return analog(seed, offset, {
    base: 320,
    daily: { amplitude: 30, peakHour: 4 },
    drift: 25,
    jitter: 3,
    min: 250,
    max: 450,
    decimals: 0,
    feedResponse: { feed, amount: 70, decayHours: 3 },
    ...(excursion ? { excursion } : {}),
  });
}

function makeupFlow(seed: string, offset: number, base: number): AnalogSignal {
  return analog(seed, offset, { base, daily: { amplitude: base * 0.35, peakHour: 16 }, drift: base * 0.15, jitter: base * 0.03, min: 0, max: base * 2, decimals: 1 });
}

/** Produced-water lines: a daily rhythm of the wells, and hours with the transfer pump off. */
function flowrate(seed: string, offset: number, base: number): AnalogSignal {
  return analog(seed, offset, {
    base,
    daily: { amplitude: base * 0.12, peakHour: 11 },
    drift: base * 0.18,
    jitter: base * 0.02,
    min: 0,
    max: 8000,
    decimals: 1,
    outage: randomSchedule(`${seed}/no-flow`, 0.1, 60, 180),
  });
}

const input = (number: string, name: string, type: string, unit: string, signal: Signal): CatalogChannel => ({ number, name, kind: 'input', type, unit, signal });
const output = (number: string, name: string, type: string, unit: string | null, signal: Signal): CatalogChannel => ({ number, name, kind: 'output', type, unit, signal });

// --- controllers --------------------------------------------------------------------------

interface TowerOptions {
  serialNumber: string;
  model: string;
  name: string;
  process: string;
  utcOffsetHours: number;
  conductivityBase: number;
  temperatureBase: number;
  makeupGpm?: number;
  /** Offset of the pH calibration reminder cycle, hours. */
  calibrationOffsetHours?: number;
  withSpare?: boolean;
}

/**
 * A cooling tower controller: conductivity with its temperature on sensor 1, pH on sensor 2,
 * optionally ORP and makeup flow, and relays for bleed, inhibitor, biocide and acid.
 */
function coolingTower(o: TowerOptions): CatalogController {
  const s = o.serialNumber;
  const highConductivity = randomSchedule(`${s}/S11/high`, 0.06);
  const lowPh = randomSchedule(`${s}/S21/low`, 0.05);
  const cond = conductivity(`${s}/S11`, o.utcOffsetHours, o.conductivityBase, { schedule: highConductivity, level: 3250, spread: 120 });
  const acidity = ph(`${s}/S21`, o.utcOffsetHours, { schedule: lowPh, level: 6.75, spread: 0.12 });
  const biocideFeed: DailyFeed = { utcOffsetHours: o.utcOffsetHours, startHour: 2, minutes: 45 };
  // Only the larger towers carry ORP, makeup flow, biocide and acid feed.
  const makeupGpm = o.makeupGpm;
  const makeup = makeupGpm === undefined ? null : makeupFlow(`${s}/S41`, o.utcOffsetHours, makeupGpm);

  const channels: CatalogChannel[] = [
    input('S11', 'Tower Conductivity', 'conductivity', 'µS/cm', cond),
    input('S12', 'Tower Temperature', 'temperature', '°C', temperature(`${s}/S12`, o.utcOffsetHours, o.temperatureBase)),
    input('S21', 'Tower pH', 'ph', 'pH', acidity),
  ];
  const alarms: AlarmSpec[] = [
    { code: 12, message: 'High Conductivity', type: CONTROLLER_ALARM_TYPE, severity: 'warning', channel: 'S11', schedule: highConductivity },
    { code: 21, message: 'Low pH', type: CONTROLLER_ALARM_TYPE, severity: 'warning', channel: 'S21', schedule: lowPh },
  ];
  if (makeup) {
    const lowOrp = randomSchedule(`${s}/S31/low`, 0.04);
    channels.push(
      input('S31', 'Tower ORP', 'orp', 'mV', orp(`${s}/S31`, o.utcOffsetHours, biocideFeed, { schedule: lowOrp, level: 195, spread: 25 })),
      input('S41', 'Makeup Water Flow', 'flow', 'gal/min', makeup),
    );
    alarms.push({ code: 31, message: 'Low ORP', type: CONTROLLER_ALARM_TYPE, severity: 'warning', channel: 'S31', schedule: lowOrp });
  }
  channels.push(
    output('R1', 'Bleed Valve', 'relay', null, { kind: 'switch', source: cond, onAbove: o.conductivityBase + 150 }),
    output('R2', 'Inhibitor Pump', 'pump', '%', makeup ? { kind: 'proportional', source: makeup, zeroAt: 0, fullAt: makeup.max } : { kind: 'proportional', source: cond, zeroAt: 1500, fullAt: 3000 }),
  );
  if (makeup) {
    channels.push(
      output('R3', 'Biocide Pump', 'pump', null, { kind: 'daily-feed', feed: biocideFeed }),
      output('R4', 'Acid Pump', 'pump', '%', { kind: 'proportional', source: acidity, zeroAt: 7.7, fullAt: 8.3 }),
    );
  }
  if (o.calibrationOffsetHours !== undefined) {
    // Two controllers remind on alternating halves of a week, so at any instant at least one
    // reminder is active: the demo always shows an open alarm.
    alarms.push({
      code: 41,
      message: 'pH Calibration Due',
      type: CONTROLLER_ALARM_TYPE,
      severity: 'info',
      channel: 'S21',
      schedule: { kind: 'periodic', periodHours: 168, durationHours: 96, offsetHours: o.calibrationOffsetHours },
    });
  }
  const unassigned = o.withSpare
    ? [input('S51', 'Spare Input', 'level', '%', analog(`${s}/S51`, o.utcOffsetHours, { base: 62, daily: { amplitude: 4, peakHour: 6 }, drift: 8, jitter: 0.5, min: 0, max: 100, decimals: 1 }))]
    : [];
  return { serialNumber: s, model: o.model, name: o.name, processes: [{ name: o.process, channels }], unassigned, alarms };
}

/** A tower on sensor 1 and a low-pressure boiler on sensor 3, each its own process. */
function towerAndBoiler(serialNumber: string, name: string, utcOffsetHours: number): CatalogController {
  const tower = coolingTower({ serialNumber, model: 'W900', name, process: 'Cooling Tower 3', utcOffsetHours, conductivityBase: 2000, temperatureBase: 26 });
  const s = serialNumber;
  const highBoilerConductivity = randomSchedule(`${s}/S31/high`, 0.05, 40, 60);
  const boilerConductivity = analog(`${s}/S31`, utcOffsetHours, {
    base: 2450,
    daily: { amplitude: 120, peakHour: 8 },
    drift: 180,
    jitter: 15,
    min: 1500,
    max: 3000,
    decimals: 0,
    excursion: { schedule: highBoilerConductivity, level: 3300, spread: 90 },
  });
  const boiler: CatalogProcess = {
    name: 'Boiler',
    channels: [
      input('S31', 'Boiler Conductivity', 'conductivity', 'µS/cm', boilerConductivity),
      output('R3', 'Blowdown Valve', 'relay', null, { kind: 'switch', source: boilerConductivity, onAbove: 2600 }),
      output('R4', 'Oxygen Scavenger Pump', 'pump', '%', { kind: 'proportional', source: boilerConductivity, zeroAt: 1500, fullAt: 3200 }),
    ],
  };
  return {
    ...tower,
    processes: [...tower.processes, boiler],
    alarms: [...tower.alarms, { code: 13, message: 'High Boiler Conductivity', type: CONTROLLER_ALARM_TYPE, severity: 'warning', channel: 'S31', schedule: highBoilerConductivity }],
  };
}

function flowSensor(serialNumber: string, name: string, process: string, base: number, utcOffsetHours: number, sensor: CatalogFlowSensor): CatalogController {
  const channel = input('S1', 'Flow Rate', 'flowrate', 'bbl/day', flowrate(`${serialNumber}/S1`, utcOffsetHours, base));
  return { serialNumber, model: FLOW_SENSOR_MODEL, name, processes: [{ name: process, channels: [channel] }], unassigned: [], alarms: [], flowSensor: sensor };
}

// --- the customers ------------------------------------------------------------------------

export const DEMO_CUSTOMER_NAME = 'Riverside Water Services';
export const OTHER_CUSTOMER_NAME = 'Bluewater Oilfield Services';

export const DEMO_CATALOG: CatalogCustomer[] = [
  {
    name: DEMO_CUSTOMER_NAME,
    users: [{ email: 'admin@riverside.example', name: 'Dana Whitfield', role: 'admin' }],
    facilities: [
      {
        name: 'Tulsa Distribution Center',
        address: '4510 W 51st St, Tulsa, OK 74107',
        latitude: 36.0934,
        longitude: -96.0507,
        timeZone: 'America/Chicago',
        controllers: [
          coolingTower({
            serialNumber: '1903291361',
            model: 'W900',
            name: 'CT-1 Tower Controller',
            process: 'Cooling Tower 1',
            utcOffsetHours: CENTRAL,
            conductivityBase: 2250,
            temperatureBase: 28,
            makeupGpm: 85,
            calibrationOffsetHours: 0,
            withSpare: true,
          }),
          coolingTower({
            serialNumber: '2006120458',
            model: 'WCT600',
            name: 'CT-2 Tower Controller',
            process: 'Cooling Tower 2',
            utcOffsetHours: CENTRAL,
            conductivityBase: 2100,
            temperatureBase: 27,
          }),
          towerAndBoiler('1811050923', 'Central Plant Controller', CENTRAL),
        ],
      },
      {
        name: 'Carlsbad Gas Processing Plant',
        address: '3302 National Parks Hwy, Carlsbad, NM 88220',
        latitude: 32.3917,
        longitude: -104.229,
        timeZone: 'America/Denver',
        controllers: [
          coolingTower({
            serialNumber: '1907230114',
            model: 'W900',
            name: 'Plant Tower Controller',
            process: 'Cooling Tower 1',
            utcOffsetHours: MOUNTAIN,
            conductivityBase: 2350,
            temperatureBase: 29,
            makeupGpm: 140,
            calibrationOffsetHours: 84,
          }),
          flowSensor('2104150031', 'SWD-1 Inlet', 'Saltwater Disposal 1', 5200, MOUNTAIN, {
            pipeDiameter: 14.64,
            activatedAt: '2024-03-12T15:30:00Z',
            latitude: 32.40212,
            longitude: -104.21877,
            tag: 'SWD-1',
          }),
          flowSensor('2104150032', 'SWD-2 Inlet', 'Saltwater Disposal 2', 3400, MOUNTAIN, {
            pipeDiameter: 10.02,
            activatedAt: '2024-03-12T17:05:00Z',
            latitude: 32.40355,
            longitude: -104.22341,
            tag: 'SWD-2',
          }),
          flowSensor('2109300417', 'Transfer Line East', 'Produced Water Transfer', 1900, MOUNTAIN, {
            pipeDiameter: 7.98,
            activatedAt: '2024-09-30T14:00:00Z',
            latitude: 32.38804,
            longitude: -104.20933,
            tag: 'PW-EAST',
          }),
        ],
      },
    ],
  },
  {
    name: OTHER_CUSTOMER_NAME,
    users: [{ email: 'ops@bluewater.example', name: 'Marco Reyes', role: 'admin' }],
    facilities: [
      {
        name: 'Midland Yard',
        address: '2701 E Interstate 20, Midland, TX 79701',
        latitude: 31.9686,
        longitude: -102.0446,
        timeZone: 'America/Chicago',
        controllers: [
          coolingTower({
            serialNumber: '2102080377',
            model: 'WCT600',
            name: 'Yard Tower Controller',
            process: 'Cooling Tower 1',
            utcOffsetHours: CENTRAL,
            conductivityBase: 2200,
            temperatureBase: 29,
          }),
          flowSensor('2105170212', 'Yard Transfer Meter', 'Produced Water Transfer', 2800, CENTRAL, {
            pipeDiameter: 19.14,
            activatedAt: '2023-05-17T19:45:00Z',
            latitude: 31.97118,
            longitude: -102.03902,
            tag: 'YARD-1',
          }),
        ],
      },
    ],
  },
];

export function catalogControllers(): CatalogController[] {
  return DEMO_CATALOG.flatMap((customer) => customer.facilities.flatMap((facility) => facility.controllers));
}

export function channelsOf(controller: CatalogController): { channel: CatalogChannel; process: string | null }[] {
  return [
    ...controller.processes.flatMap((p) => p.channels.map((channel) => ({ channel, process: p.name }))),
    ...controller.unassigned.map((channel) => ({ channel, process: null })),
  ];
}

const bySerial = new Map(catalogControllers().map((c) => [c.serialNumber, c]));

export function catalogController(serialNumber: string): CatalogController | undefined {
  return bySerial.get(serialNumber);
}

/**
 * How a channel behaves, for the simulator: the catalog's signal, or, for a channel the
 * catalog does not know (a credentials file from another release), a plausible one by type.
 */
export function signalFor(serialNumber: string, number: string, type: string): Signal {
  const controller = bySerial.get(serialNumber);
  const known = controller ? channelsOf(controller).find(({ channel }) => channel.number === number) : undefined;
  if (known) return known.channel.signal;
  const seed = `${serialNumber}/${number}`;
  switch (type) {
    case 'conductivity':
      return conductivity(seed, CENTRAL, 2200);
    case 'temperature':
      return temperature(seed, CENTRAL, 27);
    case 'ph':
      return ph(seed, CENTRAL);
    case 'orp':
      return orp(seed, CENTRAL, { utcOffsetHours: CENTRAL, startHour: 2, minutes: 45 });
    case 'flowrate':
      return flowrate(seed, CENTRAL, 3000);
    case 'flow':
      return makeupFlow(seed, CENTRAL, 100);
    default:
      return analog(seed, CENTRAL, { base: 50, daily: { amplitude: 10, peakHour: 15 }, drift: 10, jitter: 1, min: 0, max: 100, decimals: 1 });
  }
}
