import { createAccount, issueApiToken } from '../../src/domain/accounts.js';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import { digestSecret, newIngestKey } from '../../src/domain/secrets.js';
import { systemClock } from '../../src/domain/time.js';
import type { Channel, Controller, Customer, Facility, Process, User } from '../../src/domain/types.js';
import type { Store } from '../../src/store/store.js';

export interface TenantFixture {
  customer: Customer;
  facility: Facility;
  controller: Controller;
  ingestKey: string;
  process: Process;
  /** S11 conductivity and R1 relay belong to the process; S99 has none. */
  channels: { s11: Channel; r1: Channel; unassigned: Channel };
  admin: User & { password: string; token: string };
  user: User & { password: string; token: string };
}

let serial = 1_900_000_000;

/** A customer with one facility, one controller (with an ingest key), one process and users with tokens. */
export async function createTenant(store: Store, name: string): Promise<TenantFixture> {
  const customer = await store.createCustomer(PLATFORM_SCOPE, name);
  const facility = await store.createFacility(PLATFORM_SCOPE, { customerId: customer.id, name: `${name} Plant`, timeZone: 'America/Chicago' });
  const ingestKey = newIngestKey();
  const controller = await store.createController(PLATFORM_SCOPE, {
    facilityId: facility.id,
    serialNumber: String(serial++),
    model: 'W900',
    name: `${name} Tower Controller`,
    ingestKeyHash: digestSecret(ingestKey),
  });
  const process = await store.createProcess(PLATFORM_SCOPE, { controllerId: controller.id, name: 'Cooling Tower 1' });
  const s11 = await store.createChannel(PLATFORM_SCOPE, {
    controllerId: controller.id,
    processId: process.id,
    number: 'S11',
    name: 'Conductivity',
    kind: 'input',
    type: 'conductivity',
    unit: 'µS/cm',
  });
  const r1 = await store.createChannel(PLATFORM_SCOPE, { controllerId: controller.id, processId: process.id, number: 'R1', name: 'Bleed', kind: 'output', type: 'relay' });
  const unassigned = await store.createChannel(PLATFORM_SCOPE, { controllerId: controller.id, number: 'S99', name: 'Spare', kind: 'input', type: 'level', unit: '%' });
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const makeUser = async (role: 'admin' | 'user') => {
    const password = `${slug}-${role}-password`;
    const user = await createAccount(store, PLATFORM_SCOPE, { customerId: customer.id, email: `${role}@${slug}.example`, name: `${name} ${role}`, role, password });
    const { token } = await issueApiToken(store, user.id, systemClock);
    return { ...user, password, token };
  };
  return {
    customer,
    facility,
    controller,
    ingestKey,
    process,
    channels: { s11, r1, unassigned },
    admin: await makeUser('admin'),
    user: await makeUser('user'),
  };
}
