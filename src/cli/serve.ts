import closeWithGrace from 'close-with-grace';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config, ConfigFlags } from '../config.js';
import { ensureDemo, type DemoCredentials } from '../demo/seed.js';
import { startSimulator, type Simulator } from '../demo/simulator.js';
import { watchForSilentControllers, type NoDataWatch } from '../domain/server-alarms.js';
import { newSecretKey, parseSecretKey, secretBox } from '../domain/secret-box.js';
import { systemClock } from '../domain/time.js';
import { allowedNetworks } from '../webhooks/destination.js';
import { startDeliveryWorker } from '../webhooks/worker.js';
import { buildApp } from '../http/app.js';
import { createLogger } from '../logger.js';
import { openStore, parseDatabaseUrl } from '../store/open-store.js';
import { fail } from './options.js';
import { progressPrinter } from './progress.js';

export interface ServeOptions {
  demo?: boolean;
  demoFile?: string;
  simulator?: boolean;
  simulatorInterval?: string;
  migrate?: boolean;
}

/**
 * Without SECRET_KEY, the key that seals webhook secrets is kept in `secret.key` (mode 0600)
 * beside the SQLite file (or in ./data): generated once, read at every start. Several
 * processes on one PostgreSQL database must share SECRET_KEY instead.
 */
function lastingSecretKey(config: Config, logger: { warn(o: object, m: string): void }): string {
  const location = parseDatabaseUrl(config.databaseUrl);
  const dir = location.kind === 'sqlite' && location.file !== ':memory:' ? dirname(resolve(location.file)) : resolve('data');
  const file = join(dir, 'secret.key');
  mkdirSync(dir, { recursive: true });
  try {
    // Exclusive create: of two processes starting at once, one writes the key and both read it.
    writeFileSync(file, `${newSecretKey()}\n`, { mode: 0o600, flag: 'wx' });
    if (location.kind === 'postgres') logger.warn({ file }, 'no SECRET_KEY: generated one in a local file; every server process of this database needs the same SECRET_KEY');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = readFileSync(file, 'utf8').trim();
  if (key === '') throw new Error(`${file} is empty: remove it, or set SECRET_KEY`);
  return key;
}

/** Where `--demo` keeps the demo credentials between restarts: beside the SQLite file, or in ./data. */
export function defaultDemoFile(config: Config): string {
  const location = parseDatabaseUrl(config.databaseUrl);
  const dir = location.kind === 'sqlite' && location.file !== ':memory:' ? dirname(resolve(location.file)) : resolve('data');
  return join(dir, 'demo-credentials.json');
}

export async function serve(config: Config, options: ServeOptions): Promise<void> {
  const logger = createLogger(config.logLevel);
  const store = openStore(config.databaseUrl);
  const intervalSeconds = Number(options.simulatorInterval ?? '10');
  if (!Number.isFinite(intervalSeconds) || intervalSeconds < 0.1) fail(`--simulator-interval must be a number of seconds ≥ 0.1, not "${options.simulatorInterval}".`, 2);

  try {
    if (options.migrate !== false) {
      const applied = await store.migrate();
      if (applied.length > 0) logger.info({ applied }, 'database migrated');
    }
  } catch (error) {
    await store.close().catch(() => undefined);
    fail(`cannot prepare the database (${store.dialect}): ${(error as Error).message}`);
  }

  let demo: DemoCredentials | null = null;
  if (options.demo) {
    const file = options.demoFile ?? defaultDemoFile(config);
    const result = await ensureDemo(store, { file, clock: systemClock, onProgress: progressPrinter() });
    demo = result.credentials;
    if (result.seeded) logger.info({ file }, 'demo data seeded');
  }

  const secrets = secretBox(parseSecretKey(config.secretKey ?? lastingSecretKey(config, logger)));
  const worker = startDeliveryWorker({ store, secrets, allowed: allowedNetworks(config.webhookAllowedNetworks), clock: systemClock, logger, leaseMs: config.webhookLeaseSeconds * 1000 });
  const app = await buildApp({ config, store, logger, secrets, webhookWorker: worker });
  let simulator: Simulator | null = null;
  let noDataWatch: NoDataWatch | null = null;
  const closeListeners = closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error');
    else logger.info({ signal }, 'shutting down');
    await simulator?.stop();
    await noDataWatch?.stop();
    await worker.stop();
    await app.close();
    await store.close();
  });
  app.addHook('onClose', async () => closeListeners.uninstall());

  const url = await app.listen({ port: config.port, host: config.host });
  if (config.noDataAlarmMinutes > 0) {
    noDataWatch = watchForSilentControllers(store, { silenceMs: config.noDataAlarmMinutes * 60_000, everyMs: 60_000, clock: systemClock, logger });
  }
  const localUrl = url.replace('://0.0.0.0', '://127.0.0.1').replace('://[::]', '://127.0.0.1');
  const lines = [`Flowline is serving on ${url} (${store.dialect})`];
  if (demo) {
    lines.push(
      'Demo admin (API token for every face; the password for the account page):',
      `username: ${demo.admin.username}`,
      `password: ${demo.admin.password}`,
      `token: ${demo.admin.token}`,
      `Try: curl -u '${demo.admin.username}:${demo.admin.token}' ${localUrl}/controller/list/`,
      `API reference: ${localUrl}/docs`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  if (demo && options.simulator !== false) {
    simulator = startSimulator({
      baseUrl: localUrl,
      controllers: demo.controllers,
      intervalMs: intervalSeconds * 1000,
      log: (message) => logger.debug(message),
      onError: (error) => logger.warn({ err: error }, 'simulator batch failed'),
    });
  }
}

export type { ConfigFlags };
