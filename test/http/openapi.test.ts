import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as FastifyModule from 'fastify';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { formatParamUrl } from '@fastify/swagger';
import { DOCS_PREFIX, OPENAPI_PATHS } from '../../src/http/openapi.js';
import { buildTestApp } from '../helpers/app.js';
import { storeFactories } from '../helpers/stores.js';

/**
 * Every route the app registers, with its schema, as Fastify announced it: printRoutes shows
 * neither schemas (so not `hide`) nor wildcard paths faithfully, so Fastify is wrapped to
 * record its onRoute calls from the moment buildApp creates the instance.
 */
const recorded = vi.hoisted(() => new WeakMap<object, RouteOptions[]>());
vi.mock('fastify', async (importOriginal) => {
  const actual = await importOriginal<typeof FastifyModule>();
  const recording = ((options?: unknown) => {
    const app = (actual.default as (options?: unknown) => FastifyInstance)(options);
    const routes: RouteOptions[] = [];
    recorded.set(app, routes);
    app.addHook('onRoute', (route) => {
      routes.push(route);
    });
    return app;
  }) as unknown as typeof actual.default;
  return { ...actual, default: recording };
});

interface Operation {
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string }[];
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  tags: { name: string; description?: string }[];
  components: { securitySchemes: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
}

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Fastify's path as the document writes it, with the trailing slash left out (the router ignores it). */
const documentPath = (url: string) => formatParamUrl(url).replace(/(.)\/$/, '$1');

const operationsOf = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })));

const methodsOf = (route: RouteOptions) => (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');

for (const factory of storeFactories().filter((f) => f.name === 'sqlite')) {
  describe(`${factory.name}: OpenAPI document and reference page`, () => {
    let app: FastifyInstance;
    let drop: () => Promise<void>;
    let doc: Document;

    beforeAll(async () => {
      const created = await factory.create();
      drop = created.drop;
      app = await buildTestApp(created.store);
      doc = (await app.inject('/openapi.json')).json();
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    it('serves one OpenAPI 3.1 document at /v2/api-docs and /openapi.json, without credentials', async () => {
      const [fluent, plain] = await Promise.all(OPENAPI_PATHS.map((url) => app.inject(url)));
      for (const res of [fluent!, plain!]) {
        expect(res.statusCode, res.body).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
      }
      expect(fluent!.json()).toEqual(plain!.json());
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.info).toMatchObject({ title: 'Flowline API', version });
      expect(Object.keys(doc.components.securitySchemes)).toEqual(expect.arrayContaining(['basicAuth', 'tokenAuth', 'bearerAuth']));
    });

    it('documents every route that is not hidden, and no hidden one', () => {
      const routes = recorded.get(app)!;
      expect(routes.length).toBeGreaterThan(0);
      const documented = new Set(operationsOf(doc).map(({ path, method }) => `${method.toUpperCase()} ${documentPath(path)}`));
      const expected = routes.filter((r) => !r.schema?.hide).flatMap((r) => methodsOf(r).map((m) => `${m} ${documentPath(r.url)}`));
      const hidden = routes.filter((r) => r.schema?.hide).flatMap((r) => methodsOf(r).map((m) => `${m} ${documentPath(r.url)}`));
      expect([...documented].sort()).toEqual([...new Set(expected)].sort());
      expect(hidden.filter((route) => documented.has(route))).toEqual([]);
      // The documentation's own routes are hidden, whatever else changes.
      for (const path of OPENAPI_PATHS) expect(hidden).toContain(`GET ${path}`);
      expect(hidden).toContain(`GET ${DOCS_PREFIX}`);
    });

    it('writes path parameters as {name}, regex constraints dropped, each declared by its operation', () => {
      expect(doc.paths['/api/v1/flow_sensors/{id}/pings/']?.get).toBeDefined();
      for (const { path, method, operation } of operationsOf(doc)) {
        expect(path, `${method} ${path}`).not.toMatch(/[:()^\\*]/);
        const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        expect(declared.sort(), `${method} ${path}`).toEqual(inPath.sort());
      }
    });

    it('gives every operation a unique operationId and declared tags', () => {
      const declaredTags = new Set(doc.tags.map((t) => t.name));
      const ids = operationsOf(doc).map(({ path, method, operation }) => {
        expect(operation.operationId, `${method} ${path}`).toEqual(expect.any(String));
        expect(operation.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
        for (const tag of operation.tags!) expect(declaredTags, `${method} ${path}: tag ${tag}`).toContain(tag);
        return operation.operationId;
      });
      expect(new Set(ids).size).toBe(ids.length);
      for (const tag of doc.tags) expect(tag.description, tag.name).toEqual(expect.any(String));
    });

    it('states security on every operation, as the server enforces it', async () => {
      for (const { path, method, operation } of operationsOf(doc)) {
        const label = `${method.toUpperCase()} ${path}`;
        expect(operation.security, label).toBeDefined();
        for (const requirement of operation.security!) {
          for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes, label).toHaveProperty(scheme);
        }
        // Any value reaches the handler's route: authentication runs before parameters are validated.
        const url = path.replace(/\{[^}]+\}/g, '1');
        const res = await app.inject({ method: method.toUpperCase() as 'GET', url });
        if (operation.security!.length > 0) expect(res.statusCode, `${label} without credentials`).toBe(401);
        else expect(res.statusCode, `${label} without credentials`).not.toBe(401);
      }
    });

    it('serves the reference page at /docs with its assets from this server, pointing at the document', async () => {
      const origin = 'http://flowline.test';
      // With and without the trailing slash: the page links its assets relative to the URL it was served at.
      for (const pageUrl of [DOCS_PREFIX, `${DOCS_PREFIX}/`]) {
        const page = await app.inject(pageUrl);
        expect(page.statusCode, pageUrl).toBe(200);
        expect(page.headers['content-type']).toMatch(/^text\/html/);
        const assets = [...page.body.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => new URL(m[1]!, `${origin}${pageUrl}`));
        expect(assets.some((a) => a.pathname.endsWith('.js'))).toBe(true);
        expect(assets.some((a) => a.pathname.endsWith('.css'))).toBe(true);
        for (const asset of assets) {
          // Nothing from a CDN: every asset is served by this server, from the npm package.
          expect(asset.origin, asset.href).toBe(origin);
          const res = await app.inject(asset.pathname);
          expect(res.statusCode, asset.pathname).toBe(200);
          if (asset.pathname.endsWith('.css')) expect(res.body, asset.pathname).not.toMatch(/url\(\s*['"]?(?:https?:)?\/\//);
        }
      }
      const initializer = await app.inject(`${DOCS_PREFIX}/static/swagger-initializer.js`);
      expect(initializer.body).toContain("url: resolveUrl('./json')");
      const loaded = await app.inject(`${DOCS_PREFIX}/json`);
      expect(loaded.statusCode).toBe(200);
      expect(loaded.json()).toEqual(doc);
    });
  });
}
