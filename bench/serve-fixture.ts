/**
 * A server for bench/pings.ts, run as a child process so that it has a core to itself while
 * autocannon (in the parent) loads it:
 *
 *   tsx bench/serve-fixture.ts flowline <database-url>   the Flowline app on an existing store
 *   tsx bench/serve-fixture.ts bare <body-file>          node's bare http.createServer answering
 *                                                        every request with the file's bytes
 *
 * Listens on 127.0.0.1, port 0, and prints `{"port": …}` as its first stdout line. Exits on
 * SIGTERM, SIGINT or when stdin closes (the parent went away), closing the server first — so
 * that `node --cpu-prof` gets to write its profile.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { openStore } from '../src/store/open-store.js';
import { BENCH_RATE_LIMITS } from './fixture.js';

const [mode, arg] = process.argv.slice(2);

async function serveFlowline(url: string): Promise<{ port: number; close: () => Promise<void> }> {
  const store = openStore(url);
  const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', RATE_LIMITS: BENCH_RATE_LIMITS }), store });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    port: (app.server.address() as AddressInfo).port,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

async function serveBare(file: string): Promise<{ port: number; close: () => Promise<void> }> {
  const body = readFileSync(file);
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if ((mode !== 'flowline' && mode !== 'bare') || !arg) {
  console.error('usage: tsx bench/serve-fixture.ts flowline <database-url> | bare <body-file>');
  process.exit(2);
}

const server = mode === 'flowline' ? await serveFlowline(arg) : await serveBare(arg);
let closing = false;
const shutdown = () => {
  if (closing) return;
  closing = true;
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown).on('error', shutdown).resume();
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
