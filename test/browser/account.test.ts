import { afterAll, beforeAll, describe } from 'vitest';
import type { Page } from 'playwright-core';
import { createAccount } from '../../src/domain/accounts.js';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import { accessibilityViolations, browserSkipReason, closeBrowser, expect, screenshot, signInContext, startServer, test, type FlowlineServer } from './fixtures.js';

/**
 * My Account in Chromium: accept the API terms, generate the token, and use it — through the
 * curl lines the page prints — against every face; regenerate (the old token stops working);
 * change the password. Accessible and usable on a phone.
 */

type Server = Awaited<ReturnType<typeof startServer>>;

/** A curl line of the "Use it" box as a fetch: its URL and its credentials header. */
function requestOf(command: string): { url: string; headers: Record<string, string> } {
  const url = /(https?:\/\/\S+)\s*$/.exec(command)?.[1];
  if (!url) throw new Error(`no URL in ${command}`);
  const basic = /-u '([^']*)'/.exec(command)?.[1];
  if (basic) return { url, headers: { authorization: `Basic ${Buffer.from(basic).toString('base64')}` } };
  const header = /-H 'Authorization: ([^']*)'/.exec(command)?.[1];
  if (!header) throw new Error(`no credentials in ${command}`);
  return { url, headers: { authorization: header } };
}

async function noHorizontalOverflow(page: Page): Promise<boolean> {
  return (await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')) as boolean;
}

describe.skipIf(browserSkipReason !== null)('My Account in Chromium', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await closeBrowser();
  });

  const facesAnswer = async (s: FlowlineServer, token: string, email: string) => {
    const check = async (url: string, authorization: string) => (await fetch(`${s.base}${url}`, { headers: { authorization } })).status;
    return {
      fluent: await check('/controller/list/', `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`),
      flowcommand: await check('/api/v1/flow_sensors/', `Token ${token}`),
      fluxx: await check('/api/rest/v2/controller', `Bearer ${token}`),
      flowline: await check('/api/flowline/v1/controllers', `Token ${token}`),
    };
  };

  test('accept the terms, generate a token, use it against every face; regenerate revokes the old one', async ({ page, context }) => {
    // A person of their own, without a token yet and with no terms accepted.
    const person = { email: 'newcomer@acme.example', password: 'newcomer-password' };
    await createAccount(server.store, PLATFORM_SCOPE, { customerId: server.a.customer.id, email: person.email, name: 'New Comer', role: 'user', password: person.password });
    await signInContext(context, server, person);
    await page.goto(`${server.base}/app/account`);
    await page.getByRole('heading', { level: 1, name: 'My Account' }).waitFor();
    await page.getByRole('heading', { name: 'Client API Authentication Token' }).waitFor();
    expect(await page.getByText(person.email).first().isVisible()).toBe(true);
    // Before a token: placeholders in the curl lines, and Generate waits for the terms.
    expect(await page.locator('.curl-list code').first().textContent()).toContain('<your-token>');
    const generate = page.getByRole('button', { name: 'Generate Authentication Token' });
    expect(await generate.isDisabled()).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'account');

    await page.getByLabel('I have read and accept the Client API Terms and Conditions').check();
    // The session alone makes no token: the current password is asked again.
    expect(await generate.isDisabled()).toBe(true);
    const confirmPassword = page.getByLabel('Your current password', { exact: true });
    await confirmPassword.fill(person.password);
    await generate.click();
    const tokenBox = page.getByLabel('Your Authentication Token');
    await tokenBox.waitFor();
    const token = await tokenBox.inputValue();
    expect(token.length).toBeGreaterThan(20);
    await page.getByText(/You accepted the API terms on/).waitFor();
    await screenshot(page, 'account-token');

    // Every curl line of the page, run as written, answers 200.
    const commands = await page.locator('.curl-list code').allTextContents();
    expect(commands).toHaveLength(4);
    const statuses: Record<string, number> = {};
    for (const command of commands) {
      expect(command).toContain(token);
      expect(command).toContain(server.base);
      const { url, headers } = requestOf(command);
      statuses[new URL(url).pathname] = (await fetch(url, { headers })).status;
    }
    expect(statuses).toEqual({ '/controller/list/': 200, '/api/v1/flow_sensors/': 200, '/api/rest/v2/controller': 200, '/api/flowline/v1/controllers': 200 });
    expect(await facesAnswer(server, token, person.email)).toEqual({ fluent: 200, flowcommand: 200, fluxx: 200, flowline: 200 });

    // Regenerate: the password again, warned, then a new token; the old one stops working.
    expect(await confirmPassword.inputValue()).toBe('');
    expect(await page.getByRole('button', { name: 'Regenerate Authentication Token' }).isDisabled()).toBe(true);
    await confirmPassword.fill(person.password);
    await page.getByRole('button', { name: 'Regenerate Authentication Token' }).click();
    await page.getByText('Regenerating revokes your current token').waitFor();
    await page.getByRole('button', { name: 'Regenerate and revoke the old token' }).click();
    await expect.poll(() => tokenBox.inputValue()).not.toBe(token);
    const fresh = await tokenBox.inputValue();
    expect(await facesAnswer(server, token, person.email)).toEqual({ fluent: 401, flowcommand: 401, fluxx: 401, flowline: 401 });
    expect(await facesAnswer(server, fresh, person.email)).toEqual({ fluent: 200, flowcommand: 200, fluxx: 200, flowline: 200 });
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await noHorizontalOverflow(page)).toBe(true);
    await screenshot(page, 'account-phone');
  }, 120_000);

  test('change the password: mismatch refused in the page, then changed; the new one signs in', async ({ page, context }) => {
    const person = server.b.user;
    await signInContext(context, server, person);
    // Another session of the same person (another browser): the change signs it out.
    const other = await fetch(`${server.base}/api/flowline/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: person.email, password: person.password }),
    });
    expect(other.status).toBe(201);
    const otherCookie = other.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    const otherSession = async () => (await fetch(`${server.base}/api/flowline/v1/account`, { headers: { cookie: otherCookie } })).status;
    expect(await otherSession()).toBe(200);
    await page.goto(`${server.base}/app/account`);
    await page.getByRole('heading', { name: 'Change password' }).waitFor();
    await page.getByLabel('Current password', { exact: true }).fill(person.password);
    await page.getByLabel('New password', { exact: true }).fill('a-brand-new-passw0rd');
    await page.getByLabel('New password again').fill('something else entirely');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('The two new passwords differ').waitFor();

    await page.getByLabel('New password again').fill('a-brand-new-passw0rd');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText(/Password changed\. Your other sessions were signed out/).waitFor();
    await screenshot(page, 'account-password-changed');
    expect(await otherSession()).toBe(401);
    // This session stays signed in.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'My Account' }).waitFor();

    const signIn = async (password: string) =>
      (await fetch(`${server.base}/api/flowline/v1/account`, { headers: { authorization: `Basic ${Buffer.from(`${person.email}:${password}`).toString('base64')}` } })).status;
    expect(await signIn('a-brand-new-passw0rd')).toBe(200);
    expect(await signIn(person.password)).toBe(401);
  }, 120_000);
});
