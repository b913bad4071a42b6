import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../test/helpers/app.js';
import { storeFactories, type TestStore } from '../../test/helpers/stores.js';
import { NO_MAIL } from '../mail/mailer.js';
import { AppError } from '../errors.js';
import { createAccount, inviteUser, setPasswordWithLink, type LinkServices } from './accounts.js';
import { CLI_ACTOR, type Actor } from './actor.js';
import { createCustomer, createFacility, registerController } from './onboarding.js';
import { customerScope, PLATFORM_SCOPE } from './scope.js';
import { digestSecret } from './secrets.js';
import { importSite, parseSiteFile, schemaProblems, SiteChannelSchema, type SiteFile } from './site-import.js';

const site = (over: Partial<SiteFile> = {}): SiteFile => ({
  customer: { name: 'Riverside Utilities' },
  facilities: [
    {
      name: 'North Plant',
      address: '1 River Road',
      latitude: 41.88,
      longitude: -87.63,
      time_zone: 'America/Chicago',
      controllers: [
        {
          serial_number: 'RV-1001',
          model: 'W900',
          name: 'Tower 1 Controller',
          processes: [{ name: 'Cooling Tower 1' }, { name: 'Boiler' }],
          channels: [
            { number: 'S11', type: 'conductivity', unit: 'µS/cm', name: 'Conductivity', process: 'Cooling Tower 1' },
            { number: 'R1', type: 'relay', name: 'Bleed', process: 'Cooling Tower 1' },
            { number: 'S99', type: 'level', unit: '%' },
          ],
        },
        { serial_number: 'RV-FS-1', model: 'flow_sensor', name: 'Intake', pipe_diameter: 4 },
      ],
    },
  ],
  users: [{ email: 'Mia@Riverside.example', name: 'Mia', role: 'admin' }, { email: 'tom@riverside.example' }],
  ...over,
});

/** Every problem line of a refused import. */
async function problemsOf(work: Promise<unknown>): Promise<string[]> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return ((error as AppError).details as { problems: string[] }).problems;
}

describe('site file schema', () => {
  it('names each problem by its place in the file, a union once', () => {
    const problems = schemaProblems(SiteChannelSchema, { number: 'S1', type: 'ph', kind: 'in', unit: 5, colour: 'red' });
    expect([...problems].sort()).toStrictEqual(['(the file): must not have additional properties: colour', 'kind: must be one of "input", "output"', 'unit: must be string or null']);
    expect(() => parseSiteFile({ customer: { name: 'X' }, facilities: [{ name: 'P', latitude: 91, controllers: [{ serial_number: 7, model: 'W', name: 'n' }] }] })).toThrow(
      /facilities\[0\]\.latitude: must be <= 90[\s\S]*facilities\[0\]\.controllers\[0\]\.serial_number: must be string/,
    );
    expect(() => parseSiteFile([])).toThrow(/\(the file\): must be object/);
    expect(parseSiteFile(site())).toStrictEqual(site());
  });
});

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: site import`, () => {
    let store: TestStore;
    let drop: () => Promise<void>;
    let services: LinkServices;
    const clock = manualClock();

    beforeAll(async () => {
      ({ store, drop } = await factory.create({ now: clock.now }));
      services = { store, clock, mailer: NO_MAIL, publicUrl: 'http://flowline.test' };
    });
    afterAll(async () => drop?.());

    const counts = async () => ({
      customers: (await store.listCustomers(PLATFORM_SCOPE)).length,
      facilities: (await store.listFacilities(PLATFORM_SCOPE)).length,
      controllers: (await store.listControllers(PLATFORM_SCOPE)).length,
      processes: (await store.listProcesses(PLATFORM_SCOPE)).length,
      channels: (await store.listChannels(PLATFORM_SCOPE)).length,
      users: (await store.listUsers(PLATFORM_SCOPE)).length,
    });

    it('onboards a whole site, and a second run creates nothing', async () => {
      const report = await importSite(services, CLI_ACTOR, site());
      expect(report.customer).toMatchObject({ created: true, record: { name: 'Riverside Utilities' } });
      const [facility] = report.facilities;
      expect(facility).toMatchObject({ created: true, record: { name: 'North Plant', timeZone: 'America/Chicago', address: '1 River Road' } });
      const [tower, flow] = facility!.controllers;
      expect(tower!.created).toBe(true);
      expect(tower!.processes.map((p) => p.record.name)).toStrictEqual(['Cooling Tower 1', 'Boiler']);
      const cooling = tower!.processes[0]!.record.id;
      expect(tower!.channels.map((c) => [c.record.number, c.record.kind, c.record.processId])).toStrictEqual([
        ['S11', 'input', cooling],
        ['R1', 'output', cooling],
        ['S99', 'input', null],
      ]);
      // A flow sensor registered without channels gets the flow-rate channel the FlowCommand face serves.
      expect(flow!.channels.map((c) => c.record.type)).toStrictEqual(['flowrate']);
      expect(flow!.record.pipeDiameter).toBe(4);
      // Each new controller's ingest key authenticates it.
      for (const c of [tower!, flow!]) expect((await store.findControllerByIngestKeyHash(digestSecret(c.ingestKey!), clock.now()))?.id).toBe(c.record.id);
      expect(report.users.map((u) => [u.record.email, u.record.role, u.record.customerId, u.created])).toStrictEqual([
        ['mia@riverside.example', 'admin', report.customer.record.id, true],
        ['tom@riverside.example', 'user', report.customer.record.id, true],
      ]);
      const link = report.users[0]!.link!;
      expect(link.url).toBe(`http://flowline.test/app/set-password#token=${link.token}`);
      expect((await setPasswordWithLink(store, link.token, 'a long new password', clock)).email).toBe('mia@riverside.example');

      const before = await counts();
      expect(before).toStrictEqual({ customers: 1, facilities: 1, controllers: 2, processes: 3, channels: 4, users: 2 });
      const again = await importSite(services, CLI_ACTOR, site());
      expect(await counts()).toStrictEqual(before);
      expect(again.customer.created).toBe(false);
      expect(again.facilities.flatMap((f) => [f.created, ...f.controllers.flatMap((c) => [c.created, c.ingestKey, ...c.processes.map((p) => p.created), ...c.channels.map((ch) => ch.created)])])).not.toContain(true);
      expect(again.facilities[0]!.controllers[0]!.ingestKey).toBeNull();
      expect(again.users.map((u) => [u.created, u.link])).toStrictEqual([
        [false, null],
        [false, null],
      ]);
    });

    it('a later run adds just what the file gained: a process, a channel, a facility, a user', async () => {
      const grown = site();
      const north = grown.facilities![0]!;
      north.controllers![0]!.processes!.push({ name: 'Make-up' });
      north.controllers![0]!.channels!.push({ number: 'S12', type: 'ph', process: 'Make-up' });
      grown.facilities!.push({ name: 'South Plant', controllers: [{ serial_number: 'RV-2001', model: 'W600', name: 'South Tower' }] });
      grown.users!.push({ email: 'lee@riverside.example' });
      const before = await counts();
      const report = await importSite(services, CLI_ACTOR, grown);
      expect(await counts()).toStrictEqual({ ...before, facilities: before.facilities + 1, controllers: before.controllers + 1, processes: before.processes + 1, channels: before.channels + 1, users: before.users + 1 });
      const tower = report.facilities[0]!.controllers[0]!;
      expect(tower.processes.filter((p) => p.created).map((p) => p.record.name)).toStrictEqual(['Make-up']);
      const s12 = tower.channels.find((c) => c.record.number === 'S12')!;
      expect(s12.created).toBe(true);
      expect(s12.record.processId).toBe(tower.processes.find((p) => p.record.name === 'Make-up')!.record.id);
      expect(report.facilities[1]).toMatchObject({ created: true, record: { name: 'South Plant', timeZone: 'UTC' } });
      expect(report.facilities[1]!.controllers[0]!.ingestKey).toMatch(/^flik_/);
      expect(report.users.map((u) => u.created)).toStrictEqual([false, false, true]);
    });

    it('checks the whole file against the database first, and writes nothing when anything is wrong', async () => {
      const other = await createCustomer(store, CLI_ACTOR, { name: 'Other Co' });
      const otherPlant = await createFacility(store, CLI_ACTOR, { customerId: other.id, name: 'Other Plant' });
      await registerController(store, CLI_ACTOR, { facilityId: otherPlant.id, serialNumber: 'OT-1', model: 'W900', name: 'Theirs' }, clock);
      await inviteUser(services, CLI_ACTOR, { email: 'someone@other.example', role: 'user', customerId: other.id });
      await createAccount(store, PLATFORM_SCOPE, { customerId: null, operator: true, email: 'ops@flowline.example', name: 'Ops', role: 'admin', password: 'operator password' });
      const before = await counts();

      const bad = site({
        customer: { name: 'Brand New Co' },
        users: [{ email: 'someone@other.example' }, { email: 'OPS@flowline.example' }, { email: 'not an address' }, { email: 'ok@new.example' }, { email: 'Ok@New.example' }],
      });
      const plant = bad.facilities![0]!;
      plant.time_zone = 'Mars/Olympus';
      plant.controllers!.push({ serial_number: 'OT-1', model: 'W900', name: 'Not ours' });
      plant.controllers!.push({ serial_number: 'RV-FS-1', model: 'flow_sensor', name: 'twice' });
      plant.controllers![0]!.channels!.push({ number: 'S1', type: 'ph', process: 'Nowhere' });
      bad.facilities!.push({ name: 'North Plant' });

      const problems = await problemsOf(importSite(services, CLI_ACTOR, bad));
      expect(problems).toStrictEqual([
        'facilities[0].time_zone: "Mars/Olympus" is not an IANA time zone such as America/Chicago.',
        `facilities[0].controllers[0]: Channel S1 names process "Nowhere", which is not among the controller's processes (Cooling Tower 1, Boiler).`,
        // Registered to Riverside, which this file does not name:
        'facilities[0].controllers[0].serial_number: RV-1001 is registered to another customer.',
        'facilities[0].controllers[1].serial_number: RV-FS-1 is registered to another customer.',
        'facilities[0].controllers[2].serial_number: OT-1 is registered to another customer.',
        'facilities[0].controllers[3].serial_number: RV-FS-1 is also listed at facilities[0].controllers[1].',
        'facilities[0].controllers[3].serial_number: RV-FS-1 is registered to another customer.',
        'facilities[1].name: facility "North Plant" is listed twice.',
        'users[0].email: someone@other.example belongs to a user of another customer.',
        'users[1].email: ops@flowline.example belongs to a platform operator.',
        'users[2].email: "not an address" is not an e-mail address.',
        'users[4].email: ok@new.example is listed twice.',
      ]);
      expect(await counts()).toStrictEqual(before);

      // An existing controller stays where it is: an import does not move it.
      const moved = site();
      moved.facilities![0]!.controllers = [];
      moved.facilities!.push({ name: 'East Plant', controllers: [{ serial_number: 'RV-1001', model: 'W900', name: 'Tower 1 Controller' }] });
      expect(await problemsOf(importSite(services, CLI_ACTOR, moved))).toStrictEqual([
        'facilities[1].controllers[0].serial_number: RV-1001 is registered at facility "North Plant", not "East Plant"; an import does not move controllers.',
      ]);
      expect(await counts()).toStrictEqual(before);
    });

    it("lets a customer's admin complete their own site but not create a customer", async () => {
      const riverside = (await store.findCustomerByName(PLATFORM_SCOPE, 'Riverside Utilities'))!;
      const admin: Actor = { ...CLI_ACTOR, scope: customerScope(riverside.id), operator: false };
      const grown = site();
      grown.facilities![0]!.controllers![1]!.channels = [{ number: 'S1', type: 'flowrate', unit: 'bbl/day', name: 'Flow Rate', process: 'Flow' }, { number: 'S2', type: 'temperature' }];
      grown.facilities![0]!.controllers![1]!.processes = [{ name: 'Flow' }];
      const report = await importSite(services, admin, grown);
      expect(report.facilities[0]!.controllers[1]!.channels.map((c) => [c.record.number, c.created])).toStrictEqual([
        ['S1', false],
        ['S2', true],
      ]);

      const before = await counts();
      expect(await problemsOf(importSite(services, admin, site({ customer: { name: 'Admin Made Co' } })))).toContain('customer: Only platform operators manage customers.');
      const user: Actor = { ...admin, role: 'user' };
      await expect(importSite(services, user, site())).rejects.toThrow('Only admins make this change');
      expect(await counts()).toStrictEqual(before);
    });
  });
}
