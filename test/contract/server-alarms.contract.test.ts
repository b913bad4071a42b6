import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestBatch } from '../../src/domain/ingest.js';
import { customerScope, PLATFORM_SCOPE } from '../../src/domain/scope.js';
import { NO_DATA_ALARM, raiseNoDataAlarms } from '../../src/domain/server-alarms.js';
import { AppError } from '../../src/errors.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';

/**
 * The server's own no-data alarm (`fluent-alarm`): raised once on a controller that stopped
 * sending, cleared by its next batch, out of devices' reach, and idempotent across processes.
 */

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-24T08:00:00Z');
const SILENCE = 30 * MINUTE;
const clockAt = (ms: number) => ({ now: () => ms });

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: server no-data alarms`, () => {
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      ({ store, drop } = await factory.create());
      await store.migrate();
    });
    afterAll(async () => {
      await store?.close();
      await drop?.();
    });

    const send = (t: TenantFixture, at: number, payload = { readings: [{ channel: 'S11', time: new Date(at).toISOString(), value: 1 }] }) =>
      ingestBatch(store, t.controller, payload, clockAt(at));
    const activeServerAlarms = async (t: TenantFixture) =>
      (await store.listAlarms(customerScope(t.customer.id), { controllerId: t.controller.id, activeOnly: true, limit: 100 })).filter(
        (a) => a.type === NO_DATA_ALARM.type,
      );

    it('raises one alarm on a controller silent past the limit, none on one that never sent or sent recently', async () => {
      const silent = await createTenant(store, `Silent ${factory.name}`);
      const recent = await createTenant(store, `Recent ${factory.name}`);
      const never = await createTenant(store, `Never ${factory.name}`);
      await send(silent, T0);
      await send(recent, T0 + 45 * MINUTE);

      const now = T0 + 50 * MINUTE;
      const raised = await raiseNoDataAlarms(store, now, SILENCE);
      const mine = raised.filter((a) => [silent, recent, never].some((t) => t.controller.id === a.controllerId));
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({
        controllerId: silent.controller.id,
        customerId: silent.customer.id,
        channelId: null,
        type: 'fluent-alarm',
        code: NO_DATA_ALARM.code,
        severity: NO_DATA_ALARM.severity,
        message: NO_DATA_ALARM.message,
        raisedAt: now,
        clearedAt: null,
      });
      expect(await activeServerAlarms(recent)).toEqual([]);
      expect(await activeServerAlarms(never)).toEqual([]);

      // Later checks, from this process or any other, raise nothing more.
      const again = await raiseNoDataAlarms(store, now + 5 * MINUTE, SILENCE);
      expect(again.filter((a) => a.controllerId === silent.controller.id)).toEqual([]);
      const concurrent = await Promise.all(Array.from({ length: 5 }, () => raiseNoDataAlarms(store, now + 6 * MINUTE, SILENCE)));
      expect(concurrent.flat().filter((a) => a.controllerId === silent.controller.id)).toEqual([]);
      expect(await activeServerAlarms(silent)).toHaveLength(1);
    });

    it('clears the alarm with the controller\'s next batch, and raises a new one if it falls silent again', async () => {
      const t = await createTenant(store, `Resumes ${factory.name}`);
      await send(t, T0);
      await raiseNoDataAlarms(store, T0 + 40 * MINUTE, SILENCE);
      const [alarm] = await activeServerAlarms(t);
      expect(alarm).toBeDefined();

      const report = await send(t, T0 + 60 * MINUTE);
      expect(report.outcome.cleared.map((a) => a.id)).toEqual([alarm!.id]);
      expect(await activeServerAlarms(t)).toEqual([]);
      const history = await store.listAlarms(PLATFORM_SCOPE, { controllerId: t.controller.id, limit: 10 });
      expect(history.find((a) => a.id === alarm!.id)?.clearedAt).toBe(T0 + 60 * MINUTE);

      const second = await raiseNoDataAlarms(store, T0 + 100 * MINUTE, SILENCE);
      expect(second.filter((a) => a.controllerId === t.controller.id)).toHaveLength(1);
    });

    it('raising from two concurrent checks of a fresh silence still makes exactly one alarm', async () => {
      const t = await createTenant(store, `Race ${factory.name}`);
      await send(t, T0);
      const results = await Promise.all(Array.from({ length: 8 }, () => raiseNoDataAlarms(store, T0 + 40 * MINUTE, SILENCE)));
      expect(results.flat().filter((a) => a.controllerId === t.controller.id)).toHaveLength(1);
      expect(await activeServerAlarms(t)).toHaveLength(1);
    });

    it('devices cannot send the reserved type, nor clear the server alarm with a code of their own', async () => {
      const t = await createTenant(store, `Device ${factory.name}`);
      await send(t, T0);
      await expect(
        send(t, T0 + MINUTE, { alarms: [{ event: 'raise', code: 7, type: 'fluent-alarm', time: new Date(T0).toISOString() }] } as never),
      ).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.status === 400 && /reserved/.test(e.message));

      await raiseNoDataAlarms(store, T0 + 40 * MINUTE, SILENCE);
      const [serverAlarm] = await activeServerAlarms(t);
      // The device raises and clears its own alarm with the same code: the server's alarm is untouched by the clear...
      const at = T0 + 41 * MINUTE;
      const iso = (ms: number) => new Date(ms).toISOString();
      const outcome = (
        await ingestBatch(
          store,
          t.controller,
          { alarms: [{ event: 'raise', code: NO_DATA_ALARM.code, time: iso(at) }, { event: 'clear', code: NO_DATA_ALARM.code, time: iso(at + 1) }] },
          clockAt(at + 2),
        )
      ).outcome;
      expect(outcome.raised).toHaveLength(1);
      // ...but a batch arriving is data again, which clears it.
      expect(outcome.cleared.map((a) => a.type).sort()).toEqual(['controller-alarm', 'fluent-alarm']);
      expect(outcome.cleared.find((a) => a.type === 'fluent-alarm')?.id).toBe(serverAlarm!.id);
    });
  });
}
