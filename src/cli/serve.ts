import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config, ConfigFlags } from '../config.js';
import { ensureDemo, type EnsuredDemo, type ReissueReason } from '../demo/seed.js';
import { describeSummary, startSimulator, type Simulator } from '../demo/simulator.js';
import { watchForSilentControllers, type NoDataWatch } from '../domain/server-alarms.js';
import { newSecretKey, parseSecretKey, secretBox } from '../domain/secret-box.js';
import { systemClock } from '../domain/time.js';
import { allowedNetworks } from '../webhooks/destination.js';
import { startDeliveryWorker, type DeliveryWorker } from '../webhooks/worker.js';
import { buildApp } from '../http/app.js';
import { createLogger } from '../logger.js';
import { openStore, parseDatabaseUrl } from '../store/open-store.js';
import { DatabaseNoAnswerError, exitOnKnownFailure, postgresTarget, type FailureContext } from './failures.js';
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
  // Empty: a start that crashed between creating the file and writing it; nothing was sealed with it.
  if (key === '') fail(`${file} is empty: remove it, or set SECRET_KEY`);
  try {
    parseSecretKey(key);
  } catch {
    fail(`${file} does not hold a secret key (32 bytes in base64): restore it, or set SECRET_KEY to the key it held; webhook secrets sealed with that key cannot be read without it`);
  }
  return key;
}

/**
 * Where `--demo` keeps the demo credentials between restarts: beside the SQLite file, or in
 * ./data with the PostgreSQL server and database in the name, so demos on different
 * databases never overwrite each other's credentials (the URL's password stays out of it).
 */
export function defaultDemoFile(config: Config): string {
  const location = parseDatabaseUrl(config.databaseUrl);
  if (location.kind === 'sqlite') {
    return location.file === ':memory:' ? resolve('data', 'demo-credentials.sqlite-memory.json') : join(dirname(resolve(location.file)), 'demo-credentials.json');
  }
  const target = postgresTarget(location.url);
  const name = target ? [target.host, target.port, target.database || target.user || 'default'] : ['unparsed-url'];
  return resolve('data', `demo-credentials.postgres-${name.map((part) => part.replace(/[^A-Za-z0-9._-]/g, '_')).join('-')}.json`);
}

/** How long a command waits for the database's first answer before saying it cannot reach it. */
const DATABASE_ANSWER_TIMEOUT_MS = 10_000;

type OpenedStore = ReturnType<typeof openStore>;

/**
 * Opens the store named by the configuration and checks that it answers. A bad URL exits
 * with 2, a database that cannot be opened or reached with its one line (cli/failures.ts).
 */
export async function openReachableStore(config: Config): Promise<OpenedStore> {
  try {
    parseDatabaseUrl(config.databaseUrl);
  } catch (error) {
    fail((error as Error).message, 2);
  }
  const context: FailureContext = { databaseUrl: config.databaseUrl };
  let store: OpenedStore;
  try {
    store = openStore(config.databaseUrl);
  } catch (error) {
    exitOnKnownFailure(error, context);
    throw error;
  }
  // pg waits for the operating system's connect timeout (minutes) or, on a server that
  // accepts and stays silent, forever.
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DatabaseNoAnswerError(DATABASE_ANSWER_TIMEOUT_MS / 1000)), DATABASE_ANSWER_TIMEOUT_MS);
  });
  try {
    await Promise.race([store.ping(), silence]);
  } catch (error) {
    // Not closed first: closing waits for the connection attempt that did not answer.
    exitOnKnownFailure(error, context);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return store;
}

/** The line `serve --demo` prints when the previous demo credentials stopped working. */
function reissueNotice(reason: ReissueReason, file: string): string {
  const why = reason === 'file-missing' ? `${file} was missing` : `the credentials in ${file} no longer match this database`;
  return `re-issued the demo credentials because ${why}; the previous token, password and ingest keys no longer work`;
}

export async function serve(config: Config, options: ServeOptions): Promise<void> {
  const intervalSeconds = Number(options.simulatorInterval ?? '10');
  if (!Number.isFinite(intervalSeconds) || intervalSeconds < 0.1) fail(`--simulator-interval must be a number of seconds ≥ 0.1, not "${options.simulatorInterval}".`, 2);
  const logger = createLogger(config.logLevel, undefined, { format: config.logFormat });
  const store = await openReachableStore(config);
  const demoFile = options.demoFile ?? defaultDemoFile(config);
  const context: FailureContext = { databaseUrl: config.databaseUrl, demoFile };

  try {
    if (options.migrate !== false) {
      const applied = await store.migrate();
      if (applied.length > 0) logger.info({ applied }, 'database migrated');
    }
  } catch (error) {
    await store.close().catch(() => undefined);
    exitOnKnownFailure(error, context);
    fail(`cannot prepare the database (${store.dialect}): ${(error as Error).message}`);
  }

  let worker: DeliveryWorker | null = null;
  let app: FastifyInstance | null = null;
  let simulator: Simulator | null = null;
  let noDataWatch: NoDataWatch | null = null;
  let demo: EnsuredDemo | null = null;
  let url: string;
  try {
    if (options.demo) {
      demo = await ensureDemo(store, { file: demoFile, clock: systemClock, onProgress: progressPrinter() });
      if (demo.seeded) logger.info({ file: demoFile }, 'demo data seeded');
    }
    const secrets = secretBox(parseSecretKey(config.secretKey ?? lastingSecretKey(config, logger)));
    worker = startDeliveryWorker({ store, secrets, allowed: allowedNetworks(config.webhookAllowedNetworks), clock: systemClock, logger, leaseMs: config.webhookLeaseSeconds * 1000 });
    app = await buildApp({ config, store, logger, secrets, webhookWorker: worker });
    const closeListeners = closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
      if (err) logger.error({ err }, 'shutting down after an error');
      else logger.info({ signal }, 'shutting down');
      await simulator?.stop();
      await noDataWatch?.stop();
      await worker?.stop();
      await app?.close();
      await store.close();
    });
    app.addHook('onClose', async () => closeListeners.uninstall());
    url = await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    // Whatever started is stopped, so the failure's one line is the last word.
    await worker?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    exitOnKnownFailure(error, context);
    throw error;
  }

  if (config.noDataAlarmMinutes > 0) {
    noDataWatch = watchForSilentControllers(store, { silenceMs: config.noDataAlarmMinutes * 60_000, everyMs: 60_000, clock: systemClock, logger });
  }
  const localUrl = url.replace('://0.0.0.0', '://127.0.0.1').replace('://[::]', '://127.0.0.1');
  const lines = [`Flowline is serving on ${url} (${store.dialect})`, `Web app: ${localUrl}/app/`];
  if (demo) {
    const { admin } = demo.credentials;
    if (demo.reissued) lines.push(reissueNotice(demo.reissued, demoFile));
    lines.push(
      'Demo admin (the password signs in to the web app; the token works on every face):',
      `username: ${admin.username}`,
      `password: ${admin.password}`,
      `token: ${admin.token}`,
      `Try: curl -u '${admin.username}:${admin.token}' ${localUrl}/controller/list/`,
      `API reference: ${localUrl}/docs`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  if (demo && options.simulator !== false) {
    simulator = startSimulator({
      baseUrl: localUrl,
      controllers: demo.credentials.controllers,
      intervalMs: intervalSeconds * 1000,
      // One line a minute at info (warn when batches failed), so a terminal stays readable.
      onSummary: (summary) => (summary.batchesFailed > 0 ? logger.warn(describeSummary(summary)) : logger.info(describeSummary(summary))),
      onError: (error) => logger.debug({ err: error }, 'simulator batch failed'),
      log: (message) => logger.debug(message),
    });
  }
}

export type { ConfigFlags };
