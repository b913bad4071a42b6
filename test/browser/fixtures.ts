import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect, test as base } from 'vitest';
import axe from 'axe-core';
import { buildTestApp } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';
import { chromiumSkipReason, launchChromium } from './chromium.js';

/**
 * The browser tests' world, after immich's e2e and bulletproof-react's `test.extend`: a real
 * Flowline (SQLite file, the built web app) listening on a free port per test file, Chromium,
 * a fresh browser context per test, two customers, and `loginAs` that signs in through the
 * API and hands the session cookie to the context (only the sign-in spec types in the form).
 * Arrange and assert through the API; act through the page, by role and label.
 */
export const sqlite = storeFactories().find((f) => f.name === 'sqlite')!;
export const browserSkipReason = chromiumSkipReason ?? sqlite.skipReason;

export interface FlowlineServer {
  app: FastifyInstance;
  store: TestStore;
  /** http://127.0.0.1:port */
  base: string;
  /** Customer A and customer B: two tenants with a controller, a process, an admin and a user each. */
  a: TenantFixture;
  b: TenantFixture;
}

export type Role = 'admin' | 'user';

/** One test file drives many pages from one address: budgets that no test reaches by accident. */
const GENEROUS_LIMITS = [
  ...['flowline', 'flowcommand', 'fluent'].flatMap((face) => ['default', 'anonymous', 'public'].map((cls) => `${face}.${cls}=100000/1m`)),
  // The sign-in form's budgets, per IP and per account: every test signs in from 127.0.0.1.
  'flowline.signin=100000/1m',
  'flowline.signin_account=100000/1m',
].join(',');
type Person = { email: string; password: string };

export const SCREENS = fileURLToPath(new URL('../../test-results/screens/', import.meta.url));

/** Starts one server per test file (call in the file's top level or a describe). */
export async function startServer(env: Record<string, string> = {}): Promise<FlowlineServer & { close(): Promise<void> }> {
  const { store, drop } = await sqlite.create();
  await store.migrate();
  const app = await buildTestApp(store, undefined, { RATE_LIMITS: GENEROUS_LIMITS, ...env });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const a = await createTenant(store, 'Acme Water');
  const b = await createTenant(store, 'Borealis Oil');
  return {
    app,
    store,
    base,
    a,
    b,
    async close() {
      await app.close();
      await store.close();
      await drop?.();
    },
  };
}

let sharedBrowser: Promise<Browser> | null = null;
function browser(): Promise<Browser> {
  sharedBrowser ??= launchChromium();
  return sharedBrowser;
}
export async function closeBrowser(): Promise<void> {
  if (sharedBrowser) await (await sharedBrowser).close();
  sharedBrowser = null;
}

/** Signs in with the API (POST /session) and puts the session cookie on the context. */
export async function signInContext(context: BrowserContext, server: FlowlineServer, person: Person): Promise<void> {
  const res = await fetch(`${server.base}/api/flowline/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: person.email, password: person.password }),
  });
  if (res.status !== 201) throw new Error(`sign-in of ${person.email} answered ${res.status}: ${await res.text()}`);
  const cookies = res.headers.getSetCookie().map((line) => {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), url: server.base };
  });
  await context.addCookies(cookies);
}

/** Fails the test on an uncaught page error or a console error (a broken page must not pass quietly). */
function watchForErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
}

/** axe-core in the page: the serious and critical violations, as readable lines. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  // Evaluated, not added as a <script>: the app's CSP (script-src 'self') refuses inline scripts.
  await page.evaluate(axe.source);
  const results = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as axe.AxeResults;
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

/** A screenshot of the page as it is now, to test-results/screens/<name>.png (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENS, { recursive: true });
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true });
}

export interface BrowserFixtures {
  /** A fresh context and page per test; page errors and console errors fail the test. */
  page: Page;
  context: BrowserContext;
  /** Allow console errors this test expects (e.g. a 401 the page handles); matched by substring. */
  allowConsoleErrors: (pattern: string) => void;
}

/**
 * `test` with a fresh browser context and page per test. Expected console errors (a failed
 * request the page shows to the user, like a wrong password's 401) are allowed by pattern.
 */
export const test = base.extend<BrowserFixtures & { _allowed: string[] }>({
  // Vitest reads a fixture's dependencies from its destructured first parameter: none here.
  // eslint-disable-next-line no-empty-pattern
  _allowed: async ({}, use) => {
    await use([]);
  },
  allowConsoleErrors: async ({ _allowed }, use) => {
    await use((pattern) => _allowed.push(pattern));
  },
  // eslint-disable-next-line no-empty-pattern
  context: async ({}, use) => {
    const context = await (await browser()).newContext({ viewport: { width: 1280, height: 900 } });
    await use(context);
    await context.close();
  },
  page: async ({ context, _allowed }, use) => {
    const page = await context.newPage();
    const errors: string[] = [];
    watchForErrors(page, errors);
    await use(page);
    const unexpected = errors.filter((e) => !_allowed.some((pattern) => e.includes(pattern)));
    expect(unexpected, 'page errors or console errors').toEqual([]);
  },
});

export { expect };
