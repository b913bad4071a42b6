import { afterAll, beforeAll, describe } from 'vitest';
import { accessibilityViolations, browserSkipReason, expect, screenshot, signInContext, startServer, test, type FlowlineServer } from './fixtures.js';

/**
 * Sign-in, sign-out, set-password and reset-password as a person uses them, in Chromium:
 * through the forms, by role and label. A page opened without a session asks GET /session
 * and gets the 401 that says so: that console line is expected on these pages.
 */

/** The wrong password's 401 on POST /session, which the browser logs. */
const WRONG_PASSWORD = 'status of 401';
/** The dashboard: the app's root, with or without its trailing slash. */
const DASHBOARD = /\/app\/?$/;

describe.skipIf(browserSkipReason !== null)('sign-in and password pages in Chromium', () => {
  let server: FlowlineServer & { close(): Promise<void> };

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  const url = (path: string) => `${server.base}/app${path}`;

  /** An invited user (through the users API) and the token of their set-password link. */
  async function invite(email: string): Promise<string> {
    const res = await fetch(`${server.base}/api/flowline/v1/users`, {
      method: 'POST',
      headers: { authorization: `Token ${server.a.admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email, name: 'Ida Invited', role: 'user' }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { set_password_link: { url: string } };
    return /#token=(.+)$/.exec(body.set_password_link.url)![1]!;
  }

  test('signs in through the form (going on to the page asked for), and out with "Sign out"', async ({ page, context }) => {
    await page.goto(url('/account'));
    await page.waitForURL(/\/app\/sign-in\?next=%2Faccount$/);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'sign-in');

    await page.getByLabel('E-mail address').fill(server.a.user.email);
    await page.getByLabel('Password', { exact: true }).fill(server.a.user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(url('/account'));
    await page.getByRole('heading', { level: 1, name: 'My Account' }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === 'flowline_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(url('/sign-in'));
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    expect((await context.cookies()).find((c) => c.name === 'flowline_session')).toBeUndefined();
    // The old cookie is dead on the server too.
    const after = await fetch(`${server.base}/api/flowline/v1/session`, { headers: { cookie: `flowline_session=${cookie!.value}` } });
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ account: null, csrf_token: null });
    await page.goto(url('/account'));
    await page.waitForURL(/\/app\/sign-in\?next=/);
  });

  test('a wrong password shows the error line and keeps the person on the page', async ({ page, allowConsoleErrors }) => {
    // The sign-in form's own 401 (a signed-out page load itself logs none any more).
    allowConsoleErrors(WRONG_PASSWORD);
    await page.goto(url('/sign-in'));
    await page.getByLabel('E-mail address').fill(server.a.user.email);
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Wrong e-mail address or password.');
    expect(page.url()).toBe(url('/sign-in'));
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'sign-in-wrong-password');
  });

  test('a signed-in person opening the sign-in page goes to the dashboard; `next` leading out of the app is ignored', async ({ page, context }) => {
    await signInContext(context, server, server.a.user);
    await page.goto(url('/sign-in'));
    await page.waitForURL(DASHBOARD);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.goto(url('/sign-in?next=%2F%2Fevil.example%2Fsteal'));
    await page.waitForURL(DASHBOARD);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(url('/sign-in'));
    await page.goto(url('/sign-in?next=https%3A%2F%2Fevil.example%2F'));
    await page.getByLabel('E-mail address').fill(server.a.user.email);
    await page.getByLabel('Password', { exact: true }).fill(server.a.user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(DASHBOARD);
  });

  test('sets a password from an invitation link, then signs in with it', async ({ page }) => {
    const email = 'ida@acme-water.example';
    const token = await invite(email);
    await page.goto(url(`/set-password#token=${token}`));
    await page.getByRole('heading', { level: 1, name: 'Choose your password' }).waitFor();
    await page.getByText('Welcome, Ida Invited.').waitFor();
    await page.getByText(email, { exact: true }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'set-password');

    // Two different passwords: said so, nothing sent.
    await page.getByLabel('New password', { exact: true }).fill('ida-first-password');
    await page.getByLabel('New password again').fill('ida-other-password');
    await page.getByRole('button', { name: 'Set the password' }).click();
    await page.getByText('The two passwords are not the same.').waitFor();

    await page.getByLabel('New password again').fill('ida-first-password');
    await page.getByRole('button', { name: 'Set the password' }).click();
    await page.waitForURL(url('/sign-in'));
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Your password is set. Sign in with it.');
    expect(await page.getByLabel('E-mail address').inputValue()).toBe(email);
    await page.getByLabel('Password', { exact: true }).fill('ida-first-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(DASHBOARD);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  });

  test('a used or broken link says so and points to a new one', async ({ page, allowConsoleErrors }) => {
    allowConsoleErrors('status of 404');
    const token = await invite('used@acme-water.example');
    const used = await fetch(`${server.base}/api/flowline/v1/account/set-password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password: 'used-link-password' }),
    });
    expect(used.status).toBe(200);
    await page.goto(url(`/set-password#token=${token}`));
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('This link has expired or has been used already.');
    await page.getByRole('link', { name: 'reset your password' }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.goto(url('/set-password'));
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/incomplete/);
  });

  test('the reset page answers the same for any address', async ({ page }) => {
    const answers: string[] = [];
    for (const email of [server.a.user.email, 'nobody@nowhere.example']) {
      await page.goto(url('/sign-in'));
      await page.getByRole('link', { name: 'Forgot your password?' }).click();
      await page.getByRole('heading', { level: 1, name: 'Reset your password' }).waitFor();
      if (answers.length === 0) {
        expect(await accessibilityViolations(page)).toEqual([]);
        await screenshot(page, 'reset-password');
      }
      await page.getByLabel('E-mail address').fill(email);
      await page.getByRole('button', { name: 'Send the reset link' }).click();
      const notice = page.getByRole('status');
      await notice.waitFor();
      answers.push((await notice.textContent()) ?? '');
    }
    expect(answers[0]).toMatch(/reset link is on its way/);
    expect(answers[1]).toBe(answers[0]);
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  test('the sign-in page on a phone: no sideways scrolling, every control reachable', async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(url('/sign-in'));
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    for (const control of [page.getByLabel('E-mail address'), page.getByLabel('Password', { exact: true }), page.getByRole('button', { name: 'Sign in' })]) {
      const box = await control.boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    }
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'sign-in-phone');
  });
});
