import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiToken, setPasswordWithLink } from '../../src/domain/accounts.js';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import { systemClock } from '../../src/domain/time.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { basic, buildTestApp } from '../helpers/app.js';
import { emptyPostgresDatabase, emptySqliteFile, type EmptyDatabase } from '../helpers/stores.js';

/**
 * Onboarding with no demo data, through the `flowline` command line only, checked end to end:
 * what the commands print (ingest keys, set-password links) is what a device and a user then
 * use against a real server on the same database.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'flowline.js');
// Each command starts a Node process; on a busy machine that is seconds apiece.
const FLOW_TIMEOUT = 900_000;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cliFor(env: NodeJS.ProcessEnv, cwd: string) {
  const run = (...args: string[]): Run => {
    const result = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  /** Runs a command that must succeed, and returns what it printed. */
  const ok = (...args: string[]): string => {
    const result = run(...args);
    expect(result.stderr, `flowline ${args.join(' ')}`).toBe('');
    expect(result.status, `flowline ${args.join(' ')}`).toBe(0);
    return result.stdout;
  };
  const json = <T = Record<string, unknown>>(...args: string[]): T[] => JSON.parse(ok(...args, '--json')) as T[];
  return { run, ok, json };
}

const valueOf = (text: string, key: string): string => {
  const value = new RegExp(`^\\s*${key}: (\\S+)`, 'm').exec(text)?.[1];
  expect(value, `"${key}:" in\n${text}`).toBeDefined();
  return value!;
};
const linkToken = (url: string) => new URL(url).hash.replace(/^#token=/, '');

/** The data path a device and a client use: push with an ingest key, read the latest values back over Fluent. */
function dataPath(app: FastifyInstance) {
  let second = 0;
  return {
    async push(key: string, value: number): Promise<number> {
      // A distinct time per push: a resent (channel, time) would be ignored as a duplicate.
      const time = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000 + ++second * 1000).toISOString();
      const res = await app.inject({ method: 'POST', url: '/ingest/v1/readings', headers: { authorization: `Bearer ${key}` }, payload: { readings: [{ channel: 'S11', time, value }] } });
      if (res.statusCode === 200) expect(res.json()).toMatchObject({ received: 1, stored: 1 });
      return res.statusCode;
    },
    async latest(serial: string, email: string, token: string): Promise<{ status: number; value?: number }> {
      const res = await app.inject({ url: `/controller/current-readings/${serial}`, headers: { authorization: basic(email, token) } });
      if (res.statusCode !== 200) return { status: res.statusCode };
      const s11 = (res.json().readings as { 'channel-number': string; subchannel?: { value: number }[] }[]).find((r) => r['channel-number'] === 'S11');
      return { status: 200, ...(s11?.subchannel ? { value: s11.subchannel[0]!.value } : {}) };
    },
  };
}

const BACKENDS = [
  { name: 'sqlite', skipReason: null, database: async () => emptySqliteFile('flowline-cli-onboarding-') },
  {
    name: 'postgres',
    skipReason: process.env.TEST_DATABASE_URL ? null : 'TEST_DATABASE_URL is not set',
    database: () => emptyPostgresDatabase('flowline_cli_onboarding'),
  },
] as const;

for (const backend of BACKENDS) {
  describe.skipIf(backend.skipReason !== null)(`${backend.name}: onboarding through the CLI`, () => {
    let database: EmptyDatabase;
    let dir: string;
    let cli: ReturnType<typeof cliFor>;
    let store: Store;
    let app: FastifyInstance;

    beforeAll(async () => {
      database = await backend.database();
      dir = mkdtempSync(join(tmpdir(), 'flowline-cli-files-'));
      const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'warn', PUBLIC_URL: 'https://flowline.example' };
      delete env.SMTP_URL;
      cli = cliFor(env, dir);
      expect(cli.ok('migrate')).toContain('0006-onboarding');
      store = openStore(database.url);
      app = await buildTestApp(store);
    });

    afterAll(async () => {
      await app?.close();
      await store?.close();
      await database?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it(
      'onboards a customer command by command; the printed key and link work on a real server, and rotation, revocation and disabling take effect',
      async () => {
        const { ok, json } = cli;
        const data = dataPath(app);

        expect(ok('customer', 'create', '--name', 'Acme Water')).toMatch(/^created customer \d+ "Acme Water"$/m);
        const [customer] = json('customer', 'list');
        expect(customer).toMatchObject({ name: 'Acme Water', disabled_at: null });

        ok('facility', 'create', '--customer', 'Acme Water', '--name', 'Plant 1', '--time-zone', 'America/Chicago', '--latitude', '41.88', '--longitude', '-87.63');
        const facilities = json('facility', 'list', '--customer', String(customer!.id));
        expect(facilities).toStrictEqual([expect.objectContaining({ name: 'Plant 1', customer_id: customer!.id, time_zone: 'America/Chicago', latitude: 41.88, longitude: -87.63 })]);

        writeFileSync(join(dir, 'channels.csv'), 'number,type,unit,name,process\nS2,ph,,pH,Cooling Tower 1\nR1,relay,,"Bleed, main",Cooling Tower 1\nS99,level,%,Spare,\n');
        const registered = ok(
          'controller', 'register', '--facility', String(facilities[0]!.id), '--serial', 'AC-1001', '--model', 'W900', '--name', 'Tower Controller',
          '--process', 'Boiler', '--channel', 'S11:conductivity:µS/cm:Conductivity:Cooling Tower 1', '--channels', 'channels.csv',
        );
        expect(registered).toMatch(/^processes: Boiler \(id \d+\), Cooling Tower 1 \(id \d+\)$/m);
        expect(registered).toMatch(/^ {2}S11\tconductivity\tµS\/cm\tConductivity\tinput\tprocess Cooling Tower 1$/m);
        expect(registered).toMatch(/^ {2}R1\trelay\t-\tBleed, main\toutput\tprocess Cooling Tower 1$/m);
        expect(registered).toMatch(/^ {2}S99\tlevel\t%\tSpare\tinput\tno process/m);
        expect(registered).toContain('will not be shown again');
        const firstKey = valueOf(registered, 'ingest key');
        expect(firstKey).toMatch(/^flik_/);
        expect(json('controller', 'list', '--facility', String(facilities[0]!.id))).toStrictEqual([
          expect.objectContaining({ serial_number: 'AC-1001', model: 'W900', customer_id: customer!.id, last_seen_at: null }),
        ]);

        const invited = ok('user', 'invite', '--email', 'Ann@Acme.example', '--name', 'Ann', '--role', 'admin', '--customer', 'Acme Water');
        const link = valueOf(invited, 'set-password link');
        expect(link).toMatch(/^https:\/\/flowline\.example\/app\/set-password#token=flpw_/);
        expect(Date.parse(valueOf(invited, 'link expires'))).toBeGreaterThan(Date.now() + 6 * 24 * 3_600_000);
        expect(invited).toContain('not e-mailed: mail is not configured');
        expect(json('user', 'list', '--customer', 'Acme Water')).toStrictEqual([
          expect.objectContaining({ email: 'ann@acme.example', role: 'admin', customer_id: customer!.id, operator: false, has_password: false, disabled_at: null }),
        ]);

        // Ann follows her link, then makes an API token on her account.
        const ann = await setPasswordWithLink(store, linkToken(link), 'correct horse battery', systemClock);
        const { token } = await issueApiToken(store, ann.id, systemClock);

        expect(await data.push(firstKey, 1.5)).toBe(200);
        expect(await data.latest('AC-1001', 'ann@acme.example', token)).toStrictEqual({ status: 200, value: 1.5 });
        // A user made with a password and a token at once, for scripts.
        const bob = ok('user', 'create', '--email', 'bob@acme.example', '--customer', 'Acme Water', '--token');
        expect(bob).toMatch(/^created user \d+ \(user, customer \d+ "Acme Water"\)$/m);
        expect(await data.latest('AC-1001', 'bob@acme.example', valueOf(bob, 'token'))).toStrictEqual({ status: 200, value: 1.5 });
        expect(await data.latest('AC-1001', 'ann@acme.example', 'correct horse battery')).toStrictEqual({ status: 200, value: 1.5 });

        // Rotation with an overlap: both keys work.
        const rotated = ok('ingest-key', 'rotate', '--controller', 'AC-1001', '--overlap', '1h');
        const secondKey = valueOf(rotated, 'ingest key');
        const until = Date.parse(/keep working until (\S+)\.$/m.exec(rotated)![1]!);
        expect(until - Date.now()).toBeGreaterThan(50 * 60_000);
        expect(until - Date.now()).toBeLessThanOrEqual(3_600_000);
        expect(await data.push(firstKey, 2)).toBe(200);
        expect(await data.push(secondKey, 3)).toBe(200);
        const listed = cli.run('ingest-key', 'list', '--controller', 'AC-1001', '--json');
        expect(listed.status).toBe(0);
        expect(listed.stdout).not.toContain(firstKey);
        expect(listed.stdout).not.toContain(secondKey);
        expect((JSON.parse(listed.stdout) as { state: string }[]).map((k) => k.state)).toStrictEqual(['active', 'expiring']);

        // Without an overlap only the newest works; after a revocation none does.
        const thirdKey = valueOf(ok('ingest-key', 'rotate', '--controller', 'AC-1001', '--overlap', '0'), 'ingest key');
        expect([await data.push(firstKey, 4), await data.push(secondKey, 4), await data.push(thirdKey, 4)]).toStrictEqual([401, 401, 200]);
        const controllerId = String(json('controller', 'list')[0]!.id);
        expect(ok('ingest-key', 'revoke', '--controller', controllerId)).toMatch(/^revoked 1 working ingest key of controller AC-1001$/m);
        expect(await data.push(thirdKey, 5)).toBe(401);
        const fourthKey = valueOf(ok('ingest-key', 'rotate', '--controller', controllerId, '--overlap', '0'), 'ingest key');
        expect(await data.push(fourthKey, 6)).toBe(200);
        expect(await data.latest('AC-1001', 'ann@acme.example', token)).toStrictEqual({ status: 200, value: 6 });

        // A disabled customer's token and ingest keys stop working; enabling brings them back.
        ok('customer', 'disable', 'Acme Water');
        expect(json('customer', 'list')[0]!.disabled_at).toEqual(expect.any(String));
        expect(await data.latest('AC-1001', 'ann@acme.example', token)).toStrictEqual({ status: 401 });
        expect(await data.push(fourthKey, 7)).toBe(401);
        ok('customer', 'enable', String(customer!.id));
        expect(await data.push(fourthKey, 8)).toBe(200);
        expect(await data.latest('AC-1001', 'ann@acme.example', token)).toStrictEqual({ status: 200, value: 8 });

        // So does a disabled user's; a reset gives her a new link that works once.
        ok('user', 'disable', '--email', 'ann@acme.example');
        expect(await data.latest('AC-1001', 'ann@acme.example', token)).toStrictEqual({ status: 401 });
        ok('user', 'enable', '--email', 'ann@acme.example');
        expect(await data.latest('AC-1001', 'ann@acme.example', token)).toStrictEqual({ status: 200, value: 8 });
        const reset = valueOf(ok('user', 'reset-password', '--email', 'ann@acme.example'), 'set-password link');
        await setPasswordWithLink(store, linkToken(reset), 'a brand new password', systemClock);
        await expect(setPasswordWithLink(store, linkToken(reset), 'once more please', systemClock)).rejects.toThrow('Set-password link');
        expect(await data.latest('AC-1001', 'ann@acme.example', 'a brand new password')).toStrictEqual({ status: 200, value: 8 });

        ok('customer', 'rename', 'Acme Water', '--name', 'Acme Water Co');
        expect(json('customer', 'list').map((c) => c.name)).toStrictEqual(['Acme Water Co']);
      },
      FLOW_TIMEOUT,
    );

    it(
      'imports a site from a file: twice creates nothing the second time, a grown file adds just what it gained, a bad file writes nothing',
      async () => {
        const { ok, run, json } = cli;
        const data = dataPath(app);
        const site = {
          customer: { name: 'Riverside Utilities' },
          facilities: [
            {
              name: 'North Plant',
              address: '1 River Road',
              time_zone: 'America/Chicago',
              controllers: [
                {
                  serial_number: 'RV-1001',
                  model: 'W900',
                  name: 'Tower 1 Controller',
                  processes: [{ name: 'Cooling Tower 1' }],
                  channels: [
                    { number: 'S11', type: 'conductivity', unit: 'µS/cm', name: 'Conductivity', process: 'Cooling Tower 1' },
                    { number: 'R1', type: 'relay', name: 'Bleed', process: 'Cooling Tower 1' },
                  ],
                },
                { serial_number: 'RV-FS-1', model: 'flow_sensor', name: 'Intake flow', pipe_diameter: 4 },
              ],
            },
          ],
          users: [{ email: 'mia@riverside.example', name: 'Mia', role: 'admin' }, { email: 'tom@riverside.example' }],
        };
        writeFileSync(join(dir, 'site.json'), JSON.stringify(site, null, 2));

        const first = ok('import', 'site.json');
        expect(first).toMatch(/^customer \d+ "Riverside Utilities": created$/m);
        expect(first).toMatch(/^created: 1 customer, 1 facility, 2 controllers, 2 processes, 3 channels, 2 users$/m);
        const keys = new Map([...first.matchAll(/controller \d+ (\S+) "[^"]*": registered[^\n]*\n\s+ingest key: (flik_\S+)/g)].map((m) => [m[1]!, m[2]!]));
        expect([...keys.keys()]).toStrictEqual(['RV-1001', 'RV-FS-1']);
        const links = new Map([...first.matchAll(/^user \d+ (\S+) \(\w+\): invited\n\s+set-password link: (\S+)/gm)].map((m) => [m[1]!, m[2]!]));
        expect([...links.keys()]).toStrictEqual(['mia@riverside.example', 'tom@riverside.example']);

        const snapshot = async () => ({
          customers: (await store.listCustomers(PLATFORM_SCOPE)).length,
          facilities: (await store.listFacilities(PLATFORM_SCOPE)).length,
          controllers: (await store.listControllers(PLATFORM_SCOPE)).length,
          processes: (await store.listProcesses(PLATFORM_SCOPE)).length,
          channels: (await store.listChannels(PLATFORM_SCOPE)).length,
          users: (await store.listUsers(PLATFORM_SCOPE)).length,
        });
        const afterFirst = await snapshot();

        const second = ok('import', 'site.json');
        expect(second).toContain('nothing new: everything in the file exists already');
        expect(second).not.toMatch(/ingest key|set-password link/);
        expect(await snapshot()).toStrictEqual(afterFirst);

        // The imported key and link work.
        const mia = await setPasswordWithLink(store, linkToken(links.get('mia@riverside.example')!), 'mia password 1', systemClock);
        const { token } = await issueApiToken(store, mia.id, systemClock);
        expect(await data.push(keys.get('RV-1001')!, 42)).toBe(200);
        expect(await data.latest('RV-1001', 'mia@riverside.example', token)).toStrictEqual({ status: 200, value: 42 });

        // A channel and a facility more: just those are created.
        site.facilities[0]!.controllers[0]!.channels!.push({ number: 'S2', type: 'ph', name: 'pH', process: 'Cooling Tower 1' });
        site.facilities.push({ name: 'South Plant', address: '2 River Road', time_zone: 'UTC', controllers: [] });
        writeFileSync(join(dir, 'site.json'), JSON.stringify(site));
        const third = ok('import', 'site.json');
        expect(third).toMatch(/^ {2}controller \d+ RV-1001 "Tower 1 Controller": exists; added channel S2$/m);
        expect(third).toMatch(/^facility \d+ "South Plant": created$/m);
        expect(third).toMatch(/^created: 1 facility, 1 channel$/m);
        expect(await snapshot()).toStrictEqual({ ...afterFirst, facilities: afterFirst.facilities + 1, channels: afterFirst.channels + 1 });

        // A file that clashes with the database is refused as a whole, naming every problem.
        const bad = structuredClone(site);
        bad.customer.name = 'Brand New Co';
        bad.facilities[0]!.controllers[0]!.channels!.push({ number: 'S3', type: 'orp', name: 'ORP', process: 'Nowhere' });
        bad.users.push({ email: 'ann@acme.example', name: 'Ann', role: 'user' });
        writeFileSync(join(dir, 'bad-site.json'), JSON.stringify(bad));
        const refused = run('import', 'bad-site.json');
        expect(refused.status).toBe(1);
        expect(refused.stdout).toBe('');
        expect(refused.stderr.split('\n')[0]).toMatch(/^flowline: The site cannot be imported \(\d+ problems; nothing was written\):$/);
        expect(refused.stderr).toContain('facilities[0].controllers[0]: Channel S3 names process "Nowhere"');
        expect(refused.stderr).toContain('facilities[0].controllers[0].serial_number: RV-1001 is registered to another customer.');
        expect(refused.stderr).toContain('users[0].email: mia@riverside.example belongs to a user of another customer.');
        expect(refused.stderr).not.toMatch(/\n\s+at /);
        expect(await snapshot()).toStrictEqual({ ...afterFirst, facilities: afterFirst.facilities + 1, channels: afterFirst.channels + 1 });
        expect(json('customer', 'list').map((c) => c.name)).not.toContain('Brand New Co');
      },
      FLOW_TIMEOUT,
    );
  });
}

describe('sqlite: bad input to the onboarding commands', () => {
  let database: EmptyDatabase;
  let dir: string;
  let cli: ReturnType<typeof cliFor>;
  let store: Store;

  beforeAll(async () => {
    database = emptySqliteFile('flowline-cli-bad-input-');
    dir = mkdtempSync(join(tmpdir(), 'flowline-cli-files-'));
    cli = cliFor({ ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'warn' }, dir);
    // Before the database exists, commands say what to run, and create nothing.
    expect(cli.run('customer', 'list')).toStrictEqual({ status: 1, stdout: '', stderr: `flowline: there is no database at ${database.url}: check DATABASE_URL (or --database-url), or create it with \`flowline migrate\`\n` });
    expect(existsSync(database.url)).toBe(false);
    // On an empty one (migrations not applied), they say what to run rather than fail on a missing table.
    new Database(database.url).close();
    expect(cli.run('customer', 'list')).toStrictEqual({ status: 1, stdout: '', stderr: 'flowline: The database is empty: run `flowline migrate` first.\n' });
    cli.ok('migrate');
    cli.ok('customer', 'create', '--name', 'Acme Water');
    cli.ok('facility', 'create', '--customer', 'Acme Water', '--name', 'Plant 1');
    cli.ok('controller', 'register', '--facility', '1', '--serial', 'AC-1001', '--model', 'W900', '--name', 'Tower', '--channel', 'S11:conductivity:µS/cm:Conductivity:Tower');
    cli.ok('user', 'invite', '--email', 'ann@acme.example', '--customer', 'Acme Water');
    writeFileSync(join(dir, 'columns.csv'), 'number,type,colour\nS1,ph,red\n');
    writeFileSync(join(dir, 'quotes.csv'), 'number,type\nS1,"ph\n');
    writeFileSync(join(dir, 'channels.txt'), 'S1 ph\n');
    writeFileSync(join(dir, 'not-json.json'), '{ "customer": ');
    writeFileSync(join(dir, 'wrong-shape.json'), JSON.stringify({ customer: { name: 'X' }, facilities: [{ name: 'P', latitude: 100, controllers: [{ serial_number: 'N-1', model: 'W', name: 'n', channels: [{ number: 'S1', type: 'ph', kind: 'sideways' }] }] }] }));
    store = openStore(database.url);
  }, FLOW_TIMEOUT);

  afterAll(async () => {
    await store?.close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Everything the commands could change, keys and links included. */
  async function everything(): Promise<string> {
    const controllers = await store.listControllers(PLATFORM_SCOPE);
    return JSON.stringify({
      customers: await store.listCustomers(PLATFORM_SCOPE),
      facilities: await store.listFacilities(PLATFORM_SCOPE),
      controllers,
      processes: await store.listProcesses(PLATFORM_SCOPE),
      channels: await store.listChannels(PLATFORM_SCOPE),
      keys: await Promise.all(controllers.map((c) => store.listIngestKeys(PLATFORM_SCOPE, c.id))),
      users: await store.listUsers(PLATFORM_SCOPE),
    });
  }

  const register = ['controller', 'register', '--facility', '1', '--serial', 'AC-2002', '--model', 'W900', '--name', 'Second'];
  // [command line, exit code, the one line on stderr]
  const cases: [string[], number, string | RegExp][] = [
    [['customer', 'create', '--name', ' Acme Water '], 1, 'A customer named "Acme Water" already exists (id 1).'],
    [['customer', 'create', '--name', ''], 1, 'The name must be 1 to 200 characters on one line.'],
    [['customer', 'create'], 2, "error: required option '--name <name>' not specified"],
    [['customer', 'rename', 'Nobody', '--name', 'X'], 1, 'Customer "Nobody" not found.'],
    [['customer', 'disable', '999'], 1, 'Customer "999" not found.'],
    [['customer', 'frobnicate'], 2, "error: unknown command 'frobnicate'"],
    [['facility', 'create', '--customer', 'Nobody', '--name', 'P'], 1, 'Customer "Nobody" not found.'],
    [['facility', 'create', '--customer', 'Acme Water', '--name', 'P', '--time-zone', 'Mars/Base'], 1, '"Mars/Base" is not an IANA time zone such as America/Chicago.'],
    [['facility', 'create', '--customer', 'Acme Water', '--name', 'P', '--latitude', '200'], 1, '--latitude takes a number from -90 to 90, not "200".'],
    [['facility', 'list', '--customer', 'Nobody'], 1, 'Customer "Nobody" not found.'],
    [['controller', 'register', '--facility', '1', '--serial', 'AC-1001', '--model', 'W900', '--name', 'Again'], 1, 'A controller with serial number AC-1001 is already registered.'],
    [[...register, '--channel', 'S1'], 1, '--channel "S1" is not number:type[:unit[:name[:process]]], e.g. S11:conductivity:µS/cm:Conductivity:Cooling Tower 1.'],
    [[...register, '--channel', 'S1:ph', '--channel', 'S1:orp'], 1, 'Channel S1 is listed twice.'],
    [[...register, '--channels', 'missing.csv'], 1, /^Cannot read missing\.csv: ENOENT/],
    [[...register, '--channels', 'columns.csv'], 1, 'columns.csv: unknown column "colour" in the header row (columns: number, type, unit, name, kind, process).'],
    [[...register, '--channels', 'quotes.csv'], 1, 'quotes.csv is not CSV: line 2: a quoted field is never closed'],
    [[...register, '--channels', 'channels.txt'], 1, 'channels.txt: a channels file is .json or .csv.'],
    [[...register, '--channels', 'wrong-shape.json'], 1, 'wrong-shape.json has a problem: wrong-shape.json: must be array'],
    [['controller', 'register', '--facility', '999', '--serial', 'AC-2002', '--model', 'W900', '--name', 'Second'], 1, 'Facility not found.'],
    [['controller', 'register', '--facility', 'one', '--serial', 'AC-2002', '--model', 'W900', '--name', 'Second'], 1, '--facility takes an id (a positive whole number), not "one".'],
    [['controller', 'register', '--facility', '1', '--serial', 'AC-2002', '--name', 'Second'], 2, "error: required option '--model <model>' not specified"],
    [['ingest-key', 'rotate', '--controller', 'AC-1001', '--overlap', '2 weeks'], 1, '--overlap takes a duration such as 30m, 24h, 7d or 0, not "2 weeks".'],
    [['ingest-key', 'rotate', '--controller', 'AC-1001', '--overlap', '31d'], 1, 'The overlap is from 0 seconds to 30 days.'],
    [['ingest-key', 'rotate', '--controller', 'NOPE-1'], 1, 'Controller not found.'],
    [['ingest-key', 'revoke', '--controller', 'AC-1001', '--key', '999'], 1, 'Live ingest key not found.'],
    [['ingest-key', 'list'], 2, "error: required option '--controller <controller>' not specified"],
    [['user', 'invite', '--email', 'bo@acme.example'], 2, 'flowline: user invite needs --customer <id|name> (the customer the user belongs to) or --operator (a platform operator, who belongs to no customer).'],
    [['user', 'invite', '--email', 'bo@acme.example', '--customer', '1', '--operator'], 2, "error: option '--customer <customer>' cannot be used with option '--operator'"],
    [['user', 'invite', '--email', 'bo@acme.example', '--customer', '1', '--role', 'boss'], 2, "error: option '--role <role>' argument 'boss' is invalid. Allowed choices are admin, user."],
    [['user', 'invite', '--email', 'ANN@acme.example', '--customer', 'Acme Water'], 1, 'A user with e-mail ann@acme.example already exists.'],
    [['user', 'invite', '--email', 'not-an-address', '--customer', 'Acme Water'], 1, '"not-an-address" is not an e-mail address.'],
    [['user', 'reset-password', '--email', 'nobody@acme.example'], 1, 'User with e-mail nobody@acme.example not found.'],
    [['user', 'disable', '--email', 'nobody@acme.example'], 1, 'User with e-mail nobody@acme.example not found.'],
    [['user', 'create', '--email', 'bo@acme.example'], 2, 'flowline: user create needs --customer <id|name> (the customer the user belongs to) or --operator (a platform operator, who belongs to no customer).'],
    [['user', 'list', '--customer', 'Nobody'], 1, 'Customer "Nobody" not found.'],
    [['import', 'missing.json'], 1, /^Cannot read missing\.json: ENOENT/],
    [['import', 'not-json.json'], 1, /^not-json\.json is not JSON: /],
    [['import'], 2, "error: missing required argument 'file'"],
  ];

  it(
    'refuses each with one line on stderr and an exit code, changing nothing',
    async () => {
      const before = await everything();
      for (const [args, status, message] of cases) {
        const result = cli.run(...args);
        const label = `flowline ${args.join(' ')}`;
        expect({ status: result.status, stdout: result.stdout }, label).toStrictEqual({ status, stdout: '' });
        const lines = result.stderr.split('\n').filter((l) => l !== '');
        expect(lines, label).toHaveLength(1);
        const line = lines[0]!;
        if (typeof message !== 'string') expect(line.replace(/^flowline: /, ''), label).toMatch(message);
        else expect(line, label).toBe(message.startsWith('error: ') || message.startsWith('flowline: ') ? message : `flowline: ${message}`);
      }
      expect(await everything()).toBe(before);

      // A site file of the wrong shape names every problem and writes nothing.
      const shape = cli.run('import', 'wrong-shape.json');
      expect(shape.status).toBe(1);
      expect(shape.stderr).toBe(
        [
          'flowline: The site file is not valid (2 problems; nothing was written):',
          '  - facilities[0].latitude: must be <= 90',
          '  - facilities[0].controllers[0].channels[0].kind: must be one of "input", "output"',
          '',
        ].join('\n'),
      );
      expect(await everything()).toBe(before);
    },
    FLOW_TIMEOUT,
  );
});
