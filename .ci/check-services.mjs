// Fails CI loudly when PostgreSQL or Redis cannot be reached, instead of letting their suites skip.
import pg from 'pg';
import Redis from 'ioredis';

const deadline = Date.now() + 30_000;
async function retry(name, attempt) {
  for (;;) {
    try {
      await attempt();
      console.log(`${name}: ok`);
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        console.error(`${name}: cannot connect (${error.message})`);
        process.exit(1);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

await retry(`PostgreSQL at ${process.env.TEST_DATABASE_URL}`, async () => {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  await client.query('select 1');
  await client.end();
});

await retry(`Redis at ${process.env.TEST_REDIS_URL}`, async () => {
  const redis = new Redis(process.env.TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  await redis.connect();
  await redis.ping();
  redis.disconnect();
});
