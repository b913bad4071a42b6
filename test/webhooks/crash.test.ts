import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/domain/accounts.js';
import { registerFlowSensor } from '../../src/domain/flow-sensors.js';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import { newSecretKey, parseSecretKey, secretBox } from '../../src/domain/secret-box.js';
import { digestSecret, newIngestKey } from '../../src/domain/secrets.js';
import { newWebhookSecret } from '../../src/webhooks/signing.js';
import { storeFactories } from '../helpers/stores.js';

/**
 * At least once, through a crash: a real server process ingests a stream of pings and delivers
 * them to a receiver; it is killed with SIGKILL mid-stream and started again; every ping whose
 * ingest was acknowledged (200) must reach the receiver at least once.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'flowline.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: webhook delivery survives kill -9`, () => {
    let url: string;
    let drop: () => Promise<void>;
    let receiver: Server;
    let receiverPort: number;
    const received = new Map<string, number>();
    const secretKey = newSecretKey();
    const ingestKey = newIngestKey();

    beforeAll(async () => {
      receiver = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        request.on('end', () => {
          const { data } = JSON.parse(body) as { data: { datetime: string } };
          received.set(data.datetime, (received.get(data.datetime) ?? 0) + 1);
          response.end('ok');
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      receiverPort = (receiver.address() as AddressInfo).port;

      const created = await factory.create();
      ({ url, drop } = created);
      const { store } = created;
      await store.migrate();
      const customer = await store.createCustomer(PLATFORM_SCOPE, 'Crash Test Oilfield');
      const facility = await store.createFacility(PLATFORM_SCOPE, { customerId: customer.id, name: 'Yard' });
      await createAccount(store, PLATFORM_SCOPE, { customerId: customer.id, email: 'crash@example.com', name: 'Crash', role: 'admin', password: 'crash-test-password' });
      await registerFlowSensor(store, PLATFORM_SCOPE, { facilityId: facility.id, serialNumber: '3100000001', name: 'Crash Meter', ingestKeyHash: digestSecret(ingestKey) });
      await store.createWebhookEndpoint(PLATFORM_SCOPE, {
        customerId: customer.id,
        kind: 'flowcommand',
        url: `http://127.0.0.1:${receiverPort}/hook`,
        secretCiphertext: secretBox(parseSecretKey(secretKey)).seal(newWebhookSecret()),
        eventTypes: ['ping_received'],
      });
      await store.close();
    }, 60_000);

    afterAll(async () => {
      await new Promise((resolve) => receiver?.close(resolve));
      await drop?.();
    });

    async function startServer(): Promise<{ child: ChildProcess; base: string }> {
      const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--no-data-alarm-minutes', '0'], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'info', SECRET_KEY: secretKey, WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8', WEBHOOK_LEASE_SECONDS: '2' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const started = Date.now();
      let base: string | undefined;
      while (!(base = /serving on (http:\/\/\S+)/.exec(out)?.[1]) && Date.now() - started < 30_000) await sleep(50);
      if (!base) throw new Error(`server did not start:\n${out}`);
      return { child, base: base.replace('://0.0.0.0', '://127.0.0.1') };
    }

    it('delivers every acknowledged ping at least once after a SIGKILL mid-stream', async () => {
      const acknowledged: string[] = [];
      let time = Date.parse('2026-11-24T00:00:00Z');
      const pump = async (base: string, ms: number) => {
        const until = Date.now() + ms;
        while (Date.now() < until) {
          const readings = Array.from({ length: 5 }, () => ({ channel: 'S1', time: new Date((time += 1000)).toISOString(), value: 1000 + (time % 97) }));
          try {
            const res = await fetch(`${base}/ingest/v1/readings`, {
              method: 'POST',
              headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
              body: JSON.stringify({ readings }),
            });
            if (res.status === 200) acknowledged.push(...readings.map((r) => r.time.replace('.000Z', 'Z')));
          } catch {
            return; // the server is gone: whatever was not acknowledged may be lost
          }
        }
      };

      const first = await startServer();
      const killAt = pump(first.base, 30_000);
      // Killed mid-stream once enough is acknowledged (by count, not time: a busy machine is slow).
      const deadline = Date.now() + 25_000;
      while (acknowledged.length <= 60 && Date.now() < deadline) await sleep(20);
      const exited = new Promise((resolve) => first.child.once('exit', resolve));
      first.child.kill('SIGKILL');
      await killAt;
      await exited;
      const beforeCrash = acknowledged.length;
      expect(beforeCrash).toBeGreaterThan(50);

      const second = await startServer();
      try {
        await pump(second.base, 500);
        const deadline = Date.now() + 20_000;
        while (acknowledged.some((t) => !received.has(t)) && Date.now() < deadline) await sleep(100);
        const lost = acknowledged.filter((t) => !received.has(t));
        expect(lost, `${lost.length} of ${acknowledged.length} acknowledged pings never arrived`).toEqual([]);
      } finally {
        const exited = new Promise((resolve) => second.child.once('exit', resolve));
        second.child.kill('SIGTERM');
        await exited;
      }
    }, 90_000);
  });
}
