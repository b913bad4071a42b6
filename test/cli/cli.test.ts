import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'flowline.js');
const dir = mkdtempSync(join(tmpdir(), 'flowline-cli-'));
const env = { ...process.env, DATABASE_URL: join(dir, 'flowline.db'), LOG_LEVEL: 'warn' };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function flowline(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// A test that runs several commands starts a Node process for each: seconds apiece on a busy machine.
const COMMANDS_TIMEOUT = 180_000;

const line = (text: string, key: string) => new RegExp(`^${key}: (\\S+)$`, 'm').exec(text)?.[1];

describe('flowline CLI', () => {
  it('says its version', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(flowline('--version')).toStrictEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('migrates, creates a user with a token, and regenerates it', () => {
    expect(flowline('migrate').stdout).toContain('applied: 0001-initial, 0002-flow-rollups, 0003-server-alarms, 0004-webhooks, 0005-api-clients, 0006-onboarding, 0007-sessions, 0008-channel-rollups');
    expect(flowline('migrate').stdout).toContain('already at 0008-channel-rollups');

    // A user without a customer is a platform operator only when the command line says so.
    const unsaid = flowline('user', 'create', '--email', 'Ops@Example.com', '--role', 'admin');
    expect(unsaid.status).toBe(2);
    expect(unsaid.stderr).toBe('flowline: user create needs --customer <id|name> (the customer the user belongs to) or --operator (a platform operator, who belongs to no customer).\n');
    expect(flowline('user', 'list').stdout).toBe('');

    const created = flowline('user', 'create', '--email', 'Ops@Example.com', '--role', 'admin', '--operator', '--token');
    expect(created.status).toBe(0);
    expect(created.stdout).toContain('(admin, platform operator)');
    expect(line(created.stdout, 'username')).toBe('ops@example.com');
    expect(line(created.stdout, 'password')).toMatch(/^\S{12,}$/);
    const first = line(created.stdout, 'token');
    expect(first).toMatch(/^[0-9a-f-]{36}$/);

    const again = flowline('user', 'token', '--email', 'ops@example.com');
    expect(again.status).toBe(0);
    const second = line(again.stdout, 'token');
    expect(second).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).not.toBe(first);

    expect(flowline('user', 'list').stdout).toMatch(/^\d+\tops@example\.com\tadmin\toperator\ttoken\tactive$/m);
  }, COMMANDS_TIMEOUT);

  it('refuses bad input with a message, not a stack trace', () => {
    const duplicate = flowline('user', 'create', '--email', 'ops@example.com', '--operator');
    expect(duplicate.status).toBe(1);
    expect(duplicate.stderr).toContain('already exists');

    const badPort = spawnSync(process.execPath, [BIN, 'serve', '--port', 'eighty'], { cwd: ROOT, env, encoding: 'utf8' });
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toContain('--port="eighty" is not valid: expected an integer from 0 to 65535');

    const badDb = spawnSync(process.execPath, [BIN, 'migrate'], { cwd: ROOT, env: { ...env, DATABASE_URL: 'mysql://x/y' }, encoding: 'utf8' });
    expect(badDb.status).toBe(2);
    expect(badDb.stderr).toContain('DATABASE_URL="mysql://x/y" is not valid: expected an SQLite file path, sqlite:<path>, or postgres://…');
  }, COMMANDS_TIMEOUT);

  it('serves the demo, whose printed credentials read live data, and shuts down cleanly', async () => {
    const demoDir = mkdtempSync(join(tmpdir(), 'flowline-demo-'));
    const child = spawn(process.execPath, [BIN, 'serve', '--demo', '--port', '0', '--simulator-interval', '1'], {
      cwd: ROOT,
      env: { ...env, DATABASE_URL: join(demoDir, 'flowline.db') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      const started = Date.now();
      while (!line(out, 'token') && Date.now() - started < 45_000) await new Promise((r) => setTimeout(r, 200));
      const url = /serving on (http:\/\/\S+)/.exec(out)?.[1];
      const username = line(out, 'username');
      const token = line(out, 'token');
      expect(url && username && token, out).toBeTruthy();
      expect(line(out, 'password')).toBeTruthy();
      expect(statSync(join(demoDir, 'demo-credentials.json')).mode & 0o777).toBe(0o600);

      const auth = { authorization: `Basic ${Buffer.from(`${username}:${token}`).toString('base64')}` };
      const latest = async () => {
        const res = await fetch(`${url}/api/flowline/v1/controllers`, { headers: auth });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { controllers: { channels: { latest_time: string | null }[] }[] };
        return Math.max(...body.controllers.flatMap((c) => c.channels.map((ch) => (ch.latest_time ? Date.parse(ch.latest_time) : 0))));
      };
      const before = await latest();
      expect(before).toBeGreaterThan(Date.now() - 10 * 60_000);
      // The simulator keeps adding readings through the ingest API.
      const deadline = Date.now() + 10_000;
      let after = before;
      while (after <= before && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        after = await latest();
      }
      expect(after).toBeGreaterThan(before);
    } finally {
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      rmSync(demoDir, { recursive: true, force: true });
      expect(code, out).toBe(0);
    }
  }, 90_000);
});
