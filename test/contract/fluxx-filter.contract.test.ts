import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import { compileFilter, FilterError, parseFilter } from '../../src/fluxx/filter.js';
import { MODELS, type ModelDef } from '../../src/domain/models.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';

/**
 * Fluxx filters compile to parameterised SQL that runs the same on both stores: every operator
 * and group type against known rows, cross-model filters, and injection attempts.
 */

const NOW = Date.parse('2026-11-25T15:30:00Z');
const DAY = 86_400_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyEb = ExpressionBuilder<any, any>;
const tenantOf = (customerId: number) => (eb: AnyEb, model: ModelDef, alias: string): Expression<SqlBool> =>
  'column' in model.tenant ? eb(sql.ref(`${alias}.${model.tenant.column}`), '=', customerId) : sql<SqlBool>`1 = 1`;

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: Fluxx filters`, () => {
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;
    let a: TenantFixture;
    let b: TenantFixture;
    const names: Record<string, number> = {};

    beforeAll(async () => {
      ({ store, drop } = await factory.create({ now: () => NOW }));
      await store.migrate();
      a = await createTenant(store, 'Acme');
      b = await createTenant(store, 'Bolt');
      const add = async (name: string, extra: { tag?: string | null; activatedAt?: number | null; pipeDiameter?: number | null } = {}) => {
        const c = await store.createController(PLATFORM_SCOPE, { facilityId: a.facility.id, serialNumber: String(3_000_000_000 + Object.keys(names).length), model: 'W900', name, ...extra });
        names[name] = c.id;
      };
      await add('Tower 100% Duty', { tag: 'north', activatedAt: NOW - 3 * DAY, pipeDiameter: 4 });
      await add('Tower_2', { tag: null, activatedAt: NOW, pipeDiameter: 6 });
      await add('boiler feed', { tag: 'South', activatedAt: NOW - 40 * DAY, pipeDiameter: 2.5 });
      await add("Robert'); DROP TABLE controllers;--", { activatedAt: null });
    });
    afterAll(async () => {
      await store?.close();
      await drop?.();
    });

    /** Names of A's controllers (other than its fixture one) the filter keeps. */
    async function run(filter: unknown, model: ModelDef = MODELS.controller): Promise<string[]> {
      const node = parseFilter(model, filter);
      const rows = await store.kysely
        .selectFrom('controllers as t')
        .select('t.name')
        .where((eb) => tenantOf(a.customer.id)(eb, model, 't'))
        .where((eb) => compileFilter(eb, node, 't', { now: NOW, tenant: tenantOf(a.customer.id) }))
        .execute();
      return rows.map((r) => r.name).filter((n) => n in names).sort();
    }
    const where = (...conditions: unknown[]) => ({ group_type: 'and', conditions });

    it('compares, matches text case-insensitively and escapes wildcards', async () => {
      expect(await run(where(['name', 'eq', 'Tower_2']))).toEqual(['Tower_2']);
      expect(await run(where(['name', 'not-eq', 'Tower_2']))).toEqual(["Robert'); DROP TABLE controllers;--", 'Tower 100% Duty', 'boiler feed']);
      expect(await run(where(['name', 'contains', '100%']))).toEqual(['Tower 100% Duty']);
      expect(await run(where(['name', 'contains', 'R_2']))).toEqual(['Tower_2']);
      expect(await run(where(['name', 'starts_with', 'TOWER']))).toEqual(['Tower 100% Duty', 'Tower_2']);
      expect(await run(where(['name', 'not-starts_with', 'tower']))).toEqual(["Robert'); DROP TABLE controllers;--", 'boiler feed']);
      expect(await run(where(['name', 'like', 'tower%duty']))).toEqual(['Tower 100% Duty']);
      expect(await run(where(['name', 'not-like', '%tower%']))).toEqual(["Robert'); DROP TABLE controllers;--", 'boiler feed']);
      expect(await run(where(['tag', 'null', '-']))).toEqual(["Robert'); DROP TABLE controllers;--", 'Tower_2']);
      expect(await run(where(['tag', 'not-null', '-']))).toEqual(['Tower 100% Duty', 'boiler feed']);
      expect(await run(where(['pipe_diameter', 'gt', '2.5']))).toEqual(['Tower 100% Duty', 'Tower_2']);
      expect(await run(where(['pipe_diameter', 'lte', 4]))).toEqual(['Tower 100% Duty', 'boiler feed']);
      expect(await run(where(['pipe_diameter', 'range', '3-6']))).toEqual(['Tower 100% Duty', 'Tower_2']);
    });

    it('takes dates month first, whole days, date ranges and relative dates in UTC', async () => {
      expect(await run(where(['activated_at', 'eq', '11/25/2026']))).toEqual(['Tower_2']);
      expect(await run(where(['activated_at', 'lt', '11/25/2026']))).toEqual(['Tower 100% Duty', 'boiler feed']);
      expect(await run(where(['activated_at', 'range', '11/01/2026-11/25/2026']))).toEqual(['Tower 100% Duty', 'Tower_2']);
      expect(await run(where(['activated_at', 'today', '-']))).toEqual(['Tower_2']);
      // NOW is a Wednesday; NOW - 3 days is the Sunday before, in last week (weeks start on Monday).
      expect(await run(where(['activated_at', 'this-week', '-']))).toEqual(['Tower_2']);
      expect(await run(where(['activated_at', 'last-week', '-']))).toEqual(['Tower 100% Duty']);
      expect(await run(where(['activated_at', 'last-n-days', 7]))).toEqual(['Tower 100% Duty', 'Tower_2']);
      expect(await run(where(['activated_at', 'days-n-ago', '3']))).toEqual(['Tower 100% Duty']);
      expect(await run(where(['activated_at', 'last-month', '-']))).toEqual(['boiler feed']);
    });

    it('nests groups of every type', async () => {
      const towers = ['name', 'starts_with', 'tower'];
      const tagged = ['tag', 'not-null', '-'];
      expect(await run({ group_type: 'or', conditions: [['name', 'eq', 'boiler feed'], ['name', 'eq', 'Tower_2']] })).toEqual(['Tower_2', 'boiler feed']);
      expect(await run({ group_type: 'not-and', conditions: [towers, tagged] })).toEqual(["Robert'); DROP TABLE controllers;--", 'Tower_2', 'boiler feed']);
      expect(await run({ group_type: 'not-or', conditions: [towers, tagged] })).toEqual(["Robert'); DROP TABLE controllers;--"]);
      expect(await run(where(towers, { group_type: 'or', conditions: [tagged, ['pipe_diameter', 'eq', 6]] }))).toEqual(['Tower 100% Duty', 'Tower_2']);
    });

    it('filters on a parent record, within the same customer only', async () => {
      expect(await run(where(['facility_id', 'filter', where(['name', 'eq', 'Acme Plant'])]))).toHaveLength(4);
      expect(await run(where(['facility_id', 'filter', where(['name', 'eq', 'Bolt Plant'])]))).toEqual([]);
      expect(await run(where(['facility_id', 'filter', where(['customer_id', 'filter', where(['name', 'contains', 'acm'])])]))).toHaveLength(4);
    });

    it('refuses unknown fields, operators and bad JSON by name, and binds every value', async () => {
      const bad: [unknown, RegExp][] = [
        ['{not json', /not valid JSON/],
        [where(['name; DROP TABLE controllers', 'eq', 'x']), /has no field "name; DROP TABLE controllers"/],
        [where(['name', 'eq; --', 'x']), /unknown operator "eq; --"/],
        [where(['ingest_key_hash', 'not-null', '-']), /has no field "ingest_key_hash"/],
        [where(['name', 'range', '1-2']), /range applies to numbers and dates/],
        [where(['pipe_diameter', 'eq', 'abc']), /is not a number/],
        [where(['activated_at', 'eq', '02/30/2026']), /is not a date/],
        [where(['name', 'filter', where()]), /refers to no other model/],
        [{ group_type: 'xor', conditions: [] }, /unknown group_type "xor"/],
        [{ group_type: 'and', conditions: [['name']] }, /a condition is \[field, operator, value\]/],
      ];
      for (const [filter, message] of bad) expect(() => parseFilter(MODELS.controller, filter), JSON.stringify(filter)).toThrow(message);
      expect(() => parseFilter(MODELS.controller, where(['name', 'eq', 'x']))).not.toThrow(FilterError);

      const evil = "x' OR '1'='1";
      expect(await run(where(['name', 'eq', evil]))).toEqual([]);
      const compiled = store.kysely
        .selectFrom('controllers as t')
        .select('t.id')
        .where((eb) => compileFilter(eb, parseFilter(MODELS.controller, where(['name', 'contains', evil], ['tag', 'eq', evil])), 't', { now: NOW, tenant: tenantOf(a.customer.id) }))
        .compile();
      expect(compiled.sql).not.toContain('OR \'1\'');
      expect(compiled.parameters).toContain(evil);
      expect(await store.listControllers(PLATFORM_SCOPE)).not.toHaveLength(0);
      void b;
    });
  });
}
