import { Command, Option } from 'commander';
import { createAccount, issueApiToken } from '../domain/accounts.js';
import { customerScope, PLATFORM_SCOPE } from '../domain/scope.js';
import { newPassword } from '../domain/secrets.js';
import { systemClock } from '../domain/time.js';
import { readCredentialsFile, seedDemo, writeCredentialsFile } from '../demo/seed.js';
import { describeSummary, startSimulator } from '../demo/simulator.js';
import type { Store } from '../store/store.js';
import { exitOnKnownFailure, runCommandLine, type FailureContext } from './failures.js';
import { configFrom, fail, withConfigFlags } from './options.js';
import { progressPrinter } from './progress.js';
import { defaultDemoFile, openReachableStore, serve } from './serve.js';

const program = new Command('flowline').description('Flowline monitoring-data platform').showHelpAfterError();

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

const user = program.command('user').description('manage user accounts');

withConfigFlags(user.command('create').description('create a user (prints a generated password if none is given)'))
  .requiredOption('--email <email>', 'login e-mail address')
  .option('--name <name>', 'display name')
  .addOption(new Option('--role <role>', 'role').choices(['admin', 'user']).default('user'))
  .option('--customer <id>', 'id of the customer the user belongs to (omit for a platform operator)')
  .option('--password <password>', 'initial password (default: generated and printed)')
  .option('--token', 'also generate an API token (accepts the API terms for the user) and print it')
  .action(async (flags) => {
    await withStore(flags, async (store) => {
      await store.migrate();
      const customerId = flags.customer === undefined ? null : Number(flags.customer);
      if (customerId !== null && !Number.isSafeInteger(customerId)) fail(`--customer must be a customer id, not "${flags.customer}".`, 2);
      const password: string = flags.password ?? newPassword();
      const created = await createAccount(store, PLATFORM_SCOPE, {
        customerId,
        email: flags.email,
        name: flags.name ?? flags.email,
        role: flags.role,
        password,
      });
      console.log(`created user ${created.id} (${created.role}${customerId === null ? ', platform operator' : `, customer ${customerId}`})`);
      console.log(`username: ${created.email}`);
      if (flags.password === undefined) console.log(`password: ${password}`);
      if (flags.token) console.log(`token: ${(await issueApiToken(store, created.id, systemClock)).token}`);
    });
  });

withConfigFlags(user.command('token').description("generate a new API token for a user, revoking the previous one"))
  .requiredOption('--email <email>', 'login e-mail address')
  .action(async (flags) => {
    await withStore(flags, async (store) => {
      const found = await store.findUserCredentialsByEmail(flags.email);
      if (!found) fail(`no user with e-mail ${flags.email}`);
      const issued = await issueApiToken(store, found.id, systemClock);
      console.log(`username: ${found.email}`);
      console.log(`token: ${issued.token}`);
    });
  });

withConfigFlags(user.command('list').description('list users'))
  .option('--customer <id>', 'only the users of this customer')
  .action(async (flags) => {
    await withStore(flags, async (store) => {
      const scope = flags.customer === undefined ? PLATFORM_SCOPE : customerScope(Number(flags.customer));
      for (const u of await store.listUsers(scope)) {
        console.log([u.id, u.email, u.role, u.customerId ?? 'platform', u.hasApiToken ? 'token' : 'no token'].join('\t'));
      }
    });
  });

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
        const credentials = await seedDemo(store, { clock: systemClock, days: Number(flags.days), onProgress: progressPrinter() });
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
