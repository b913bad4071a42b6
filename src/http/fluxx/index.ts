import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Clock } from '../../domain/time.js';
import { formatIsoSeconds } from '../../domain/time.js';
import { ERRORS } from '../../errors.js';
import { isModelType, MODEL_TYPES, MODELS, type FieldDef, type ModelDef } from '../../domain/models.js';
import { colsOf, mergeParams, parseIndexParams, type IndexParams } from '../../fluxx/params.js';
import type { FacePolicies } from '../../ratelimit/policy.js';
import type { FaceGuardFactory } from '../../ratelimit/setup.js';
import type { RecordRow } from '../../store/record-query.js';
import type { Store } from '../../store/store.js';
import { errorHandler, type ErrorRenderer } from '../plugins/error-handler.js';
import { principalOf } from '../plugins/auth.js';
import { apiDoc, apiDocHtml, classDoc, classDocHtml } from '../../fluxx/doc.js';
import { createRecord, dataOf, deleteRecord, updateRecord } from '../../fluxx/writes.js';
import type { LinkServices } from '../../domain/accounts.js';

/**
 * The Fluxx face (seed 001) at /api/rest/v2: generic REST over every model of
 * src/domain/models.ts, in the wire format public Fluxx clients read: index, get, create,
 * update, delete and the documentation page; tokens are src/http/fluxx/oauth.ts.
 */

/** Fluxx's envelope: `{"error": {"code": <int>, "message"}}`, the code being the HTTP status. */
export const renderFluxxError: ErrorRenderer = (error) => ({ error: { code: error.status, message: error.message } });

/** Fluxx clients send parameters as forms and multipart as often as JSON. */
export async function registerBodyParsers(app: FastifyInstance): Promise<void> {
  await app.register(formbody);
  await app.register(multipart, { attachFieldsToBody: 'keyValues', limits: { fileSize: 0, files: 0, fields: 100, fieldSize: 256 * 1024 } });
}

/** The face's wording of a 429 (also on /oauth). */
export const fluxxThrottled = (seconds: number) => `Rate limit exceeded: try again in ${seconds} seconds.`;

/** Where the face is mounted (src/http/app.ts). */
export const BASE = '/api/rest/v2';

export const ErrorSchema = Type.Object({ error: Type.Object({ code: Type.Integer(), message: Type.String() }) });
const errors = { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 429: ErrorSchema } as const;
const ModelParams = Type.Object({ model_type: Type.String({ maxLength: 100, description: `One of ${MODEL_TYPES.join(', ')}` }) });
const RecordParams = Type.Object({ model_type: ModelParams.properties.model_type, id: Type.String({ pattern: '^[0-9]{1,15}$' }) });
const AnyRecord = Type.Object({}, { additionalProperties: true });

function modelOf(type: string): ModelDef {
  if (!isModelType(type)) throw ERRORS.notFound(`Model type "${type}" (known: ${MODEL_TYPES.join(', ')})`);
  return MODELS[type];
}

/** A row as Fluxx clients read it: blank (null) fields left out, dates `YYYY-MM-DDTHH:MM:SSZ`. */
function wire(fields: FieldDef[], row: RecordRow): Record<string, unknown> {
  const out: Record<string, unknown> = { id: row.id };
  for (const field of fields) {
    const value = row[field.name];
    if (value === null || value === undefined) continue;
    out[field.name] = field.type === 'datetime' ? formatIsoSeconds(Number(value)) : field.type === 'boolean' ? Number(value) === 1 : value;
  }
  return out;
}

export const fluxxFace: FastifyPluginAsyncTypebox<{ store: Store; guard: FaceGuardFactory; clock: Clock; limits: FacePolicies; links?: LinkServices }> = async (app, { store, guard, clock, limits, links }) => {
  app.setErrorHandler(errorHandler(renderFluxxError));
  app.setNotFoundHandler((request, reply) => reply.status(404).send(renderFluxxError(ERRORS.notFound(`Route ${request.method} ${request.url.split('?')[0]}`), request)));
  await registerBodyParsers(app);
  app.addHook('onRequest', guard('fluxx', fluxxThrottled));

  /** Each relation's parent records, in place of the id, as an array of objects. */
  async function expand(request: FastifyRequest, params: IndexParams, records: Record<string, unknown>[], rows: RecordRow[]): Promise<void> {
    for (const { field, target, fields } of params.relation) {
      const ids = [...new Set(rows.map((r) => r[field.name]).filter((v): v is number => typeof v === 'number'))];
      const parents = await store.queryRecords(request.scope, { model: target, fields, sort: [], limit: ids.length || 1, offset: 0, ids }, clock.now());
      const byId = new Map(parents.rows.map((p) => [p.id, wire(fields, p)]));
      rows.forEach((row, i) => {
        const parent = byId.get(row[field.name]);
        if (parent) records[i]![field.name] = [parent];
      });
    }
  }

  async function index(request: FastifyRequest<{ Params: { model_type: string } }>) {
    const model = modelOf(request.params.model_type);
    const params = parseIndexParams(model, mergeParams(request.query, request.body));
    const fields = [...new Set([...params.fields, ...params.relation.map((r) => r.field)])];
    const { rows, total } = await store.queryRecords(
      request.scope,
      {
        model,
        fields,
        ...(params.filter ? { filter: params.filter } : {}),
        ...(params.search ? { search: params.search } : {}),
        sort: params.sort,
        limit: params.perPage,
        offset: (params.page - 1) * params.perPage,
      },
      clock.now(),
    );
    const records = rows.map((row) => wire(fields, row));
    await expand(request, params, records, rows);
    return {
      records: { [model.type]: records },
      total_pages: Math.ceil(total / params.perPage),
      total_entries: total,
      current_page: params.page,
      per_page: params.perPage,
    };
  }

  const IndexAnswer = Type.Object({
    records: Type.Record(Type.String(), Type.Array(AnyRecord)),
    total_pages: Type.Integer(),
    total_entries: Type.Integer(),
    current_page: Type.Integer(),
    per_page: Type.Integer(),
  });
  const indexDescription =
    'Parameters from the query string, a form, multipart or JSON: `cols` (JSON array), `page`, `per_page` (25, at most 500), `filter` ' +
    '(`{"group_type": "and", "conditions": [[field, operator, value], …]}`), `sort` (`["field","asc"]` or a list of them; or `sort_attribute`/`sort_order`), ' +
    '`relation` (`{"facility_id": ["name"]}`), `query` (text search), `style` (accepted).';

  app.get('/:model_type', { config: { rateClass: 'list' }, schema: { tags: ['fluxx'], operationId: 'fluxx.index', summary: 'List records of a model', description: indexDescription, params: ModelParams, response: { 200: IndexAnswer, ...errors } } }, index);
  app.post('/:model_type/list', { config: { rateClass: 'list' }, schema: { tags: ['fluxx'], operationId: 'fluxx.list', summary: 'List records of a model (parameters in the body)', description: indexDescription, params: ModelParams, response: { 200: IndexAnswer, ...errors } } }, index);

  // Writes: `data` (a JSON object, as text or decoded) and `cols` (the fields to answer with).
  const answerWith = async (request: FastifyRequest, model: ModelDef, id: number, raw: Record<string, unknown>) => {
    const fields = colsOf(model, raw);
    const { rows } = await store.queryRecords(request.scope, { model, fields, sort: [], limit: 1, offset: 0, id }, clock.now());
    return { [model.type]: wire(fields, rows[0] ?? { id }) };
  };
  const WriteAnswer = Type.Record(Type.String(), AnyRecord);
  const writeErrors = { ...errors, 403: ErrorSchema, 409: ErrorSchema } as const;

  app.post(
    '/:model_type',
    { config: { rateClass: 'write' }, schema: { tags: ['fluxx'], operationId: 'fluxx.create', summary: 'Create a record', description: '`data`: JSON object of field values; `cols`: fields to answer with.', params: ModelParams, response: { 201: WriteAnswer, ...writeErrors } } },
    async (request, reply) => {
      const model = modelOf(request.params.model_type);
      const raw = mergeParams(request.query, request.body);
      const id = await createRecord(store, principalOf(request), model, dataOf(raw.data), clock.now(), links);
      return reply.status(201).send(await answerWith(request, model, id, raw));
    },
  );
  app.put(
    '/:model_type/:id',
    { config: { rateClass: 'write' }, schema: { tags: ['fluxx'], operationId: 'fluxx.update', summary: 'Update a record', description: '`data`: the fields to change (`""` clears one); `cols`: fields to answer with.', params: RecordParams, response: { 200: WriteAnswer, ...writeErrors } } },
    async (request) => {
      const model = modelOf(request.params.model_type);
      const raw = mergeParams(request.query, request.body);
      const id = await updateRecord(store, principalOf(request), model, Number(request.params.id), dataOf(raw.data));
      return answerWith(request, model, id, raw);
    },
  );
  app.delete(
    '/:model_type/:id',
    { config: { rateClass: 'write' }, schema: { tags: ['fluxx'], operationId: 'fluxx.delete', summary: 'Delete a record (answers true)', params: RecordParams, response: { 200: Type.Literal(true), ...writeErrors } } },
    async (request) => {
      await deleteRecord(store, principalOf(request), modelOf(request.params.model_type), Number(request.params.id));
      return true as const;
    },
  );

  // The documentation page: admins only (seed 001), HTML or, with ?format=json or Accept: application/json, JSON.
  const wantsJson = (request: FastifyRequest) => (request.query as { format?: string }).format === 'json' || /application\/json/.test(request.headers.accept ?? '');
  const adminOnly = (request: FastifyRequest) => {
    if (principalOf(request).role !== 'admin') throw ERRORS.forbidden('The API documentation is for admins.');
  };
  const DocQuery = Type.Object({ format: Type.Optional(Type.Literal('json')) });
  app.get(
    '/doc',
    { config: { rateClass: 'get' }, schema: { tags: ['fluxx'], operationId: 'fluxx.doc', summary: 'The API documentation (admins)', querystring: DocQuery, response: { 200: Type.Unknown({ description: 'An HTML page; JSON with ?format=json' }), 403: ErrorSchema, ...errors } } },
    async (request, reply) => {
      adminOnly(request);
      const doc = apiDoc(BASE, limits);
      return wantsJson(request) ? reply.type('application/json').send(doc) : reply.type('text/html; charset=utf-8').send(apiDocHtml(doc));
    },
  );
  app.get(
    '/doc/:model_type',
    { config: { rateClass: 'get' }, schema: { tags: ['fluxx'], operationId: 'fluxx.classDoc', summary: "A class's fields and sample calls (admins)", params: ModelParams, querystring: DocQuery, response: { 200: Type.Unknown({ description: 'An HTML page; JSON with ?format=json' }), 403: ErrorSchema, ...errors } } },
    async (request, reply) => {
      adminOnly(request);
      const doc = classDoc(modelOf(request.params.model_type), `${request.protocol}://${request.host}`, BASE);
      return wantsJson(request) ? reply.type('application/json').send(doc) : reply.type('text/html; charset=utf-8').send(classDocHtml(doc));
    },
  );

  app.get(
    '/:model_type/:id',
    { config: { rateClass: 'get' }, schema: { tags: ['fluxx'], operationId: 'fluxx.get', summary: 'One record', description: '`cols` (JSON array) chooses the fields; `id` always comes back.', params: RecordParams, response: { 200: Type.Record(Type.String(), AnyRecord), ...errors } } },
    async (request) => {
      const model = modelOf(request.params.model_type);
      const fields = colsOf(model, mergeParams(request.query, undefined));
      const { rows } = await store.queryRecords(request.scope, { model, fields, sort: [], limit: 1, offset: 0, id: Number(request.params.id) }, clock.now());
      if (rows.length === 0) throw ERRORS.notFound(`${model.type} ${request.params.id}`);
      return { [model.type]: wire(fields, rows[0]!) };
    },
  );
};
