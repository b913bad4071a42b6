import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf } from '../../domain/actor.js';
import { createCustomer, getCustomer, listCustomers, updateCustomer } from '../../domain/onboarding.js';
import type { Clock } from '../../domain/time.js';
import type { Store } from '../../store/store.js';
import { principalOf } from '../plugins/auth.js';
import { IdParamSchema, nativeErrors } from '../schemas/common.js';
import { CustomerCreateSchema, CustomerPatchSchema, CustomerSchema, customerWire } from './schemas.js';

const tags = ['onboarding'];
const IdParams = Type.Object({ id: IdParamSchema });

/** Customers: platform operators create, rename and disable them; everyone sees their own. */
export const customerRoutes: FastifyPluginAsyncTypebox<{ store: Store; clock: Clock }> = async (app, { store, clock }) => {
  app.get(
    '/customers',
    { schema: { tags, operationId: 'onboarding.customers.list', summary: 'Customers you can see (operators: all)', response: { 200: Type.Object({ customers: Type.Array(CustomerSchema) }), ...nativeErrors } } },
    async (request) => ({ customers: (await listCustomers(store, actorOf(principalOf(request)))).map(customerWire) }),
  );

  app.post(
    '/customers',
    { schema: { tags, operationId: 'onboarding.customers.create', summary: 'Create a customer (platform operators)', body: CustomerCreateSchema, response: { 201: CustomerSchema, ...nativeErrors } } },
    async (request, reply) => reply.status(201).send(customerWire(await createCustomer(store, actorOf(principalOf(request)), request.body))),
  );

  app.get(
    '/customers/:id',
    { schema: { tags, operationId: 'onboarding.customers.get', summary: 'One customer', params: IdParams, response: { 200: CustomerSchema, ...nativeErrors } } },
    async (request) => customerWire(await getCustomer(store, actorOf(principalOf(request)), request.params.id)),
  );

  app.patch(
    '/customers/:id',
    {
      schema: {
        tags,
        operationId: 'onboarding.customers.update',
        summary: 'Rename, disable or enable a customer (platform operators)',
        description: "Disabling stops every credential of the customer at once (users' passwords and tokens, API clients, ingest keys) and holds its webhooks; its data is kept, and enabling brings everything back.",
        params: IdParams,
        body: CustomerPatchSchema,
        response: { 200: CustomerSchema, ...nativeErrors },
      },
    },
    async (request) => customerWire(await updateCustomer(store, actorOf(principalOf(request)), request.params.id, request.body, clock)),
  );
};
