import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { webAppRoutes } from '../../src/http/web-app.js';

/** How the server serves the built web app: HTML for app routes, immutable assets, `/` → /app/. */
describe('web app serving', () => {
  const dist = mkdtempSync(join(tmpdir(), 'flowline-web-'));
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  const appOn = async (folder: string) => {
    const app = Fastify();
    await app.register(webAppRoutes, { dist: folder });
    return app;
  };

  it('answers index.html for every /app path, with no-cache and a strict content security policy', async () => {
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Flowline</title>');
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    const app = await appOn(dist);
    for (const url of ['/app', '/app/', '/app/controllers/7', '/app/set-password']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.body).toContain('<title>Flowline</title>');
    }
    const asset = await app.inject('/app/assets/index-abc123.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    // A stale tab's old chunk is a 404, never the HTML page parsed as a script.
    expect((await app.inject('/app/assets/index-old.js')).statusCode).toBe(404);
    const root = await app.inject('/');
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/app/');
    await app.close();
  });

  it('says how to build the app when it was never built', async () => {
    const app = await appOn(join(dist, 'missing'));
    const res = await app.inject('/app/');
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build:web');
    await app.close();
  });
});
