import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DestinationStream } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { describeFailure, DatabaseNoAnswerError } from '../../src/cli/failures.js';
import { defaultDemoFile } from '../../src/cli/serve.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { openStore } from '../../src/store/open-store.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'flowline.js');
const dir = mkdtempSync(join(tmpdir(), 'flowline-first-run-'));
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The environment of a new user: none of the variables a developer's shell may carry over. */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...extra };
  for (const name of ['PORT', 'HOST', 'REDIS_URL', 'SECRET_KEY', 'LOG_FORMAT']) if (!(name in extra)) delete env[name];
  return env;
}

function flowline(args: string[], env: Record<string, string>): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: userEnv(env), encoding: 'utf8', timeout: 60_000 });
}

/** Exactly one line on stderr, no stack frame, and the exit code. */
function expectOneLine(result: SpawnSyncReturns<string>, exitCode: number, pattern: RegExp): string {
  const report = `exit ${result.status}\nstderr:\n${result.stderr}\nstdout:\n${result.stdout}`;
  expect(result.status, report).toBe(exitCode);
  expect(result.stderr, report).not.toMatch(/^\s+at /m);
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  expect(lines, report).toHaveLength(1);
  expect(lines[0]).toMatch(/^flowline: /);
  expect(lines[0]).toMatch(pattern);
  return lines[0]!;
}

async function listening(server: Server): Promise<number> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return (server.address() as AddressInfo).port;
}

/** Each CLI start compiles the TypeScript sources; on a busy machine that takes seconds. */
const SPAWNING = { timeout: 180_000 };

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('an ordinary failure is one line on stderr', () => {
  it('port in use: says which address and port, and how to choose another', SPAWNING, async () => {
    const occupant = createServer();
    const port = await listening(occupant);
    try {
      const result = flowline(['serve', '--port', String(port), '--host', '127.0.0.1'], { DATABASE_URL: join(dir, 'port', 'flowline.db') });
      expectOneLine(result, 1, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use.*--port or PORT`));
    } finally {
      occupant.close();
    }
  });

  it('PostgreSQL unreachable: names the server, never the password', SPAWNING, () => {
    const url = 'postgres://flowline:s3cret-pw@127.0.0.1:1/flowline';
    for (const command of [['migrate'], ['serve', '--port', '0']]) {
      const line = expectOneLine(flowline(command, { DATABASE_URL: url }), 1, /cannot connect to PostgreSQL at 127\.0\.0\.1:1: connection refused.*DATABASE_URL/);
      expect(line).not.toContain('s3cret-pw');
    }
  });

  it('PostgreSQL accepting but silent: gives up after a while instead of hanging', SPAWNING, async () => {
    const silent = createServer(() => undefined);
    const port = await listening(silent);
    try {
      expectOneLine(flowline(['migrate'], { DATABASE_URL: `postgres://flowline@127.0.0.1:${port}/flowline` }), 1, new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${port} did not answer within 10 s`));
    } finally {
      silent.close();
    }
  });

  describe.skipIf(!TEST_DATABASE_URL)('PostgreSQL refusing (needs TEST_DATABASE_URL)', () => {
    it('database does not exist: suggests createdb', SPAWNING, () => {
      const url = new URL(TEST_DATABASE_URL!);
      const name = `flowline_missing_${process.pid}`;
      url.pathname = `/${name}`;
      expectOneLine(flowline(['migrate'], { DATABASE_URL: url.toString() }), 1, new RegExp(`has no database "${name}": create it with \`createdb .*${name}\``));
    });

    it('unknown role: says the login was refused', SPAWNING, () => {
      const url = new URL(TEST_DATABASE_URL!);
      url.username = `flowline_no_role_${process.pid}`;
      expectOneLine(flowline(['migrate'], { DATABASE_URL: url.toString() }), 1, /refused the login: .*flowline_no_role_.*check the user name in DATABASE_URL/);
    });
  });

  it('SQLite file where no folder can be made, or where a folder is', SPAWNING, () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    expectOneLine(flowline(['migrate'], { DATABASE_URL: join(blocker, 'data', 'flowline.db') }), 1, /cannot create the folder .*a-file\/data: part of the path is a file.*DATABASE_URL/);
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    expectOneLine(flowline(['serve', '--port', '0'], { DATABASE_URL: folder }), 1, new RegExp(`cannot open the SQLite file ${escape(folder)}:.*DATABASE_URL`));
  });

  it('`flowline demo` on a seeded database: says so, and where the credentials are', SPAWNING, () => {
    const env = { DATABASE_URL: join(dir, 'seeded', 'flowline.db') };
    expect(flowline(['demo', '--days', '0'], env).status).toBe(0);
    const file = join(dir, 'seeded', 'demo-credentials.json');
    expectOneLine(flowline(['demo', '--days', '0'], env), 1, new RegExp(`already seeded with the demo; \`flowline serve --demo\` on it prints the demo credentials \\(kept in ${escape(file)}`));
  });

  it('a corrupt demo credentials file: names it and says to delete it, without quoting it', SPAWNING, () => {
    const corrupt = join(dir, 'corrupt.json');
    writeFileSync(corrupt, '{"admin": {"token": "tok-secret-123"');
    const line = expectOneLine(flowline(['simulate', '--url', 'http://127.0.0.1:1', '--credentials', corrupt], {}), 1, new RegExp(`${escape(corrupt)} is corrupt \\(not JSON\\); delete it`));
    expect(line).not.toContain('tok-secret-123');

    // serve --demo refuses it too, rather than overwriting what may be someone's file.
    const env = { DATABASE_URL: join(dir, 'corrupt', 'flowline.db') };
    const file = join(dir, 'corrupt', 'demo-credentials.json');
    mkdirSync(join(dir, 'corrupt'));
    writeFileSync(file, 'garbage');
    expectOneLine(flowline(['serve', '--demo', '--port', '0'], env), 1, new RegExp(`${escape(file)} is corrupt \\(not JSON\\); delete it`));
    expect(readFileSync(file, 'utf8')).toBe('garbage');

    expectOneLine(flowline(['simulate', '--url', 'http://127.0.0.1:1', '--credentials', join(dir, 'none.json')], {}), 2, /none\.json does not exist/);
  });

  it('bad usage exits with 2; help with 0', SPAWNING, () => {
    expect(flowline(['user', 'create'], {}).status).toBe(2);
    expect(flowline(['no-such-command'], {}).status).toBe(2);
    expect(flowline(['migrate', '--database-url', 'mysql://x/y'], {}).status).toBe(2);
    expect(flowline(['--help'], {}).status).toBe(0);
  });

  it('an unknown error keeps its stack: it is a bug to report', SPAWNING, () => {
    const script = [
      "import { Command } from 'commander';",
      "import { runCommandLine } from './src/cli/failures.ts';",
      "const program = new Command('flowline');",
      "program.command('explode').action(() => { throw new Error('not an ordinary failure'); });",
      "await runCommandLine(program, ['node', 'flowline', 'explode']);",
    ].join('\n');
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toContain('not an ordinary failure');
    expect(result.stderr).toMatch(/^\s+at /m);
  });

  it('describes each known failure in one line, and nothing else', () => {
    const database = { databaseUrl: 'postgres://app:pw@db.internal:6543/flowline' };
    expect(describeFailure(new DatabaseNoAnswerError(10), database)).toBe(
      'PostgreSQL at db.internal:6543 did not answer within 10 s; check the host and port in DATABASE_URL, and that no firewall drops the connection',
    );
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND db.internal'), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'db.internal' });
    expect(describeFailure(notFound, database)).toBe('cannot connect to PostgreSQL: host name "db.internal" not found; check the host in DATABASE_URL');
    const timedOut = Object.assign(new Error('connect ETIMEDOUT 10.0.0.9:6543'), { code: 'ETIMEDOUT', syscall: 'connect', address: '10.0.0.9', port: 6543 });
    expect(describeFailure(timedOut, database)).toMatch(/^cannot connect to PostgreSQL at 10\.0\.0\.9:6543: no answer \(timed out\)/);
    expect(describeFailure(new Error('timeout expired'), database)).toMatch(/^PostgreSQL at db\.internal:6543 did not answer in time/);
    for (const line of [describeFailure(new DatabaseNoAnswerError(10), database), describeFailure(timedOut, database)]) expect(line).not.toContain('pw');

    expect(describeFailure(new Error('some bug'))).toBeNull();
    expect(describeFailure(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBeNull();
    // A pg timeout message means nothing when the step was not talking to PostgreSQL.
    expect(describeFailure(new Error('timeout expired'))).toBeNull();
    const missing = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), { code: 'ENOENT', syscall: 'open', path: '/x' });
    expect(describeFailure(missing)).toBeNull();
  });
});

describe('logs readable in a terminal', () => {
  function capture(format: 'json' | 'pretty', level: 'debug' | 'info' = 'debug') {
    const lines: string[] = [];
    const stream: DestinationStream = { write: (line: string) => void lines.push(line) };
    return { logger: createLogger(level, stream, { format }), lines };
  }
  const secrets = { password: 'hunter2-password', nested: { token: 'tok-9f8e7d', ingestKey: 'flik_abcdef' }, headers: { authorization: 'Bearer tok-9f8e7d' } };

  it('pretty: one line per entry with time, level and message; secrets redacted as in JSON', () => {
    const { logger, lines } = capture('pretty');
    logger.info({ ...secrets, file: '/data/demo-credentials.json' }, 'demo data seeded');
    const text = lines.join('');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: demo data seeded .*"file":"\/data\/demo-credentials\.json"/);
    expect(text.trimEnd().split('\n')).toHaveLength(1);
    expect(text).toContain('[redacted]');
    for (const secret of ['hunter2-password', 'tok-9f8e7d', 'flik_abcdef']) expect(text).not.toContain(secret);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('json: one JSON object per line, secrets redacted', () => {
    const { logger, lines } = capture('json');
    logger.info(secrets, 'demo data seeded');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 30, msg: 'demo data seeded', password: '[redacted]', nested: { token: '[redacted]', ingestKey: '[redacted]' }, headers: { authorization: '[redacted]' } });
  });

  it('request lines: none at info, one per request at debug, a 5xx at warn', async () => {
    // Never migrated, so /readyz answers 503.
    const store = openStore(':memory:');
    const info = capture('pretty', 'info');
    const debug = capture('pretty', 'debug');
    const apps = await Promise.all([info, debug].map(({ logger }) => buildApp({ config: loadConfig({}), store, logger })));
    try {
      for (const app of apps) {
        expect((await app.inject('/healthz')).statusCode).toBe(200);
        expect((await app.inject('/readyz')).statusCode).toBe(503);
      }
      expect(info.lines.join('')).not.toContain('/healthz');
      expect(info.lines.filter((l) => l.includes('request completed'))).toEqual([expect.stringMatching(/WARN.*request completed: GET \/readyz 503 in \d+ ms/)]);
      const completed = debug.lines.filter((l) => l.includes('request completed'));
      expect(completed).toHaveLength(2);
      expect(completed[0]).toMatch(/DEBUG.*request completed: GET \/healthz 200 in \d+ ms/);
      expect(debug.lines.join('')).not.toContain('incoming request');
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      await store.close();
    }
  });
});

describe('demo credentials', () => {
  it('each database has its own file: beside the SQLite file, or per PostgreSQL server and database', () => {
    const sqlite = defaultDemoFile(loadConfig({ DATABASE_URL: '/srv/flowline/flowline.db' }));
    expect(sqlite).toBe('/srv/flowline/demo-credentials.json');
    const postgres = defaultDemoFile(loadConfig({ DATABASE_URL: 'postgres://app:s3cret@db.internal:6543/flowline' }));
    expect(postgres).toBe(resolve('data', 'demo-credentials.postgres-db.internal-6543-flowline.json'));
    expect(postgres).not.toContain('s3cret');
    expect(defaultDemoFile(loadConfig({ DATABASE_URL: 'postgres://app@db.internal/other' }))).toBe(resolve('data', 'demo-credentials.postgres-db.internal-5432-other.json'));
    expect(defaultDemoFile(loadConfig({ DATABASE_URL: ':memory:' }))).toBe(resolve('data', 'demo-credentials.sqlite-memory.json'));
    expect(new Set([sqlite, postgres, defaultDemoFile(loadConfig({}))]).size).toBe(3);
  });

  /** Starts `serve`, waits for the credentials, stops it; its output and exit code. */
  async function serveOnce(env: Record<string, string>): Promise<{ stdout: string; stderr: string; code: number | null }> {
    const child = spawn(process.execPath, [BIN, 'serve', '--demo', '--port', '0', '--no-simulator'], { cwd: ROOT, env: userEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const started = Date.now();
    while (!/^token: /m.test(stdout) && child.exitCode === null && Date.now() - started < 45_000) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    return { stdout, stderr, code: await exited };
  }

  it('serve --demo says in one line why it re-issued the credentials; logs are pretty or JSON as asked', { timeout: 300_000 }, async () => {
    const dbDir = join(dir, 'reissue');
    const file = join(dbDir, 'demo-credentials.json');
    const env = { DATABASE_URL: join(dbDir, 'flowline.db'), LOG_LEVEL: 'info' };
    expect(flowline(['demo', '--days', '0'], env).status).toBe(0);
    const first = JSON.parse(readFileSync(file, 'utf8'));

    rmSync(file);
    const missing = await serveOnce({ ...env, LOG_FORMAT: 'pretty' });
    expect(missing.code, missing.stderr).toBe(0);
    expect(missing.stdout).toContain(`re-issued the demo credentials because ${file} was missing; the previous token, password and ingest keys no longer work\n`);
    expect(missing.stdout).not.toContain(`token: ${first.admin.token}`);
    expect(missing.stdout).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Server listening at http:\/\/127\.0\.0\.1:\d+$/m);
    expect(missing.stdout).not.toContain('{"level"');

    // The first credentials, revoked by the re-issue, no longer match the database.
    writeFileSync(file, JSON.stringify(first));
    const stale = await serveOnce(env);
    expect(stale.code, stale.stderr).toBe(0);
    expect(stale.stdout).toContain(`re-issued the demo credentials because the credentials in ${file} no longer match this database;`);
    // Not a terminal and no LOG_FORMAT: JSON lines.
    expect(stale.stdout).toMatch(/^\{"level":30,.*"msg":"Server listening at http:\/\/127\.0\.0\.1:\d+"\}$/m);

    // Unchanged file, unchanged credentials, nothing to explain.
    const reused = await serveOnce(env);
    expect(reused.stdout).not.toContain('re-issued');
    expect(reused.stdout).toContain(`token: ${JSON.parse(readFileSync(file, 'utf8')).admin.token}\n`);
  });
});
