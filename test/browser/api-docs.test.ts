import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/app.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';
import { chromiumSkipReason, launchChromium } from './chromium.js';

/**
 * The API reference page at /docs, as a person uses it: it renders every face's operations
 * from the served document, with assets from this server only, and "Try it out" calls the API.
 */
const sqlite = storeFactories().find((f) => f.name === 'sqlite')!;

describe.skipIf(chromiumSkipReason !== null || sqlite.skipReason !== null)('/docs in Chromium', () => {
  let store: TestStore;
  let drop: (() => Promise<void>) | undefined;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    ({ store, drop } = await sqlite.create());
    await store.migrate();
    app = await buildTestApp(store);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    await drop?.();
  });

  it('renders the operations of every face from this server alone, and runs one with "Try it out"', async () => {
    const page = await browser.newPage();
    const foreign: string[] = [];
    const failed: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(base) && !request.url().startsWith('data:')) foreign.push(request.url());
    });
    page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });

    await page.goto(`${base}/docs`);
    await page.waitForSelector('.opblock-tag', { timeout: 20_000 });
    const tags = await page.locator('.opblock-tag').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-tag')));
    for (const tag of ['controller', 'version', 'flow_sensors', 'monitoring', 'ingest']) expect(tags).toContain(tag);
    await expect.poll(() => page.locator('.opblock-summary-path').allInnerTexts()).toEqual(
      expect.arrayContaining(['/controller/list/', '/controller/current-readings/{serial}', '/api/v1/flow_sensors/{id}/pings/']),
    );

    // GET /version needs no credentials: try it from the page.
    const version = page.locator('.opblock', { has: page.locator('.opblock-summary-path', { hasText: /^\/version$/ }) });
    await version.locator('.opblock-summary').click();
    await version.getByRole('button', { name: 'Try it out' }).click();
    await version.getByRole('button', { name: 'Execute' }).click();
    const body = version.locator('.responses-wrapper .live-responses-table .response-col_description pre').first();
    await expect.poll(async () => body.innerText(), { timeout: 10_000 }).toContain('"api-version": "1.0.0"');

    expect(foreign, 'requests that left this server').toEqual([]);
    expect(failed).toEqual([]);
    await page.close();
  }, 60_000);
});
