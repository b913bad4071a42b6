import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { registerFlowSensor } from '../../src/domain/flow-sensors.js';
import { createAccount, issueApiToken } from '../../src/domain/accounts.js';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import { systemClock } from '../../src/domain/time.js';
import { digestSecret, newIngestKey } from '../../src/domain/secrets.js';
import { accessibilityViolations, browserSkipReason, closeBrowser, expect, screenshot, signInContext, startServer, test, type FlowlineServer } from './fixtures.js';

/**
 * What technicians look at: the dashboard, a controller's charts (range, zoom), a flow
 * sensor's volumes (equal to the FlowCommand API's), the alarm history; tenant isolation,
 * axe-core and a phone viewport on each page. Readings arrive the way devices send them,
 * through POST /ingest/v1/readings with the controller's ingest key.
 */
const HOUR = 3_600_000;
const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

// Each test drives several pages with axe and screenshots on a shared 2-core machine.
describe.skipIf(browserSkipReason !== null)('dashboard pages in Chromium', { timeout: 90_000 }, () => {
  let server: FlowlineServer & { close(): Promise<void> };
  let sensorId: number;
  const now = Date.now();

  async function ingest(key: string, body: unknown): Promise<void> {
    const res = await fetch(`${server.base}/ingest/v1/readings`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  }

  /** A call to the API as customer A's user (arrange and assert through the API). */
  async function apiGet<T>(path: string): Promise<T> {
    const res = await fetch(`${server.base}${path}`, { headers: { authorization: `Token ${server.a.user.token}` } });
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  }

  beforeAll(async () => {
    server = await startServer();
    const { a, b } = server;
    // A day and a bit of conductivity every 10 minutes, the last one 2 minutes ago: 1234.5 µS/cm.
    const readings = [];
    for (let t = now - 26 * HOUR; t < now - 2 * 60_000; t += 10 * 60_000) readings.push({ channel: 'S11', time: new Date(t).toISOString(), value: 1000 + Math.round(100 * Math.sin(t / HOUR)) });
    readings.push({ channel: 'S11', time: new Date(now - 2 * 60_000).toISOString(), value: 1234.5 });
    // Six hours every 5 minutes on Jan 1, 2026 (00:00–06:00 CST), for a short custom range: 1-minute buckets, most empty.
    for (let t = Date.parse('2026-01-01T06:00:00Z'); t <= Date.parse('2026-01-01T12:00:00Z'); t += 5 * 60_000) readings.push({ channel: 'S11', time: new Date(t).toISOString(), value: 900 + (t / 60_000) % 50 });
    readings.push({ channel: 'R1', time: new Date(now - 2 * 60_000).toISOString(), value: 1 });
    await ingest(a.ingestKey, {
      readings,
      alarms: [
        { event: 'raise', code: 7, severity: 'critical', message: 'Conductivity high', channel: 'S11', time: new Date(now - 3 * HOUR).toISOString() },
        { event: 'raise', code: 8, severity: 'info', message: 'Bleed valve serviced', time: new Date(now - 5 * HOUR).toISOString() },
        { event: 'clear', code: 8, time: new Date(now - 4 * HOUR).toISOString() },
      ],
    });
    await ingest(b.ingestKey, { readings: [{ channel: 'S11', time: new Date(now - 60_000).toISOString(), value: 777 }] });
    // A flow sensor as FlowCommand knows one (model flow_sensor, flowrate S1 in bbl/day), pinging every 5 minutes.
    const key = newIngestKey();
    const sensor = await registerFlowSensor(server.store, PLATFORM_SCOPE, { facilityId: a.facility.id, serialNumber: '2900000001', name: 'Acme Water Inlet Meter', ingestKeyHash: digestSecret(key) });
    sensorId = sensor.controller.id;
    const pings = [];
    for (let t = now - 30 * HOUR; t < now; t += 5 * 60_000) pings.push({ channel: 'S1', time: new Date(t).toISOString(), value: 1200 + 240 * Math.cos(t / (3 * HOUR)) });
    await ingest(key, { readings: pings });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await closeBrowser();
  });

  const signInAs = (context: BrowserContext, person: { email: string; password: string }) => signInContext(context, server, person);
  const signIn = (context: BrowserContext, who: 'a' | 'b' = 'a') => signInAs(context, server[who].user);

  /** Opaque pixels of the average line's colour (#0b5cad) on a chart's canvas: > 0 when a line was drawn. */
  async function linePixels(page: Page, name: RegExp): Promise<number> {
    return page
      .getByRole('img', { name })
      .locator('canvas')
      .evaluate((element) => {
        // The node tsconfig has no DOM types: the canvas's shape, as far as this reads it.
        const canvas = element as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i + 3]! > 200 && data[i + 2]! > 140 && data[i]! < 60) n++;
        return n;
      });
  }

  async function checkPage(page: Page, name: string): Promise<void> {
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, name);
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, `${name}-phone`);
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  test("the dashboard lists customer A's controller and flow sensor with latest values, active alarms first", async ({ page, context }) => {
    await signIn(context);
    await page.goto(`${server.base}/app/`);
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    const alarms = page.getByRole('region', { name: /Active alarms/ });
    await alarms.getByText('Conductivity high').waitFor();
    expect(await alarms.getByText('Bleed valve serviced').count()).toBe(0);
    await page.getByRole('heading', { level: 2, name: server.a.facility.name }).waitFor();
    const card = page.getByRole('article', { name: 'Acme Water Tower Controller' });
    await card.getByText('Online').waitFor();
    await expect.poll(() => card.getByRole('row', { name: /Conductivity/ }).textContent()).toContain('1,234.5 µS/cm');
    // A relay without a unit is on or off, not 1 or 0.
    expect(await card.getByRole('row', { name: /Bleed/ }).textContent()).toMatch(/Bleed\s*R1\s*On/);
    const meter = page.getByRole('article', { name: 'Acme Water Inlet Meter' });
    await meter.getByText(/bbl\/day/).first().waitFor();
    expect(await meter.getByRole('link', { name: 'Acme Water Inlet Meter' }).getAttribute('href')).toBe(`/app/flow-sensors/${sensorId}`);
    // Nothing of customer B.
    expect(await page.getByText('Borealis').count()).toBe(0);
    // Alarms come before the facilities.
    const order = await page.locator('h2').allTextContents();
    expect(order[0]).toMatch(/^Active alarms/);
    await checkPage(page, 'dashboard');

    // A new reading shows up without a reload (the page polls every 15 s).
    await ingest(server.a.ingestKey, { readings: [{ channel: 'S11', time: new Date().toISOString(), value: 1500 }] });
    await expect.poll(() => card.getByRole('row', { name: /Conductivity/ }).textContent(), { timeout: 40_000, interval: 500 }).toContain('1,500.0 µS/cm');
  });

  test('the controller page draws a chart per channel, changes range and zooms by dragging', async ({ page, context }) => {
    await signIn(context);
    const warnings: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text());
    });
    await page.goto(`${server.base}/app/controllers/${server.a.controller.id}`);
    await page.getByRole('heading', { level: 1, name: 'Acme Water Tower Controller' }).waitFor();
    const chart = page.getByRole('img', { name: /^Conductivity, past 24 hours: latest 1,(234\.5|500\.0) µS\/cm, average/ });
    await chart.waitFor();
    await page.waitForFunction(() => performance.getEntriesByName('flowline:chart-drawn').length > 0);
    // A lazy page on a first load has its fallback (React Router warns otherwise).
    expect(warnings.filter((w) => w.includes('HydrateFallback'))).toEqual([]);
    await checkPage(page, 'controller');

    // Range buttons keep the choice in the URL.
    await page.getByRole('button', { name: '7 days', exact: true }).click();
    await page.waitForURL(/range=7d/);
    await page.getByRole('img', { name: /^Conductivity, past 7 days:/ }).waitFor();
    expect(await page.getByRole('button', { name: '7 days', exact: true }).getAttribute('aria-pressed')).toBe('true');

    // Custom range: labelled inputs in the facility's zone.
    await page.getByRole('button', { name: '24 hours', exact: true }).click();
    await page.waitForURL(/range=24h/);
    await page.getByRole('img', { name: /^Conductivity, past 24 hours/ }).waitFor();
    const shown = page.getByTestId('shown-range');
    const before = await shown.textContent();

    // Drag across the middle of the conductivity chart: the range narrows and a reset appears.
    const plot = page.getByRole('img', { name: /^Conductivity, past 24 hours/ }).locator('.u-over');
    const box = (await plot.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.getByRole('button', { name: 'Reset zoom' }).waitFor();
    await expect.poll(() => shown.textContent()).not.toBe(before);
    // A zoom is a past span: the name says its last reading, not the channel's live value.
    await page.getByRole('img', { name: /^Conductivity, .* to .*: last in range [\d,.]+ µS\/cm at .* C[SD]T, average/ }).waitFor();
    // 1-minute buckets for readings every 10 minutes: the line is joined across the empty buckets.
    await expect.poll(() => linePixels(page, /^Conductivity, .* to .*: /)).toBeGreaterThan(200);
    await page.getByRole('button', { name: 'Reset zoom' }).click();
    await expect.poll(() => shown.textContent()).toBe(before);

    await page.getByLabel(/^From/).fill('2026-01-01T00:00');
    await page.getByLabel(/^To/).fill('2026-01-01T06:00');
    await page.getByRole('button', { name: 'Show custom range' }).click();
    await page.waitForURL(/range=custom&from=2026-01-01T06%3A00%3A00.000Z&to=2026-01-01T12%3A00%3A00.000Z/);
    const custom = /^Conductivity, Jan 1, 2026, 12:00\sAM CST to Jan 1, 2026, 6:00\sAM CST: last in range [\d,.]+ µS\/cm at Jan 1, 2026, \d+:\d\d\sAM CST, average/;
    await page.getByRole('img', { name: custom }).waitFor();
    // Readings every 5 minutes in 1-minute buckets: drawn as a line, not as nothing.
    await expect.poll(() => linePixels(page, custom)).toBeGreaterThan(200);
  });

  test("a flow sensor's volume bars and table equal the FlowCommand API's figures", async ({ page, context }) => {
    await signIn(context);
    await page.goto(`${server.base}/app/flow-sensors/${sensorId}`);
    await page.getByRole('heading', { level: 1, name: 'Acme Water Inlet Meter' }).waitFor();
    await page.getByRole('img', { name: /^Hourly volume in barrels/ }).waitFor();
    // The range ends now (never in the future): the current hour so far and the 23 before it.
    const times = page.getByTestId('volume-range').locator('time');
    const from = Date.parse((await times.nth(0).getAttribute('datetime'))!);
    const to = Date.parse((await times.nth(1).getAttribute('datetime'))!);
    expect(to).toBeLessThanOrEqual(Date.now());
    expect(to - from).toBeGreaterThan(23 * HOUR);
    expect(to - from).toBeLessThanOrEqual(24 * HOUR);
    const base = `/api/v1/flow_sensors/${sensorId}`;
    const total = await apiGet<{ flow_volume: number }>(`${base}/flow_volume/${isoSeconds(from)}/${isoSeconds(to)}/`);
    const hours = await apiGet<{ results: { flow_volume: number; start: string }[] }>(`${base}/flow_volume_hours/${isoSeconds(from)}/${isoSeconds(to)}/`);
    expect(hours.results).toHaveLength(24);

    await expect.poll(() => page.getByTestId('total-volume').textContent()).toBe(`${numberFormat.format(total.flow_volume)} bbl`);
    await page.getByRole('button', { name: 'Show table' }).click();
    const table = page.getByRole('table', { name: /Hourly volume/ });
    const cells = await table.locator('tbody td').allTextContents();
    expect(await table.locator('tbody th').last().textContent()).toMatch(/\(so far\)$/);
    expect(await table.locator('tbody th').filter({ hasText: 'so far' }).count()).toBe(1);
    const expected = [...hours.results].sort((x, y) => Date.parse(x.start) - Date.parse(y.start)).map((h) => numberFormat.format(h.flow_volume));
    expect(cells).toEqual(expected);
    expect(await table.locator('tfoot td').textContent()).toBe(numberFormat.format(total.flow_volume));
    await checkPage(page, 'flow-sensor');

    // Over 3 days the page adds daily bars, each day's figure the API's flow_volume for that day.
    await page.getByRole('button', { name: '7 days', exact: true }).click();
    await page.getByRole('img', { name: /^Daily volume in barrels/ }).waitFor();
    const daily = page.getByRole('table', { name: /Daily volume/ });
    await expect.poll(() => daily.locator('tbody tr').count()).toBe(7);
    const dailyCells = await daily.locator('tbody td').allTextContents();
    const dailySum = dailyCells.reduce((sum, text) => sum + Number(text.replaceAll(',', '')), 0);
    const weekTotal = Number((await daily.locator('tfoot td').textContent())!.replaceAll(',', ''));
    expect(Math.abs(dailySum - weekTotal)).toBeLessThan(0.05);
    expect(await daily.locator('tbody th').last().textContent()).toMatch(/\(so far\)$/);
    // Days are summed from the hourly answer: today's figure is the API's flow_volume from local midnight to now.
    const weekTimes = page.getByTestId('volume-range').locator('time');
    const weekEnd = Date.parse((await weekTimes.nth(1).getAttribute('datetime'))!);
    const [hh, mm] = new Date(weekEnd).toLocaleString('en-US', { timeZone: 'America/Chicago', hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }).split(':').map(Number);
    const todayStart = weekEnd - (hh! * 60 + mm!) * 60_000;
    const today = await apiGet<{ flow_volume: number }>(`${base}/flow_volume/${isoSeconds(todayStart)}/${isoSeconds(weekEnd)}/`);
    expect(await daily.locator('tbody td').last().textContent()).toBe(numberFormat.format(today.flow_volume));
  });

  test('signing in on the page moves the focus to the main heading of the page reached', async ({ page, allowConsoleErrors }) => {
    allowConsoleErrors('401'); // GET /session before signing in
    await page.goto(`${server.base}/app/sign-in?next=${encodeURIComponent('/app/alarms')}`);
    await page.getByLabel('E-mail address').fill(server.a.user.email);
    await page.getByLabel('Password').fill(server.a.user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Alarms' }).waitFor();
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.tagName + " " + document.activeElement.textContent')).toBe('H1 Alarms');
  });

  test('the alarm history filters by severity, active and controller', async ({ page, context }) => {
    await signIn(context);
    await page.goto(`${server.base}/app/alarms`);
    await page.getByRole('heading', { level: 1, name: 'Alarms' }).waitFor();
    const rows = page.getByRole('table', { name: /Alarms/ }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    // Newest first, in the facility's zone (America/Chicago: CST/CDT).
    expect(await rows.nth(0).textContent()).toContain('Conductivity high');
    expect(await rows.nth(0).textContent()).toMatch(/C[SD]T/);
    await checkPage(page, 'alarms');

    await page.getByLabel('Severity').selectOption('info');
    await page.waitForURL(/severity=info/);
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.nth(0).textContent()).toContain('Bleed valve serviced');
    await page.getByLabel('Active only').check();
    await page.getByText('No alarms match these filters.').waitFor();
    await page.getByLabel('Severity').selectOption('');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.nth(0).textContent()).toContain('Conductivity high');
    await page.getByLabel('Controller').selectOption({ label: 'Acme Water Inlet Meter' });
    await page.getByText('No alarms match these filters.').waitFor();
  });

  test('a controller that never sent data shows an empty state (admins get the link to its key), and an unnamed channel its number once', async ({ page, context }) => {
    const { a } = server;
    const silent = await server.store.createController(PLATFORM_SCOPE, { facilityId: a.facility.id, serialNumber: '9100000001', model: 'W900', name: 'Acme Silent Controller', ingestKeyHash: digestSecret(newIngestKey()) });
    const process = await server.store.createProcess(PLATFORM_SCOPE, { controllerId: silent.id, name: 'Boiler' });
    await server.store.createChannel(PLATFORM_SCOPE, { controllerId: silent.id, processId: process.id, number: 'S12', name: 'S12', kind: 'input', type: 'ph', unit: 'pH' });
    await signInAs(context, a.admin);
    await page.goto(`${server.base}/app/controllers/${silent.id}`);
    const empty = page.getByRole('region', { name: 'No readings yet' });
    await empty.getByText(/the device sends them with its ingest key/).waitFor();
    expect(await empty.getByRole('link').getAttribute('href')).toBe(`/app/admin/controllers/${silent.id}`);
    expect(await page.locator('canvas').count()).toBe(0);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'controller-never-seen');
    await page.goto(`${server.base}/app/`);
    const card = page.getByRole('article', { name: 'Acme Silent Controller' });
    await card.getByText('S12').first().waitFor();
    expect(await card.getByText('S12 S12').count()).toBe(0);
    expect(await card.textContent()).not.toMatch(/S12\s*S12/);
  });

  test("a user of customer A opening customer B's controller or sensor URL sees Not found", async ({ page, context, allowConsoleErrors }) => {
    allowConsoleErrors('404');
    await signIn(context);
    await page.goto(`${server.base}/app/controllers/${server.b.controller.id}`);
    await page.getByRole('heading', { level: 1, name: 'Not found' }).waitFor();
    expect(await page.getByText('Borealis').count()).toBe(0);
    await page.goto(`${server.base}/app/controllers/99999999`);
    await page.getByRole('heading', { level: 1, name: 'Not found' }).waitFor();
    await page.goto(`${server.base}/app/flow-sensors/${server.b.controller.id}`);
    await page.getByRole('heading', { level: 1, name: 'Not found' }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  test('a customer without controllers is told what to do next: admins get the admin link, users ask their admin', async ({ page, context }) => {
    const customer = await server.store.createCustomer(PLATFORM_SCOPE, 'Cirrus Fresh');
    const person = async (role: 'admin' | 'user') => {
      const password = `cirrus-${role}-password`;
      const user = await createAccount(server.store, PLATFORM_SCOPE, { customerId: customer.id, email: `${role}@cirrus.example`, name: `Cirrus ${role}`, role, password });
      return { email: user.email, password, token: (await issueApiToken(server.store, user.id, systemClock)).token };
    };
    const admin = await person('admin');
    const user = await person('user');
    await signInAs(context, admin);
    await page.goto(`${server.base}/app/`);
    const empty = page.getByRole('region', { name: 'No controllers yet' });
    await empty.waitFor();
    expect(await empty.getByRole('link', { name: 'Admin' }).getAttribute('href')).toBe('/app/admin');
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'dashboard-empty-admin');

    const other = await context.browser()!.newContext();
    try {
      await signInAs(other, user);
      const userPage = await other.newPage();
      await userPage.goto(`${server.base}/app/`);
      await userPage.getByRole('region', { name: 'No controllers yet' }).getByText(/Ask your administrator/).waitFor();
      expect(await userPage.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    } finally {
      await other.close();
    }
  });
});
