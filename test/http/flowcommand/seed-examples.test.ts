import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../helpers/app.js';
import { storeFactories, type TestStore } from '../../helpers/stores.js';
import { approx, at, createFlowCustomers, DATETIME, HOUSTON, ingestPings, storePings, type FlowSensorFixture, type FlowTenant } from './fixtures.js';

/**
 * Runs the FlowCommand document's own curl examples (seed 002) with the real `curl` binary
 * against a Flowline server listening on a local port, with only the host swapped and the
 * authentication the document describes added, and checks every answer field by field
 * against the document's example responses.
 */

/** The document's Authentication and Flow Sensors sections, copied verbatim. */
const SEED = readFileSync(new URL('./fixtures/seed-002-examples.md', import.meta.url), 'utf8');
const SEED_HOST = 'https://app.flowcommand.com/';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface ShellCommand {
  /** argv after `curl` */
  args: string[];
}

interface SeedExample {
  /** The section heading, e.g. "Get All Flow Sensors". */
  title: string;
  /** The example's URL as written in the document. */
  url: string;
  /** The example response that follows the command. */
  response: JsonObject;
  /** Parameters of the section's "Response … Parameters" table. */
  documented: string[];
}

/** Splits a shell line into words: whitespace separates, double quotes group (enough for the document's commands). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2]!);
  return words;
}

/**
 * The curl commands of a ```shell block. A block can hold several (joined by a line "OR"), and
 * the document continues a command on an indented line starting with an option, without `\`.
 */
function curlCommands(block: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  for (const raw of block.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line === 'OR') continue;
    if (line.startsWith('curl ')) commands.push({ args: shellWords(line).slice(1) });
    else if (line.startsWith('-') && commands.length > 0) commands.at(-1)!.args.push(...shellWords(line));
    else throw new Error(`unexpected line in a shell block of the seed: ${raw}`);
  }
  return commands;
}

interface Block {
  lang: string;
  body: string;
  index: number;
}

function fencedBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const re = /```(\w+)\n([\s\S]*?)```/g;
  for (let m = re.exec(text); m; m = re.exec(text)) blocks.push({ lang: m[1]!, body: m[2]!, index: m.index });
  return blocks;
}

/** The rows of the first "### Response … Parameters" table after `from`, before the next `## ` section. */
function responseParameters(text: string, from: number): string[] {
  const nextSection = text.indexOf('\n## ', from + 1);
  const section = text.slice(from, nextSection < 0 ? undefined : nextSection);
  const heading = /### Response [^\n]*Parameters\n/.exec(section);
  if (!heading) return [];
  const names: string[] = [];
  for (const line of section.slice(heading.index + heading[0].length).split('\n')) {
    const m = /^\s*(\w+)\s*\|/.exec(line);
    if (m) {
      if (m[1] !== 'Parameter') names.push(m[1]!);
    } else if (names.length > 0 && line.trim() === '') break;
  }
  return names;
}

function seedExamples(): SeedExample[] {
  const blocks = fencedBlocks(SEED);
  const examples: SeedExample[] = [];
  blocks.forEach((block, i) => {
    if (block.lang !== 'shell') return;
    const m = /curl "(https:\/\/app\.flowcommand\.com\/[^"]+)"/.exec(block.body);
    if (!m) return;
    const json = blocks.slice(i + 1).find((b) => b.lang === 'json');
    if (!json) throw new Error(`no example response after ${m[1]}`);
    const before = SEED.slice(0, block.index);
    const title = /\n## ([^\n]+)\n[^#]*$/.exec(before)?.[1] ?? '?';
    examples.push({ title, url: m[1]!, response: JSON.parse(json.body) as JsonObject, documented: responseParameters(SEED, block.index) });
  });
  return examples;
}

/** The authentication examples: shell blocks on the placeholder path `api-path`. */
function authExamples(): ShellCommand[] {
  return fencedBlocks(SEED)
    .filter((b) => b.lang === 'shell' && b.body.includes('api-path'))
    .flatMap((b) => curlCommands(b.body));
}

interface CurlResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const execFileAsync = promisify(execFile);
const NO_PROXY_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(https?|all|no)_proxy$/i.test(name)),
) as NodeJS.ProcessEnv;

/** Runs the real curl binary; `-i` puts the status line and headers before the body. */
async function curl(args: string[]): Promise<CurlResponse> {
  const { stdout } = await execFileAsync('curl', ['-sS', '-i', '--noproxy', '*', '--max-time', '20', ...args], { env: NO_PROXY_ENV, maxBuffer: 64 * 1024 * 1024 });
  const split = stdout.indexOf('\r\n\r\n');
  const head = stdout.slice(0, split).split('\r\n');
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head[0]!)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: stdout.slice(split + 4) };
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks one item of a response against the document's example item: exactly the example's
 * keys plus the documented parameters and the later version's tag field, in the example's
 * order, each of the example's type.
 */
function expectItemShape(actual: Json, example: JsonObject, documented: string[], tagField: 'tag' | 'sensor_tag', where: string): void {
  expect(isObject(actual), where).toBe(true);
  const item = actual as JsonObject;
  const allowed = new Set([...Object.keys(example), ...documented, tagField]);
  expect(Object.keys(item).sort(), where).toEqual([...allowed].sort());
  // The example's keys come in the example's order.
  const order = Object.keys(item).filter((k) => k in example);
  expect(order, where).toEqual(Object.keys(example));
  for (const [key, value] of Object.entries(item)) {
    const at = `${where}.${key}`;
    if (key === tagField) {
      expect(value === null || typeof value === 'string', at).toBe(true);
      continue;
    }
    if (!(key in example)) {
      // Documented but not shown in the example: activated_at, a datetime that may be unset.
      expect(key, at).toBe('activated_at');
      if (value !== null) expect(value, at).toMatch(DATETIME);
      continue;
    }
    const sample = example[key];
    if (typeof sample === 'number') {
      expect(typeof value, at).toBe('number');
      expect(Number.isFinite(value), at).toBe(true);
      if (key === 'id' || key.endsWith('_id')) expect(Number.isInteger(value), at).toBe(true);
    } else if (typeof sample === 'string' && DATETIME.test(sample)) {
      expect(value, at).toMatch(DATETIME);
    } else {
      expect(typeof value, at).toBe(typeof sample);
    }
  }
}

/** `{count, next, previous, results}` exactly, in DRF's order. */
function expectEnvelope(body: JsonObject, base: string, where: string): Json[] {
  expect(Object.keys(body), where).toEqual(['count', 'next', 'previous', 'results']);
  expect(Number.isInteger(body.count), where).toBe(true);
  for (const link of [body.next, body.previous]) {
    if (link !== null) {
      expect(typeof link, where).toBe('string');
      expect((link as string).startsWith(base), where).toBe(true);
    }
  }
  expect(Array.isArray(body.results), where).toBe(true);
  return body.results as Json[];
}

const examples = seedExamples();
const auths = authExamples();

describe('the copy of the seed document', () => {
  it('holds the four curl examples with their example responses, in order', () => {
    expect(examples.map((e) => e.url)).toEqual([
      'https://app.flowcommand.com/api/v1/flow_sensors/',
      'https://app.flowcommand.com/api/v1/flow_sensors/1/pings/',
      'https://app.flowcommand.com/api/v1/flow_sensors/1/flow_volume/2019-02-27T10:00:00Z/2019-02-28T10:00:00Z/',
      'https://app.flowcommand.com/api/v1/flow_sensors/1/flow_volume_hours/2019-02-27T10:00:00Z/2019-02-27T12:00:00Z/',
    ]);
    expect(examples.map((e) => e.documented)).toEqual([
      ['id', 'name', 'latitude', 'longitude', 'pipe_diameter', 'last_ping_flowrate', 'last_ping_datetime', 'activated_at'],
      ['id', 'sensor_id', 'sensor_name', 'flowrate', 'datetime'],
      ['sensor_id', 'flow_volume', 'start', 'end'],
      ['sensor_id', 'sensor_name', 'flow_volume', 'start', 'end'],
    ]);
  });

  it('holds the three authentication examples', () => {
    expect(auths.map((c) => c.args)).toEqual([
      ['https://app.flowcommand.com/api-path', '-H', 'Authorization: Token api-auth-token'],
      ['https://username:password@app.flowcommand.com/api-path'],
      ['https://app.flowcommand.com/api-path', '-H', 'Authorization: Basic dXNlcm5hbWU6cGFzc3dvcmQ='],
    ]);
    expect(Buffer.from('dXNlcm5hbWU6cGFzc3dvcmQ=', 'base64').toString()).toBe('username:password');
  });
});

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: the FlowCommand document's curl examples`, () => {
    let app: FastifyInstance;
    let store: TestStore;
    let drop: () => Promise<void>;
    let a: FlowTenant & { sensors: FlowSensorFixture[] };
    let b: FlowTenant & { sensors: FlowSensorFixture[] };
    let base: string;
    let sensor1: FlowSensorFixture;
    let sensor2: FlowSensorFixture;

    const ACTIVATED = at('2019-01-15T16:00:00Z');

    beforeAll(async () => {
      const created = await factory.create();
      store = created.store;
      drop = created.drop;
      ({ a, b } = await createFlowCustomers(
        store,
        [
          // Sensor 1 sits at its facility's coordinates; Sensor 2 has its own (the same place).
          { name: 'Sensor 1', pipeDiameter: 14.64, activatedAt: ACTIVATED, tag: 'Wellpad 7' },
          { name: 'Sensor 2', pipeDiameter: 19.14, latitude: HOUSTON.latitude, longitude: HOUSTON.longitude },
        ],
        [{ name: 'Other Customer Sensor', pipeDiameter: 8 }],
      ));
      [sensor1, sensor2] = a.sensors as [FlowSensorFixture, FlowSensorFixture];
      // The document's pings (times and flowrates of its examples).
      await storePings(store, sensor1, [
        [at('2019-02-05T19:44:09Z'), 0.0],
        [at('2019-02-05T20:15:08Z'), 759.9],
        [at('2019-02-05T20:41:02Z'), 5356.9],
      ]);
      await storePings(store, sensor2, [
        [at('2019-02-05T19:30:00Z'), 1200],
        [at('2019-02-05T20:15:08Z'), 0],
      ]);
      await storePings(store, b.sensors[0]!, [[at('2019-02-05T20:50:00Z'), 42]]);
      app = await buildTestApp(store);
      await app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`;
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    /** The seed's URL on this server, its sensor ids 1 and 2 mapped to the store's. */
    const localUrl = (url: string) =>
      url.replace(SEED_HOST, base).replace(/\/flow_sensors\/(\d+)\//, (_, id: string) => `/flow_sensors/${idOf(Number(id))}/`);
    const idOf = (seedId: number) => [sensor1, sensor2][seedId - 1]!.controller.id;
    /** A Json example with the seed's sensor ids mapped. */
    function mapIds(value: JsonObject): JsonObject {
      const out: JsonObject = { ...value };
      if (typeof out.sensor_id === 'number') out.sensor_id = idOf(out.sensor_id);
      return out;
    }

    const user = () => a.tenant.user;
    const userinfo = (secret: string) => `${encodeURIComponent(user().email)}:${encodeURIComponent(secret)}`;
    const withUserinfo = (url: string, secret: string) => url.replace('http://', `http://${userinfo(secret)}@`);
    const basicHeader = (secret: string) => `Authorization: Basic ${Buffer.from(`${user().email}:${secret}`).toString('base64')}`;

    /** Every way the document says a request authenticates, as curl arguments for a URL. */
    const AUTH_VARIANTS: Record<string, (url: string) => string[]> = {
      'Token header': (url) => [url, '-H', `Authorization: Token ${user().token}`],
      'Basic in the URL, e-mail:password': (url) => [withUserinfo(url, user().password)],
      'Basic in the URL, e-mail:token': (url) => [withUserinfo(url, user().token)],
      'Basic header, e-mail:password': (url) => [url, '-H', basicHeader(user().password)],
      'Basic header, e-mail:token': (url) => [url, '-H', basicHeader(user().token)],
      'curl -u e-mail:password': (url) => [url, '-u', `${user().email}:${user().password}`],
    };

    /** Runs one example under every authentication and checks the parts common to all answers. */
    async function runExample(example: SeedExample): Promise<JsonObject> {
      const url = localUrl(example.url);
      const bodies = new Map<string, string>();
      for (const [name, args] of Object.entries(AUTH_VARIANTS)) {
        const res = await curl(args(url));
        expect(res.status, `${name}: ${res.body}`).toBe(200);
        expect(res.headers['content-type'], name).toMatch(/^application\/json(; ?charset=utf-8)?$/i);
        // Compact JSON, as DRF writes it.
        expect(JSON.stringify(JSON.parse(res.body)), name).toBe(res.body);
        bodies.set(name, res.body);
      }
      // Every way in sees the same answer.
      expect(new Set(bodies.values()).size).toBe(1);

      // And without credentials, DRF's 401.
      const anonymous = await curl([url]);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Token');
      expect(anonymous.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(anonymous.body)).toEqual({ detail: 'Authentication credentials were not provided.' });

      return JSON.parse([...bodies.values()][0]!) as JsonObject;
    }

    const exampleOf = (path: string) => {
      const example = examples.find((e) => e.url.includes(path));
      if (!example) throw new Error(`no seed example for ${path}`);
      return example;
    };

    it('runs the authentication examples (Token header, user:password in the URL, Basic header) on the list path', async () => {
      const substitutions = (arg: string) =>
        arg
          .replace('https://username:password@app.flowcommand.com/', `${base.replace('http://', `http://${userinfo(user().password)}@`)}`)
          .replace(SEED_HOST, base)
          .replace('api-path', 'api/v1/flow_sensors/')
          .replace('api-auth-token', user().token)
          .replace('dXNlcm5hbWU6cGFzc3dvcmQ=', Buffer.from(`${user().email}:${user().password}`).toString('base64'));
      const bodies: string[] = [];
      for (const command of auths) {
        const args = command.args.map(substitutions);
        expect(args.join(' ')).not.toMatch(/flowcommand\.com|api-path|api-auth-token|username/);
        const res = await curl(args);
        expect(res.status, `${args.join(' ')} → ${res.body}`).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        const body = JSON.parse(res.body) as JsonObject;
        expect(body.count).toBe(2);
        bodies.push(res.body);
      }
      expect(bodies).toHaveLength(3);
      expect(new Set(bodies).size).toBe(1);
      // The same commands with wrong secrets are refused as DRF refuses them.
      const wrong = await curl([`${base.replace('http://', `http://${userinfo('not-the-password')}@`)}api/v1/flow_sensors/`]);
      expect(wrong.status).toBe(401);
      expect(wrong.headers['www-authenticate']).toBe('Token');
      expect(JSON.parse(wrong.body)).toEqual({ detail: 'Invalid username/password.' });
      const badToken = await curl([`${base}api/v1/flow_sensors/`, '-H', 'Authorization: Token api-auth-token']);
      expect(badToken.status).toBe(401);
      expect(JSON.parse(badToken.body)).toEqual({ detail: 'Invalid token.' });
    });

    it('Get All Flow Sensors: the example, field by field', async () => {
      const example = examples.find((e) => e.url.endsWith('/flow_sensors/'))!;
      const body = await runExample(example);
      const results = expectEnvelope(body, base, 'list');
      const exampleResults = example.response.results as JsonObject[];
      results.forEach((item, i) => expectItemShape(item, exampleResults[0]!, example.documented, 'tag', `results[${i}]`));
      expect({ ...body, results: [] }).toEqual({ ...example.response, results: [] });
      // The document's two sensors, as it shows them, ids mapped, plus the fields it lists but does not show.
      expect(body.results).toEqual([
        { ...exampleResults[0]!, id: idOf(1), activated_at: '2019-01-15T16:00:00Z', tag: 'Wellpad 7' },
        { ...exampleResults[1]!, id: idOf(2), activated_at: null, tag: null },
      ]);
      // Ordered by id; the other customer's sensor and the non-sensor controller are absent.
      expect(JSON.stringify(body)).not.toContain('Other Customer Sensor');
      expect(JSON.stringify(body)).not.toContain('Tower Controller');
    });

    it('Get Pings for a Specific Flow Sensor: the example, field by field', async () => {
      const example = exampleOf('/pings/');
      const body = await runExample(example);
      const results = expectEnvelope(body, base, 'pings');
      const exampleResults = example.response.results as JsonObject[];
      expect(results).toHaveLength(3);
      results.forEach((item, i) => expectItemShape(item, exampleResults[0]!, example.documented, 'sensor_tag', `results[${i}]`));
      expect(body.count).toBe(3);
      expect(body.next).toBeNull();
      expect(body.previous).toBeNull();
      // The example's pings are there, newest first as in the document (ping ids are the store's).
      const withoutId = (r: Json) => {
        const { id: _id, ...rest } = r as JsonObject;
        return rest;
      };
      expect(results.map(withoutId)).toEqual([
        { sensor_id: idOf(1), sensor_name: 'Sensor 1', sensor_tag: 'Wellpad 7', flowrate: 5356.9, datetime: '2019-02-05T20:41:02Z' },
        ...exampleResults.map((r) => ({ ...withoutId(mapIds(r)), sensor_tag: 'Wellpad 7' })),
      ]);
      const ids = results.map((r) => (r as JsonObject).id as number);
      expect(new Set(ids).size).toBe(3);
    });

    it('Get Flow Volume For a Specific Flow Sensor and Time Range: the example, field by field', async () => {
      // The document's day of 2019-02-27, pushed by the sensor itself through ingest:
      // 10:00-11:00 at 8546.4 bbl/day is 356.1 bbl, 11:00-12:00 ramping to 27928.8 is 759.9 bbl.
      await ingestPings(app, sensor1, [
        [at('2019-02-27T10:00:00Z'), 8546.4],
        [at('2019-02-27T11:00:00Z'), 8546.4],
        [at('2019-02-27T12:00:00Z'), 27928.8],
      ]);
      const example = exampleOf('/flow_volume/');
      const body = await runExample(example);
      expectItemShape(body, example.response, example.documented, 'sensor_tag', 'flow_volume');
      expect(body).toEqual({ ...mapIds(example.response), sensor_tag: 'Wellpad 7', flow_volume: approx(356.1 + 759.9) });
    });

    it('Get Hourly Flow Volumes For a Specific Flow Sensor: the example, field by field (two hours, newest first)', async () => {
      const example = exampleOf('/flow_volume_hours/');
      const body = await runExample(example);
      const results = expectEnvelope(body, base, 'hours');
      const exampleResults = example.response.results as JsonObject[];
      results.forEach((item, i) => expectItemShape(item, exampleResults[0]!, example.documented, 'sensor_tag', `results[${i}]`));
      // Exactly the document's answer: 11:00-12:00 (759.9) then 10:00-11:00 (356.1).
      expect(body).toEqual({
        ...example.response,
        results: exampleResults.map((r) => ({ ...mapIds(r), sensor_tag: 'Wellpad 7', flow_volume: approx(r.flow_volume as number) })),
      });
    });

    it("answers 404 {detail: Not found.} for the other customer's sensor on every example path", async () => {
      const other = b.sensors[0]!.controller.id;
      for (const example of examples.slice(1)) {
        const url = example.url.replace(SEED_HOST, base).replace('/flow_sensors/1/', `/flow_sensors/${other}/`);
        const res = await curl([url, '-H', `Authorization: Token ${user().token}`]);
        expect(res.status, url).toBe(404);
        expect(JSON.parse(res.body)).toEqual({ detail: 'Not found.' });
      }
    });
  });
}
