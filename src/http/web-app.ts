import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

/** Where `vite build` writes the web app (web/vite.config.ts); the same from src/ and dist/. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** The app's base path: the router's basename and Vite's `base`. */
export const APP_PREFIX = '/app';

/**
 * Only this origin's scripts run; uPlot sets inline style attributes, hence 'unsafe-inline'
 * for styles alone. No framing (clickjacking), no referrer (links carry no secrets, but an
 * outside link should not learn the page either).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer')
    .header('X-Frame-Options', 'DENY');
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Flowline</title></head><body><main><h1>The web app is not built</h1><p>Run <code>npm run build:web</code> (or <code>npm start</code>, which builds it), then reload.</p></main></body></html>`;

/**
 * Serves the built web app under /app: hashed assets as immutable files, and index.html for
 * every other /app path (the app routes in the browser). `/` leads to it. The HTML is read
 * per request only while the app is not built, so a build made after start is picked up.
 */
export const webAppRoutes: FastifyPluginAsync<{ dist?: string }> = async (app, options) => {
  const dist = options.dist ?? WEB_DIST;
  let indexHtml: string | null = null;
  const readIndex = (): string | null => {
    if (indexHtml !== null) return indexHtml;
    const file = `${dist}/index.html`;
    if (!existsSync(file)) return null;
    indexHtml = readFileSync(file, 'utf8');
    return indexHtml;
  };

  await app.register(fastifyStatic, {
    root: `${dist}/assets`,
    prefix: `${APP_PREFIX}/assets/`,
    decorateReply: false,
    index: false,
    immutable: true,
    maxAge: '365d',
    // A missing asset is a 404, never index.html (a stale tab asks for chunks of an old build).
    schemaHide: true,
  });

  const page = async (_request: unknown, reply: FastifyReply) => {
    const html = readIndex();
    securityHeaders(reply).header('Cache-Control', 'no-cache').type('text/html; charset=utf-8');
    return html === null ? reply.status(503).send(NOT_BUILT) : reply.send(html);
  };
  const hidden = { schema: { hide: true } };
  app.get(APP_PREFIX, hidden, page);
  app.get(`${APP_PREFIX}/*`, hidden, page);
  app.get('/', hidden, async (_request, reply) => reply.redirect(`${APP_PREFIX}/`, 302));
};
