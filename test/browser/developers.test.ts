import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Locator } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe } from 'vitest';
import { newSecretKey, parseSecretKey, secretBox } from '../../src/domain/secret-box.js';
import { systemClock } from '../../src/domain/time.js';
import { allowedNetworks } from '../../src/webhooks/destination.js';
import { startDeliveryWorker, type DeliveryWorker } from '../../src/webhooks/worker.js';
import { accessibilityViolations, browserSkipReason, closeBrowser, expect, screenshot, signInContext, startServer, test } from './fixtures.js';

/**
 * The developers page in Chromium against a real receiver on 127.0.0.1: add a FlowCommand
 * endpoint, read its secret once, send a test event, see it delivered in the log, re-send it
 * (same webhook-id); a Fluent subscription created, tested and renewed; disable, rotate and
 * delete with confirmation. The server's app runs no delivery worker (buildTestApp): the test
 * starts one on the same store with the same SECRET_KEY, as `serve` does in each process.
 */

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

async function startReceiver(): Promise<{ hits: Hit[]; url(path: string): string; close(): Promise<void> }> {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      hits.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    hits,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const standardHeaders = (hit: Hit) => ({
  'webhook-id': String(hit.headers['webhook-id']),
  'webhook-timestamp': String(hit.headers['webhook-timestamp']),
  'webhook-signature': String(hit.headers['webhook-signature']),
});

/** The delivery log's first row (newest) once it reads `status`. */
async function newestDelivery(card: Locator, status: string): Promise<{ id: string; row: Locator }> {
  const row = card.getByRole('table').getByRole('row').nth(1);
  await expect.poll(async () => (await row.isVisible()) && ((await row.textContent()) ?? '').includes(status), { timeout: 15_000 }).toBe(true);
  return { id: ((await row.getByRole('cell').first().textContent()) ?? '').trim(), row };
}

describe.skipIf(browserSkipReason !== null)('Developers page in Chromium', () => {
  const key = newSecretKey();
  let server: Awaited<ReturnType<typeof startServer>>;
  let worker: DeliveryWorker;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    server = await startServer({ WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8,::1', SECRET_KEY: key });
    worker = startDeliveryWorker({
      store: server.store,
      secrets: secretBox(parseSecretKey(key)),
      allowed: allowedNetworks('127.0.0.0/8,::1'),
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      pollMs: 50,
    });
    receiver = await startReceiver();
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await receiver?.close();
    await server?.close();
    await closeBrowser();
  });

  test('a FlowCommand endpoint: a private URL refused; add, secret once, test event delivered and in the log, re-send, disable, rotate, delete', async ({ page, context, allowConsoleErrors }) => {
    await signInContext(context, server, server.a.admin);
    await page.goto(`${server.base}/app/developers`);
    await page.getByRole('heading', { level: 1, name: 'Developers' }).waitFor();
    await page.getByRole('heading', { name: 'No webhook endpoints yet' }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'developers-empty');

    const form = page.getByRole('form', { name: 'Add a webhook endpoint' });
    // A private address is refused with the server's reason, in the form.
    allowConsoleErrors('400');
    await form.getByLabel('Endpoint URL').fill('http://10.1.2.3/hook');
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await form.getByRole('alert').getByText(/10\.1\.2\.3/).waitFor();

    const url = receiver.url('/flowcommand');
    await form.getByLabel('Endpoint URL').fill(url);
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    const card = page.getByRole('article', { name: url });
    const secretBox_ = card.getByLabel(/Signing secret of endpoint/);
    await secretBox_.waitFor();
    const secret = await secretBox_.inputValue();
    expect(secret).toMatch(/^whsec_/);

    await card.getByRole('button', { name: 'Send test event' }).click();
    await expect.poll(() => receiver.hits.filter((h) => h.path === '/flowcommand').length, { timeout: 15_000 }).toBe(1);
    const first = receiver.hits.find((h) => h.path === '/flowcommand')!;
    expect(first.headers['fc-signature']).toBe(secret);
    expect(new Webhook(secret).verify(first.body, standardHeaders(first))).toMatchObject({ type: 'test', api_version: '1', test: true });
    const { id, row } = await newestDelivery(card, 'delivered');
    expect(await row.textContent()).toContain('test');
    expect(await row.textContent()).toContain('200');
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'developers-flowcommand');

    await card.getByRole('button', { name: `Re-send delivery ${id}` }).click();
    await expect.poll(() => receiver.hits.filter((h) => h.path === '/flowcommand').length, { timeout: 15_000 }).toBe(2);
    expect(receiver.hits.filter((h) => h.path === '/flowcommand')[1]!.headers['webhook-id']).toBe(first.headers['webhook-id']);

    // Disable: the badge says so and the test button waits; enable again.
    await card.getByRole('button', { name: 'Disable' }).click();
    await card.getByText('Disabled', { exact: true }).waitFor();
    expect(await card.getByRole('button', { name: 'Send test event' }).isDisabled()).toBe(true);
    await card.getByRole('button', { name: 'Enable' }).click();
    await card.getByText('Enabled', { exact: true }).waitFor();

    // Rotate, confirmed: a new secret shown once, and the next test event carries it.
    await card.getByRole('button', { name: 'Rotate secret' }).click();
    await card.getByRole('button', { name: 'Rotate the secret' }).click();
    const rotated = card.getByLabel(/New signing secret of endpoint/);
    await rotated.waitFor();
    const newSecret = await rotated.inputValue();
    expect(newSecret).not.toBe(secret);
    await card.getByRole('button', { name: 'Send test event' }).click();
    await expect.poll(() => receiver.hits.filter((h) => h.path === '/flowcommand').length, { timeout: 15_000 }).toBe(3);
    expect(receiver.hits.filter((h) => h.path === '/flowcommand')[2]!.headers['fc-signature']).toBe(newSecret);

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'developers-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    // Delete, confirmed from the keyboard: the confirmation takes the focus; Escape cancels it.
    await card.getByRole('button', { name: 'Delete endpoint' }).click();
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Yes, delete endpoint');
    await page.keyboard.press('Escape');
    await card.getByRole('alertdialog').waitFor({ state: 'detached' });
    await card.getByRole('button', { name: 'Delete endpoint' }).click();
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Yes, delete endpoint');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'No webhook endpoints yet' }).waitFor();
    const list = await fetch(`${server.base}/api/v1/webhooks/`, { headers: { authorization: `Token ${server.a.admin.token}` } });
    expect(((await list.json()) as { count: number }).count).toBe(0);
  }, 120_000);

  test('a Fluent subscription: create, secret once, test event delivered and in the log, re-send, a real reading pushed, renew shows the new expiry', async ({ page, context }) => {
    await signInContext(context, server, server.a.user);
    await page.goto(`${server.base}/app/developers`);
    await page.getByRole('heading', { name: 'No subscriptions yet' }).waitFor();
    const url = receiver.url('/fluent');
    const form = page.getByRole('form', { name: 'Create a subscription' });
    await form.getByLabel('Callback URL').fill(url);
    await form.getByLabel('Alarms (raised and cleared)').uncheck();
    await form.getByRole('button', { name: 'Create subscription' }).click();
    const card = page.getByRole('article', { name: url });
    const secretField = card.getByLabel(/Signing secret of subscription/);
    await secretField.waitFor();
    const secret = await secretField.inputValue();
    expect(await card.getByText('data-change', { exact: true }).isVisible()).toBe(true);

    await card.getByRole('button', { name: 'Send test event' }).click();
    await expect.poll(() => receiver.hits.filter((h) => h.path === '/fluent').length, { timeout: 15_000 }).toBe(1);
    const hit = receiver.hits.find((h) => h.path === '/fluent')!;
    expect(hit.headers['fc-signature']).toBeUndefined();
    expect(new Webhook(secret).verify(hit.body, standardHeaders(hit))).toMatchObject({ 'event-type': 'test', test: true });
    const { id } = await newestDelivery(card, 'delivered');
    await card.getByRole('button', { name: `Re-send delivery ${id}` }).click();
    await expect.poll(() => receiver.hits.filter((h) => h.path === '/fluent').length, { timeout: 15_000 }).toBe(2);

    // A real reading of the customer's controller, through the ingest API: a data-change event in the log.
    const ingest = await fetch(`${server.base}/ingest/v1/readings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.a.ingestKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ readings: [{ channel: 'S11', time: new Date().toISOString(), value: 1234 }] }),
    });
    expect(ingest.status).toBe(200);
    await expect.poll(() => receiver.hits.filter((h) => h.path === '/fluent').length, { timeout: 15_000 }).toBe(3);
    const change = receiver.hits.filter((h) => h.path === '/fluent')[2]!;
    expect(new Webhook(secret).verify(change.body, standardHeaders(change))).toMatchObject({ 'event-type': 'data-change', 'serial-number': server.a.controller.serialNumber });
    await expect.poll(async () => (await card.getByRole('table').getByRole('row').nth(1).textContent()) ?? '', { timeout: 15_000 }).toContain('data-change');

    await card.getByRole('button', { name: 'Renew' }).click();
    await card.getByText(/Renewed: it now expires/).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'developers-fluent');

    await card.getByRole('button', { name: 'Cancel subscription' }).click();
    await card.getByRole('button', { name: 'Yes, cancel subscription' }).click();
    await page.getByRole('heading', { name: 'No subscriptions yet' }).waitFor();
  }, 120_000);
});
