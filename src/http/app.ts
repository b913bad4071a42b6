import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { trustProxyOption, type Config } from '../config.js';
import { scopeOf } from '../domain/auth.js';
import type { Scope } from '../domain/scope.js';
import { systemClock, type Clock } from '../domain/time.js';
import { ERRORS } from '../errors.js';
import { createLogger, RequestLogController } from '../logger.js';
import type { Store } from '../store/store.js';
import type { RateCounter } from '../ratelimit/counter.js';
import { parseRateLimits } from '../ratelimit/policy.js';
import { FLOWLINE_THROTTLED, setUpRateLimiting } from '../ratelimit/setup.js';
import { errorHandler, renderNativeError, toAppError, type ErrorRenderer } from './plugins/error-handler.js';
import { accountRoutes } from './routes/account.js';
import { sessionRoutes } from './routes/session.js';
import { customerRoutes } from './onboarding/customers.js';
import { facilityRoutes } from './onboarding/facilities.js';
import { controllerRoutes } from './onboarding/controllers.js';
import { userRoutes } from './onboarding/users.js';
import type { LinkServices } from '../domain/accounts.js';
import { mailerFor, type Mailer } from '../mail/mailer.js';
import { healthRoutes } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';
import { monitoringRoutes } from './routes/monitoring.js';
import { seriesRoutes } from './routes/series.js';
import { webhookToolRoutes } from './routes/webhook-tools.js';
import { flowCommandFace, renderDetailError } from './flowcommand/index.js';
import { FLUENT_PATH_PREFIXES, fluentFace, renderFluentError } from './fluent/index.js';
import { BASE as FLUXX_BASE, fluxxFace, renderFluxxError } from './fluxx/index.js';
import { oauthRoutes } from './fluxx/oauth.js';
import { registerOpenApi } from './openapi.js';
import { webAppRoutes } from './web-app.js';
import { createValidatorCompiler } from './validation.js';
import { newSecretKey, parseSecretKey, secretBox, type SecretBox } from '../domain/secret-box.js';
import type { EndpointServices } from '../domain/webhook-endpoints.js';
import { allowedNetworks } from '../webhooks/destination.js';

export interface AppDependencies {
  config: Config;
  store: Store;
  clock?: Clock;
  logger?: Logger;
  /** Rate-limit counters to use instead of those the configuration selects (tests share one between apps). */
  rateCounter?: RateCounter;
  /** Seals webhook secrets; `serve` passes one keyed by SECRET_KEY or its key file. */
  secrets?: SecretBox;
  /** Told when an ingest may have queued webhook deliveries. */
  webhookWorker?: { poke(): void };
  /** Sends invitations and reset links; by default the one SMTP_URL configures (none: links are only returned). */
  mailer?: Mailer;
}

/** Where people reach this server, for links in mail: PUBLIC_URL, or the address it listens on. */
export function publicUrlOf(config: Config): string {
  if (config.publicUrl !== undefined) return config.publicUrl;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}`;
}

/**
 * Each face's error envelope by path prefix, for errors raised before routing (malformed URLs),
 * when no face's own error handler is in charge yet.
 */
const FACE_ERROR_RENDERERS: [prefix: string, render: ErrorRenderer][] = [
  ['/api/v1', renderDetailError],
  [FLUXX_BASE, renderFluxxError],
  ['/oauth', renderFluxxError],
  ...FLUENT_PATH_PREFIXES.map((prefix): [string, ErrorRenderer] => [prefix, renderFluentError]),
];

function rendererForPath(url: string): ErrorRenderer {
  const path = url.split('?')[0]!;
  const face = FACE_ERROR_RENDERERS.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`));
  return face ? face[1] : renderNativeError;
}

/**
 * SECRET_KEY when configured; otherwise a key that lives as long as the process (fine for
 * tests and benches; `serve` always passes a lasting one, see cli/serve.ts).
 */
function secretBoxFor(config: Config, log: FastifyBaseLogger): SecretBox {
  if (config.secretKey) return secretBox(parseSecretKey(config.secretKey));
  log.debug('no SECRET_KEY: webhook secrets are sealed with a key that dies with this process');
  return secretBox(parseSecretKey(newSecretKey()));
}

/** Bodies beyond this are refused with 413 unless a route (ingest) allows more. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * Builds the whole HTTP server from its dependencies. It holds no module-level state, so a
 * process (or a test) can run several apps on several stores side by side.
 */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const clock = deps.clock ?? systemClock;
  const app = Fastify({
    loggerInstance: (deps.logger ?? createLogger(deps.config.logLevel, undefined, { format: deps.config.logFormat })) as FastifyBaseLogger,
    // Request lines at debug (5xx at warn): see "Logging" in docs/architecture.md.
    logController: new RequestLogController(),
    bodyLimit: DEFAULT_BODY_LIMIT,
    // Fluent clients call `controller/list` with and without the trailing slash.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    return503OnClosing: true,
    trustProxy: trustProxyOption(deps.config),
    // URLs refused before routing (bad percent-encoding, over-long parameters) get the same envelope.
    frameworkErrors: (error, request, reply) => {
      const appError = toAppError(error);
      const render = rendererForPath(request.raw.url ?? '');
      void (reply as FastifyReply).status(appError.status).send(render(appError, request as FastifyRequest));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(createValidatorCompiler());
  app.decorateRequest('principal', null);
  // Derived from the principal, so a route that forgot authentication fails closed (401)
  // instead of running with some default scope.
  app.decorateRequest('scope', {
    getter(this: FastifyRequest): Scope {
      if (!this.principal) throw ERRORS.notAuthenticated();
      return scopeOf(this.principal);
    },
  });
  app.setErrorHandler(errorHandler(renderNativeError));
  app.setNotFoundHandler((request, reply) => {
    const error = ERRORS.notFound(`Route ${request.method} ${request.url.split('?')[0]}`);
    return reply.status(404).send(rendererForPath(request.url)(error, request));
  });

  const { store } = deps;
  // Before any route: the OpenAPI generator collects routes as they are added.
  await registerOpenApi(app);
  await app.register(healthRoutes, { store });
  await app.register(ingestRoutes, { store, clock, ...(deps.webhookWorker ? { onQueued: deps.webhookWorker.poke } : {}) });
  const { guard, signIn } = await setUpRateLimiting(app, deps.config, store, clock, deps.rateCounter);
  const ownMailer = deps.mailer ? null : mailerFor(deps.config);
  if (ownMailer?.close) app.addHook('onClose', async () => ownMailer.close?.());
  const mailer = deps.mailer ?? ownMailer!;
  const links: LinkServices = { store, clock, mailer, publicUrl: publicUrlOf(deps.config) };
  const webhooks: EndpointServices = {
    store,
    secrets: deps.secrets ?? secretBoxFor(deps.config, app.log),
    allowed: allowedNetworks(deps.config.webhookAllowedNetworks),
    clock,
  };
  await app.register(
    async (api) => {
      api.addHook('onRequest', guard('flowline', FLOWLINE_THROTTLED));
      await api.register(sessionRoutes, { store, clock, throttle: signIn, httpsPublicUrl: deps.config.publicUrl?.startsWith('https:') === true });
      await api.register(accountRoutes, { store, clock, links, throttle: signIn });
      await api.register(monitoringRoutes, { store });
      await api.register(seriesRoutes, { store, clock });
      await api.register(customerRoutes, { store, clock });
      await api.register(facilityRoutes, { store });
      await api.register(controllerRoutes, { store, clock });
      await api.register(userRoutes, { links });
      await api.register(webhookToolRoutes, { services: webhooks, ...(deps.webhookWorker ? { onQueued: deps.webhookWorker.poke } : {}) });
    },
    { prefix: '/api/flowline/v1' },
  );
  await app.register(flowCommandFace, { store, guard, webhooks, prefix: '/api/v1' });
  await app.register(fluentFace, { store, guard, clock, webhooks });
  await app.register(fluxxFace, { store, guard, clock, limits: parseRateLimits(deps.config.rateLimits).fluxx, links, prefix: FLUXX_BASE });
  await app.register(oauthRoutes, { store, guard, clock });
  await app.register(webAppRoutes);

  return app;
}
