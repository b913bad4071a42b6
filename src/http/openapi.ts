import { MODEL_TYPES, recordSchemas } from '../domain/models.js';
import { serverVersion } from '../version.js';
import fastifySwagger, { type SwaggerTransform } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyReply, FastifySchema } from 'fastify';

type SecurityRequirements = NonNullable<FastifySchema['security']>;

/** The paths the document is served at: `/v2/api-docs` is the one the Fluent seed names. */
export const OPENAPI_PATHS = ['/v2/api-docs', '/openapi.json'] as const;

/** The interactive reference page (Swagger UI, served from the npm package). */
export const DOCS_PREFIX = '/docs';



const TAGS = [
  { name: 'controller', description: 'Fluent: controllers, their hierarchy, readings and alarms (root paths `/controller/…`).' },
  { name: 'subscription', description: 'Fluent: subscriptions to pushed data (root paths `/subscription/…`).' },
  { name: 'version', description: 'Fluent: the API and server version (`/version`).' },
  { name: 'fluxx', description: 'Fluxx (`/api/rest/v2`): generic REST over every model: index, list, get writes, OAuth tokens, the doc page.' },
  { name: 'webhooks', description: 'FlowCommand: webhook endpoints that receive a POST for every ping (`/api/v1/webhooks/`), their delivery log and re-send.' },
  { name: 'flow_sensors', description: 'FlowCommand (`/api/v1`): flow sensors, their pings and flow volumes.' },
  { name: 'account', description: 'Flowline (`/api/flowline/v1`): the signed-in account, its API token and password; set-password links (invitations, resets).' },
  { name: 'onboarding', description: 'Flowline (`/api/flowline/v1`): customers, facilities, controllers and flow sensors, their processes, channels and ingest keys.' },
  { name: 'session', description: 'Flowline (`/api/flowline/v1`): web-app sign-in and sign-out; the session cookie and its CSRF token.' },
  { name: 'accounts', description: "Flowline (`/api/flowline/v1`): a customer's users: invite, change, disable, set-password links." },
  { name: 'monitoring', description: 'Flowline (`/api/flowline/v1`): controllers with latest values, channel readings, alarms.' },
  { name: 'health', description: 'Liveness and readiness probes for orchestrators and load balancers.' },
  { name: 'ingest', description: 'Controllers push readings and alarm events, authenticated by their ingest key.' },
];

const SECURITY_SCHEMES = {
  basicAuth: {
    type: 'http',
    scheme: 'basic',
    description: 'The login e-mail as user name; the API token (as Fluent clients send it) or the password as password.',
  },
  tokenAuth: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'The API token as `Authorization: Token <token>`: enter `Token <token>` as the value.',
  },
  bearerAuth: { type: 'http', scheme: 'bearer', description: 'The API token as `Authorization: Bearer <token>`.' },
  cookieAuth: {
    type: 'apiKey',
    in: 'cookie',
    name: 'flowline_session',
    description:
      'The web-app session (POST /api/flowline/v1/session), used only when no Authorization header is sent; a request that changes something also needs its `X-CSRF-Token`.',
  },
  ingestKey: {
    type: 'http',
    scheme: 'bearer',
    description: "A controller's ingest key as `Authorization: Bearer <key>`; only the ingest routes accept it.",
  },
} as const;

/** Every face accepts a user's account in any of the three forms (see plugins/auth.ts), or a web-app session. */
const ACCOUNT_SECURITY: SecurityRequirements = [{ basicAuth: [] }, { tokenAuth: [] }, { bearerAuth: [] }, { cookieAuth: [] }];

/**
 * Where buildApp and the faces put their authentication hook: the faces are plugins mounted
 * at these prefixes, so the prefix is what decides whether a route needs an account. The
 * rest needs none: /healthz and /readyz are probes, /version carries no tenant data (a
 * client checks it before it has credentials), and /ingest/v1 declares its own ingest-key
 * requirement on the route. test/http/openapi.test.ts holds this table to what the server
 * actually answers without credentials.
 */
const ACCOUNT_PREFIXES = ['/api/flowline/v1/', '/api/v1/', '/api/rest/v2/', '/oauth/applications', '/controller/', '/subscription/'];

function securityFor(url: string): SecurityRequirements {
  return ACCOUNT_PREFIXES.some((prefix) => url.startsWith(prefix)) ? ACCOUNT_SECURITY : [];
}

/**
 * Every operation states its security, an empty list meaning "none", so a reader (and the
 * linter) never has to guess. A route that declares its own requirement keeps it.
 */
const transform: SwaggerTransform = ({ schema, url }) => {
  const own = (schema ?? {}) as FastifySchema;
  return { schema: { ...own, security: own.security ?? securityFor(url) }, url };
};

type SchemaNode = { properties?: Record<string, SchemaNode>; additionalProperties?: unknown; items?: unknown };
type OpenApiDocument = { paths?: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: SchemaNode }> }> }>> };

/**
 * The Fluxx routes serve any model, so their generated schemas say "an object"; point them at
 * the per-model record schemas (components `Fluxx_<type>`) built from the model definitions.
 */
function describeFluxxRecords(document: OpenApiDocument): OpenApiDocument {
  // anyOf: the records of several models can look alike; which one is named by {model_type}.
  const record = { anyOf: MODEL_TYPES.map((type) => ({ $ref: `#/components/schemas/Fluxx_${type}` })) };
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    if (!path.startsWith('/api/rest/v2/{model_type}')) continue;
    for (const operation of Object.values(operations)) {
      for (const status of ['200', '201']) {
        const schema = operation.responses?.[status]?.content?.['application/json']?.schema;
        if (!schema) continue;
        const records = schema.properties?.records;
        if (records && typeof records.additionalProperties === 'object') (records.additionalProperties as SchemaNode).items = record;
        else if (typeof schema.additionalProperties === 'object') schema.additionalProperties = record;
      }
    }
  }
  return document;
}

/** Registers the OpenAPI generator and the routes that serve the document and its page. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  // @fastify/swagger is wrapped by fastify-plugin, so its onRoute hook sits on the root
  // instance and sees the routes of every encapsulated face registered after it.
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Flowline API',
        version: serverVersion().version,
        description:
          'Monitoring data of water treatment controllers and flow sensors, through three faces that share one account model: ' +
          'Walchem Fluent (root paths), FlowCommand (`/api/v1`), Fluxx (`/api/rest/v2`, `/oauth`) and Flowline (`/api/flowline/v1`, `/ingest/v1`).',
      },
      // The document describes the server that serves it, wherever that is installed.
      servers: [{ url: '/', description: 'This server' }],
      tags: TAGS,
      // The Fluxx face's records, from the same model definitions as its validation and doc page.
      components: { securitySchemes: SECURITY_SCHEMES, schemas: recordSchemas() as never },
    },
    transform,
    transformObject: (documentObject) => describeFluxxRecords(('openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject) as OpenApiDocument) as never,
  });

  // Registered on the root instance, outside every face: no authentication, no face envelope.
  const sendDocument = (_request: unknown, reply: FastifyReply) => reply.type('application/json').send(app.swagger());
  for (const path of OPENAPI_PATHS) app.get(path, { schema: { hide: true } }, sendDocument);

  // Swagger UI loads `${DOCS_PREFIX}/json`, which serves the same app.swagger() document.
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    theme: { title: 'Flowline API' },
    // No badge from validator.swagger.io: the page makes no request beyond this server.
    validatorUrl: false,
    uiConfig: { deepLinking: true, displayOperationId: true },
  });
}
