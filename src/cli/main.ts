import { Command } from 'commander';
import { createRequire } from 'node:module';
import { systemClock } from '../domain/time.js';
import { readCredentialsFile, seedDemo, writeCredentialsFile } from '../demo/seed.js';
import { describeSummary, startSimulator } from '../demo/simulator.js';
import type { Store } from '../store/store.js';
import { exitOnKnownFailure, runCommandLine, type FailureContext } from './failures.js';
import { configFrom, fail, withConfigFlags } from './options.js';
import { progressPrinter } from './progress.js';
import { defaultDemoFile, openReachableStore, serve } from './serve.js';
import { registerControllerCommands } from './commands/controller.js';
import { registerCustomerCommands } from './commands/customer.js';
import { registerFacilityCommands } from './commands/facility.js';
import { registerImportCommand } from './commands/import.js';
import { registerIngestKeyCommands } from './commands/ingest-key.js';
import { registerUserCommands } from './commands/user.js';

const program = new Command('flowline').description('Flowline monitoring-data platform').showHelpAfterError();
// package.json sits one folder above src/ and dist/ alike, so this works from the sources and from a build.
program.version((createRequire(import.meta.url)('../../package.json') as { version: string }).version);

withConfigFlags(program.command('serve').description('run the HTTP server (migrates the database first)'), { server: true })
  .option('--demo', 'seed the demo customers if absent, print the demo credentials and run the simulator')
  .option('--demo-file <path>', 'where the demo credentials are kept between restarts')
  .option('--no-simulator', 'with --demo: do not feed live readings')
  .option('--simulator-interval <seconds>', 'with --demo: seconds between simulated batches', '10')
  .option('--no-migrate', 'do not apply pending migrations at startup')
  .action(async (flags) => serve(configFrom(flags), flags));

withConfigFlags(program.command('migrate').description('apply pending database migrations')).action(async (flags) => {
  await withStore(flags, async (store) => {
    const applied = await store.migrate();
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : `already at ${await store.currentMigration()}`);
  });
});

registerCustomerCommands(program, withStore);
registerFacilityCommands(program, withStore);
registerControllerCommands(program, withStore);
registerIngestKeyCommands(program, withStore);
registerUserCommands(program, withStore);
registerImportCommand(program, withStore);

withConfigFlags(program.command('demo').description('seed the demo customers with 30 days of history into an empty database'))
  .option('--days <days>', 'days of history', '30')
  .option('--demo-file <path>', 'where to write the demo credentials')
  .action(async (flags) => {
    const file: string = flags.demoFile ?? defaultDemoFile(configFrom(flags));
    await withStore(
      flags,
      async (store) => {
        await store.migrate();
        // Before seeding: a file there that is not demo credentials is refused, not overwritten.
        readCredentialsFile(file);
        const credentials = await seedDemo(store, { clock: systemClock, days: daysOf(flags.days), onProgress: progressPrinter() });
        writeCredentialsFile(file, credentials);
        console.log(`demo credentials written to ${file}`);
        console.log(`username: ${credentials.admin.username}`);
        console.log(`password: ${credentials.admin.password}`);
        console.log(`token: ${credentials.admin.token}`);
      },
      { demoFile: file },
    );
  });

program
  .command('simulate')
  .description('feed live readings to a running server through its ingest API')
  .requiredOption('--url <url>', 'base URL of the server, e.g. http://127.0.0.1:8080')
  .requiredOption('--credentials <file>', 'demo credentials file written by `flowline demo` or `serve --demo`')
  .option('--interval <seconds>', 'seconds between batches', '10')
  .action(async (flags) => {
    const credentials = readCredentialsFile(flags.credentials);
    if (!credentials) fail(`${flags.credentials} does not exist: pass the demo credentials file written by \`flowline demo\` or \`serve --demo\`.`, 2);
    const intervalMs = Number(flags.interval) * 1000;
    if (!Number.isFinite(intervalMs) || intervalMs < 100) fail(`--interval must be a number of seconds ≥ 0.1, not "${flags.interval}".`, 2);
    const simulator = startSimulator({
      baseUrl: flags.url.replace(/\/$/, ''),
      controllers: credentials.controllers,
      intervalMs,
      log: (message) => console.log(message),
      // A summary after the first round and then one a minute; on stderr when batches failed.
      onSummary: (summary) => (summary.batchesFailed > 0 ? console.error : console.log)(describeSummary(summary)),
    });
    const stop = () => void simulator.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

/** Runs `work` on the configured store; a known failure (cli/failures.ts) ends the command with one line. */
async function withStore(flags: Record<string, unknown>, work: (store: Store) => Promise<void>, context: FailureContext = {}): Promise<void> {
  const config = configFrom(flags);
  const store = await openReachableStore(config);
  try {
    await work(store);
  } catch (error) {
    await store.close().catch(() => undefined);
    exitOnKnownFailure(error, { databaseUrl: config.databaseUrl, ...context });
    throw error;
  }
  await store.close();
}

await runCommandLine(program, process.argv);

/** `--days`: a whole number of days of history, 0 to 3650. */
function daysOf(text: string): number {
  const days = /^\d{1,4}$/.test(text.trim()) ? Number(text) : NaN;
  if (!(days <= 3650)) fail(`--days takes a whole number of days from 0 to 3650, not "${text}".`, 2);
  return days;
}
