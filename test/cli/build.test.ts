import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The production build: `tsc -p tsconfig.build.json` emits JavaScript that plain `node` runs,
 * without tsx and without the sources. It is compiled into a folder of its own (not dist/, which
 * a developer may be using) inside the repository, at dist/'s depth, so that the compiled code
 * resolves node_modules and finds package.json exactly as dist/ does.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const OUT = join(ROOT, `.build-test-${randomBytes(6).toString('hex')}`);
const MAIN = join(OUT, 'cli', 'main.js');
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const dataDir = mkdtempSync(join(tmpdir(), 'flowline-build-'));

/** A plain `node`: no loader through NODE_OPTIONS, no configuration from the developer's shell. */
const plainEnv = { PATH: process.env.PATH ?? '' };

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
}

beforeAll(() => {
  const tsc = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.build.json', '--outDir', OUT], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  expect(tsc.status, `${tsc.stdout}${tsc.stderr}`).toBe(0);
}, 240_000);

afterAll(() => {
  rmSync(OUT, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the compiled build', () => {
  it('is JavaScript only: every module of src/ but its tests, and nothing else', () => {
    const files = filesUnder(OUT).sort();
    expect(files).toContain(join('cli', 'main.js'));
    expect(files).toContain(join('store', 'migrations', 'index.js'));
    expect(files.filter((f) => !f.endsWith('.js'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.test.js'))).toEqual([]);
    const sources = filesUnder(join(ROOT, 'src'))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => f.replace(/\.ts$/, '.js'))
      .sort();
    expect(files).toEqual(sources);
  });

  it('answers --help under plain node', () => {
    const help = spawnSync(process.execPath, [MAIN, '--help'], { cwd: dataDir, env: plainEnv, encoding: 'utf8', timeout: 30_000 });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: flowline /);
    for (const command of ['serve', 'migrate', 'user', 'demo', 'simulate']) expect(help.stdout).toMatch(new RegExp(`^ {2}${command} `, 'm'));
    expect(help.stderr).toBe('');
  });

  it('serves on a fresh SQLite file: migrates, answers /healthz, /readyz and the API reference, and stops on SIGTERM', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    // Started outside the repository: nothing may be read relative to the working directory.
    const child: ChildProcess = spawn(process.execPath, [MAIN, 'serve'], {
      cwd: dataDir,
      env: { ...plainEnv, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: join(dataDir, 'flowline.db'), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const started = Date.now();
      while (!/serving on http:\/\/\S+/.test(out) && child.exitCode === null && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 100));
      const url = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      expect(url, out).toBeDefined();

      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', store: 'sqlite' });
      // The document names the package's version, read from package.json beside the build.
      const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { info: { version: string } };
      expect(doc.info.version).toBe(version);
      // The reference page and its assets come from the swagger-ui package.
      const page = await fetch(`${url}/docs`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
    }
    expect(await exited, out).toBe(0);
  }, 60_000);
});
