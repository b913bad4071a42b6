import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeFactories, type TestStore } from '../../../test/helpers/stores.js';
import { loadConfig } from '../../config.js';
import { CLI_ACTOR } from '../../domain/actor.js';
import { createCustomer } from '../../domain/onboarding.js';
import { isAppError } from '../../errors.js';
import { publicUrlOf } from '../../http/app.js';
import { dotEnvProblem } from '../options.js';
import { customerByRef } from './support.js';

/** How the CLI reads what a person typed: customers by name or id, .env files, the link address. */

describe('customerByRef', () => {
  const [sqlite] = storeFactories().filter((f) => f.name === 'sqlite');
  let store: TestStore;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ store, drop } = await sqlite!.create());
  });
  afterAll(async () => drop());

  it('finds a customer by exact name first, then by id, and refuses a number that is one name and another id', async () => {
    const acme = await createCustomer(store, CLI_ACTOR, { name: 'Acme' });
    const numbered = await createCustomer(store, CLI_ACTOR, { name: String(acme.id) });
    const plain = await createCustomer(store, CLI_ACTOR, { name: '4242' });
    expect((await customerByRef(store, 'Acme')).id).toBe(acme.id);
    expect((await customerByRef(store, String(numbered.id))).id).toBe(numbered.id);
    expect((await customerByRef(store, '4242')).id).toBe(plain.id);
    const refused = await customerByRef(store, String(acme.id)).catch((error: unknown) => error);
    expect(isAppError(refused) && refused.status).toBe(409);
    expect((refused as Error).message).toMatch(/is the name of customer \d+ and the id of customer "Acme"/);
    const missing = await customerByRef(store, 'Nobody').catch((error: unknown) => error);
    expect(isAppError(missing) && missing.status).toBe(404);
  });
});

describe('dotEnvProblem', () => {
  it('refuses a byte-order mark, which would silently rename the first variable', () => {
    expect(dotEnvProblem('\uFEFFDATABASE_URL=/tmp/x.db\n')).toMatch(/byte-order mark/);
    expect(dotEnvProblem('DATABASE_URL=/tmp/x.db\n')).toBeUndefined();
  });
});

describe('publicUrlOf', () => {
  it('makes links people can open when PUBLIC_URL is unset', () => {
    expect(publicUrlOf(loadConfig({ HOST: '0.0.0.0', PORT: '8080' }))).toBe('http://127.0.0.1:8080');
    expect(publicUrlOf(loadConfig({ HOST: '::', PORT: '9000' }))).toBe('http://127.0.0.1:9000');
    expect(publicUrlOf(loadConfig({ HOST: '::1', PORT: '9000' }))).toBe('http://[::1]:9000');
    expect(publicUrlOf(loadConfig({ HOST: 'flowline.internal', PORT: '80', PUBLIC_URL: 'https://flowline.example.com' }))).toBe('https://flowline.example.com');
  });
});
