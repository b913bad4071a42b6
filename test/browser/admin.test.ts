import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { createAccount } from '../../src/domain/accounts.js';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import type { Customer } from '../../src/domain/types.js';
import axe from 'axe-core';
import { browserSkipReason, closeBrowser, expect, screenshot, signInContext, startServer, test, type FlowlineServer } from './fixtures.js';

/**
 * axe-core's serious and critical violations. The fixture's accessibilityViolations injects a
 * <script> tag, which the app's CSP (script-src 'self') blocks; evaluating the source is not.
 */
async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  const results = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as axe.AxeResults;
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

/**
 * Admin (/app/admin) as its people use it: a customer admin manages users, API clients,
 * sites, controllers and ingest keys; a platform operator sees every customer; a plain user
 * sees none of it. Arranged and checked through the API; acted through the page.
 */
// Long flows through several pages, on a machine that may be busy.
describe.skipIf(browserSkipReason !== null)('Admin in Chromium', { timeout: 120_000 }, () => {
  let server: FlowlineServer & { close(): Promise<void> };
  const operator = { email: 'ops@flowline.example', password: 'operator-password' };
  const fresh = { email: 'admin@cascade.example', password: 'cascade-admin-password' };
  let cascade: Customer;

  beforeAll(async () => {
    server = await startServer();
    await createAccount(server.store, PLATFORM_SCOPE, { customerId: null, operator: true, email: operator.email, name: 'Platform Operator', role: 'admin', password: operator.password });
    cascade = await server.store.createCustomer(PLATFORM_SCOPE, 'Cascade Springs');
    await createAccount(server.store, PLATFORM_SCOPE, { customerId: cascade.id, email: fresh.email, name: 'Cascade admin', role: 'admin', password: fresh.password });
  }, 60_000);

  afterAll(async () => {
    await closeBrowser();
    await server?.close();
  });

  /** A call to Flowline's own API with a person's token (A's admin unless told). */
  async function apiCall(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
    const { token = server.a.admin.token, ...rest } = init;
    return fetch(`${server.base}${path}`, {
      ...rest,
      headers: { authorization: `Token ${token}`, ...(rest.body ? { 'content-type': 'application/json' } : {}), ...(rest.headers ?? {}) },
    });
  }

  async function usersOfA(): Promise<Array<{ email: string; role: string; disabled: boolean }>> {
    return ((await (await apiCall('/api/flowline/v1/users')).json()) as { users: Array<{ email: string; role: string; disabled: boolean }> }).users;
  }

  async function ingest(key: string, channel: string): Promise<number> {
    const res = await fetch(`${server.base}/ingest/v1/readings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ readings: [{ channel, time: new Date(Date.now() - Math.floor(Math.random() * 3_600_000)).toISOString(), value: 1234.5 }] }),
    });
    return res.status;
  }

  /** axe-core finds nothing serious, a screenshot is kept, and at a phone's width the page does not scroll sideways. */
  async function checkPage(page: Page, name: string): Promise<void> {
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, `admin-${name}`);
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, `admin-${name}-phone`);
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  test('an admin invites a user (the link is shown), changes their role and disables them; a reset link for another user', async ({ page, context }) => {
    await signInContext(context, server, server.a.admin);
    await page.goto(`${server.base}/app/admin/users`);
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await checkPage(page, 'users');

    // One cannot change one's own role nor disable oneself: the controls say so.
    const me = page.getByRole('row', { name: /Acme Water admin/ });
    await expect.poll(() => me.getByRole('button', { name: 'Disable' }).isDisabled()).toBe(true);
    expect(await me.getByRole('combobox').isDisabled()).toBe(true);
    await me.getByText('You cannot change your own role or disable yourself').waitFor();

    await page.getByLabel('Name', { exact: true }).fill('Nina New');
    await page.getByLabel('E-mail', { exact: true }).fill('nina@acme-water.example');
    await page.getByRole('button', { name: 'Invite' }).click();
    const link = page.getByLabel('Set-password link (invitation)');
    await expect.poll(() => link.inputValue()).toMatch(/\/app\/set-password#token=flpw_/);
    await page.getByText('pass this link on to nina@acme-water.example').waitFor();
    await screenshot(page, 'admin-users-invited');
    expect((await usersOfA()).find((u) => u.email === 'nina@acme-water.example')).toMatchObject({ role: 'user', disabled: false });

    const nina = page.getByRole('row', { name: /Nina New/ });
    await nina.getByRole('combobox', { name: 'Role of Nina New' }).selectOption('admin');
    await page.getByText('Nina New is now an admin.').waitFor();
    await expect.poll(async () => (await usersOfA()).find((u) => u.email === 'nina@acme-water.example')?.role).toBe('admin');

    await nina.getByRole('button', { name: 'Disable' }).click();
    const dialog = page.getByRole('dialog', { name: 'Disable Nina New?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Disable Nina New' }).click();
    await nina.getByText('Disabled', { exact: true }).waitFor();
    await expect.poll(async () => (await usersOfA()).find((u) => u.email === 'nina@acme-water.example')?.disabled).toBe(true);

    await page.getByRole('row', { name: /Acme Water user/ }).getByRole('button', { name: 'Reset password' }).click();
    await expect.poll(() => page.getByLabel('Set-password link (password reset)').inputValue()).toMatch(/#token=flpw_/);
  });

  test('an admin creates an API client whose secret works at POST /oauth/token, then deletes it', async ({ page, context }) => {
    await signInContext(context, server, server.a.admin);
    await page.goto(`${server.base}/app/admin/api-clients`);
    await page.getByRole('heading', { level: 1, name: 'API clients' }).waitFor();
    await page.getByLabel('Client name').fill('SCADA export');
    await page.getByRole('button', { name: 'Create API client' }).click();
    const secretBox = page.getByLabel('Client secret');
    await secretBox.waitFor();
    const clientId = await page.getByLabel('Client ID').inputValue();
    const secret = await secretBox.inputValue();
    expect(await page.getByLabel('Get a token (curl)').inputValue()).toContain(`/oauth/token -d grant_type=client_credentials -d client_id=${clientId} -d client_secret=${secret}`);
    await checkPage(page, 'api-clients');

    const exchange = () =>
      fetch(`${server.base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }) });
    const res = await exchange();
    expect(res.status).toBe(200);
    const { access_token: accessToken } = (await res.json()) as { access_token: string };
    const facilities = await fetch(`${server.base}/api/flowline/v1/facilities`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(facilities.status).toBe(200);

    const row = page.getByRole('row', { name: /SCADA export/ });
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete SCADA export' }).click();
    await page.getByText('API client “SCADA export” deleted').waitFor();
    await expect.poll(() => row.count()).toBe(0);
    expect((await exchange()).status).toBe(401);
  });

  test('an admin registers a controller with two channels, its ingest key is accepted, rotates and revokes keys', async ({ page, context }) => {
    await signInContext(context, server, server.a.admin);
    await page.goto(`${server.base}/app/admin/sites`);
    await page.getByRole('heading', { level: 1, name: 'Sites' }).waitFor();
    await page.getByRole('heading', { name: 'Acme Water Plant' }).waitFor();

    // A facility with its IANA time zone.
    await page.getByLabel('Facility name').fill('North Yard');
    await page.getByLabel('Time zone').fill('Europe/Berlin');
    await page.getByRole('button', { name: 'Add facility' }).click();
    await page.getByRole('heading', { name: 'North Yard' }).waitFor();

    const form = page.getByRole('region', { name: 'Register a controller or flow sensor' });
    await form.getByLabel('Facility').selectOption({ label: 'Acme Water Plant' });
    await form.getByLabel('Serial number').fill('AC-T-2');
    await form.getByLabel('Model').fill('W900');
    await form.getByLabel('Controller name').fill('Tower 2 Controller');
    await form.getByLabel('Processes').fill('Cooling Tower 2');
    await form.getByRole('button', { name: 'Add channel' }).click();
    await form.getByLabel('Channel 1 number').fill('S11');
    await form.getByLabel('Channel 1 name').fill('Conductivity');
    await form.getByLabel('Channel 1 type').fill('conductivity');
    await form.getByLabel('Channel 1 unit').fill('µS/cm');
    await form.getByLabel('Channel 1 process').selectOption('Cooling Tower 2');
    await form.getByRole('button', { name: 'Add channel' }).click();
    await form.getByLabel('Channel 2 number').fill('R1');
    await form.getByLabel('Channel 2 name').fill('Bleed');
    await form.getByLabel('Channel 2 type').fill('relay');
    await form.getByLabel('Channel 2 kind').selectOption('output');
    await form.getByLabel('Channel 2 process').selectOption('Cooling Tower 2');
    await screenshot(page, 'admin-sites-register-form');
    await form.getByRole('button', { name: 'Register', exact: true }).click();

    const keyBox = page.getByLabel('Ingest key', { exact: true });
    await keyBox.waitFor();
    const firstKey = await keyBox.inputValue();
    expect(firstKey).toMatch(/^flik_/);
    await page.getByText('2 channels in 1 process.').waitFor();
    expect(await ingest(firstKey, 'S11')).toBe(200);
    await page.getByRole('link', { name: 'Tower 2 Controller' }).first().waitFor();
    await checkPage(page, 'sites');

    await page.getByRole('link', { name: 'Manage Tower 2 Controller' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tower 2 Controller' }).waitFor();
    const channels = page.getByRole('region', { name: 'Processes and channels' });
    await channels.getByRole('row', { name: /S11 Conductivity/ }).waitFor();
    await channels.getByRole('row', { name: /R1 Bleed output relay/ }).waitFor();

    // One more channel, in the process.
    await channels.getByLabel('Number', { exact: true }).fill('S12');
    await channels.getByLabel('Type', { exact: true }).fill('ph');
    await channels.getByLabel('Process', { exact: true }).selectOption('Cooling Tower 2');
    await channels.getByRole('button', { name: 'Add channel' }).click();
    await channels.getByRole('row', { name: /S12 S12 input ph/ }).waitFor();
    expect(await ingest(firstKey, 'S12')).toBe(200);

    // Rename.
    await page.getByLabel('Controller name').fill('Tower Two');
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tower Two' }).waitFor();

    // Rotate with no overlap: the new key works, the first one stops at once.
    const keys = page.getByRole('region', { name: 'Ingest keys' });
    // The key's times are its facility's (America/Chicago), with the zone's abbreviation.
    await expect.poll(() => keys.getByRole('table').textContent()).toMatch(/\d{4}, \d{1,2}:\d\d\s[AP]M C[SD]T/);
    await keys.getByLabel('Previous keys keep working for').selectOption('0');
    await keys.getByRole('button', { name: 'Rotate key' }).click();
    // No overlap cuts the device off at once: asked first, like a revoke.
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate and stop the current key now' }).click();
    const newKeyBox = keys.getByLabel('Ingest key', { exact: true });
    await newKeyBox.waitFor();
    const secondKey = await newKeyBox.inputValue();
    expect(secondKey).not.toBe(firstKey);
    expect(await ingest(secondKey, 'S11')).toBe(200);
    expect(await ingest(firstKey, 'S11')).toBe(401);
    await checkPage(page, 'controller');

    // Revoke the live key, with confirmation: the device is refused.
    const live = keys.getByRole('row', { name: new RegExp(`${secondKey.slice(0, 11)}.*active`) });
    await live.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: /^Revoke flik_/ }).click();
    await keys.getByText(/is revoked/).waitFor();
    await keys.getByRole('row', { name: new RegExp(`${secondKey.slice(0, 11)}.*revoked`) }).waitFor();
    expect(await ingest(secondKey, 'S11')).toBe(401);
  });

  test('a plain user has no Admin link, sees "Not found" at /app/admin, and the API refuses them', async ({ page, context }) => {
    await signInContext(context, server, server.a.user);
    await page.goto(`${server.base}/app/`);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'My Account' }).waitFor({ state: 'attached' });
    expect(await nav.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    for (const path of ['/app/admin', '/app/admin/users', '/app/admin/sites', `/app/admin/controllers/${server.a.controller.id}`]) {
      await page.goto(`${server.base}${path}`);
      await page.getByRole('heading', { level: 1, name: 'Not found' }).waitFor();
    }
    const token = server.a.user.token;
    expect((await apiCall('/oauth/applications', { token })).status).toBe(403);
    expect((await apiCall('/api/flowline/v1/users', { token, method: 'POST', body: JSON.stringify({ email: 'x@acme-water.example' }) })).status).toBe(403);
    expect((await apiCall(`/api/flowline/v1/controllers/${server.a.controller.id}/ingest-keys`, { token })).status).toBe(403);
  });

  test("the operator sees every customer and acts for the chosen one; A's admin never sees customer B", async ({ page, context, allowConsoleErrors }) => {
    await signInContext(context, server, operator);
    await page.goto(`${server.base}/app/admin/customers`);
    await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
    const all = page.getByRole('region', { name: 'All customers' });
    for (const name of ['Acme Water', 'Borealis Oil', 'Cascade Springs']) await all.getByRole('row', { name: new RegExp(name) }).waitFor();
    await checkPage(page, 'customers');

    // Create a customer, disable it (confirmed), enable it again.
    await page.getByLabel('Customer name').fill('Delta Water');
    await page.getByRole('button', { name: 'Create customer' }).click();
    const delta = all.getByRole('row', { name: /Delta Water/ });
    await delta.waitFor();
    await delta.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disable Delta Water' }).click();
    await delta.getByText('Disabled', { exact: true }).waitFor();
    await delta.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Enable Delta Water' }).click();
    await delta.getByText('Active', { exact: true }).waitFor();

    // The picker scopes every page: B's users, then A's.
    const picker = page.getByLabel('Customer', { exact: true });
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Users' }).click();
    await picker.selectOption({ label: 'Borealis Oil' });
    await page.getByRole('cell', { name: server.b.admin.email }).waitFor();
    expect(await page.getByRole('cell', { name: server.a.admin.email }).count()).toBe(0);
    await checkPage(page, 'users-operator');
    await picker.selectOption({ label: 'Acme Water' });
    await page.getByRole('cell', { name: server.a.admin.email }).waitFor();
    expect(await page.getByRole('cell', { name: server.b.admin.email }).count()).toBe(0);
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Sites' }).click();
    await page.getByRole('heading', { name: 'Acme Water Plant' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Borealis Oil Plant' }).count()).toBe(0);
    // A controller's address opens for its own customer: the picker follows.
    await page.goto(`${server.base}/app/admin/controllers/${server.b.controller.id}`);
    await page.getByRole('heading', { level: 1, name: 'Borealis Oil Tower Controller' }).waitFor();
    await expect.poll(() => picker.inputValue()).toBe(String(server.b.customer.id));

    // Customer A's admin: no picker, no customers page, none of B's people or controllers.
    const other = await context.browser()!.newContext();
    try {
      await signInContext(other, server, server.a.admin);
      const adminPage = await other.newPage();
      const errors: string[] = [];
      adminPage.on('pageerror', (e) => errors.push(e.message));
      await adminPage.goto(`${server.base}/app/admin/users`);
      await adminPage.getByRole('cell', { name: server.a.user.email }).waitFor();
      expect(await adminPage.getByRole('cell', { name: server.b.admin.email }).count()).toBe(0);
      expect(await adminPage.getByLabel('Customer', { exact: true }).count()).toBe(0);
      expect(await adminPage.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Customers' }).count()).toBe(0);
      await adminPage.goto(`${server.base}/app/admin/customers`);
      await adminPage.getByRole('heading', { level: 1, name: 'Not found' }).waitFor();
      await adminPage.goto(`${server.base}/app/admin/controllers/${server.b.controller.id}`);
      await adminPage.getByRole('heading', { level: 1, name: 'Not found' }).waitFor();
      await adminPage.goto(`${server.base}/app/admin/sites`);
      await adminPage.getByRole('heading', { name: 'Acme Water Plant' }).waitFor();
      expect(await adminPage.getByText('Borealis').count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await other.close();
    }
    allowConsoleErrors('404');
  });

  test("a new customer's admin sees how to register a first controller", async ({ page, context }) => {
    await signInContext(context, server, fresh);
    await page.goto(`${server.base}/app/admin`);
    await page.getByRole('heading', { level: 1, name: 'Admin' }).waitFor();
    const empty = page.getByRole('region', { name: 'No controllers yet' });
    await empty.waitFor();
    await empty.getByText('flowline import site.json').waitFor();
    await empty.getByRole('link', { name: 'Sites page' }).waitFor();
    const doc = page.getByRole('link', { name: /Fluxx API documentation/ }).first();
    expect(await doc.getAttribute('href')).toBe('/api/rest/v2/doc');
    await checkPage(page, 'overview-empty');

    await page.goto(`${server.base}/app/admin/sites`);
    await page.getByRole('region', { name: 'No facilities yet' }).getByText('flowline import site.json').waitFor();
    await checkPage(page, 'sites-empty');
  });

  test('the Fluxx documentation page opens from admin', async ({ page, context }) => {
    await signInContext(context, server, server.a.admin);
    await page.goto(`${server.base}/app/admin`);
    await page.getByRole('region', { name: 'Sites' }).waitFor();
    await checkPage(page, 'overview');
    const [popup] = await Promise.all([context.waitForEvent('page'), page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: /Fluxx API documentation/ }).click()]);
    await popup!.waitForLoadState();
    expect(popup!.url()).toBe(`${server.base}/api/rest/v2/doc`);
    expect(await popup!.title()).not.toBe('');
    await popup!.close();
  });
});
