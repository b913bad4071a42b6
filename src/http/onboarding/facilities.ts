import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf } from '../../domain/actor.js';
import { createFacility, getFacility, listFacilities, updateFacility } from '../../domain/onboarding.js';
import type { Store } from '../../store/store.js';
import { principalOf } from '../plugins/auth.js';
import { IdParamSchema, nativeErrors } from '../schemas/common.js';
import { CustomerIdInput, FacilityCreateSchema, FacilityPatchSchema, FacilitySchema, facilityWire } from './schemas.js';

const tags = ['onboarding'];
const IdParams = Type.Object({ id: IdParamSchema });

/** A customer's sites: admins create and change them, users read. */
export const facilityRoutes: FastifyPluginAsyncTypebox<{ store: Store }> = async (app, { store }) => {
  app.get(
    '/facilities',
    {
      schema: {
        tags,
        operationId: 'onboarding.facilities.list',
        summary: 'Facilities you can see',
        querystring: Type.Object({ customer_id: Type.Optional(CustomerIdInput) }),
        response: { 200: Type.Object({ facilities: Type.Array(FacilitySchema) }), ...nativeErrors },
      },
    },
    async (request) => {
      const filter = request.query.customer_id === undefined ? {} : { customerId: request.query.customer_id };
      return { facilities: (await listFacilities(store, actorOf(principalOf(request)), filter)).map(facilityWire) };
    },
  );

  app.post(
    '/facilities',
    { schema: { tags, operationId: 'onboarding.facilities.create', summary: 'Create a facility (admins)', body: FacilityCreateSchema, response: { 201: FacilitySchema, ...nativeErrors } } },
    async (request, reply) => {
      const { customer_id: customerId, time_zone: timeZone, ...rest } = request.body;
      const facility = await createFacility(store, actorOf(principalOf(request)), { ...rest, ...(customerId !== undefined ? { customerId } : {}), ...(timeZone !== undefined ? { timeZone } : {}) });
      return reply.status(201).send(facilityWire(facility));
    },
  );

  app.get(
    '/facilities/:id',
    { schema: { tags, operationId: 'onboarding.facilities.get', summary: 'One facility', params: IdParams, response: { 200: FacilitySchema, ...nativeErrors } } },
    async (request) => facilityWire(await getFacility(store, actorOf(principalOf(request)), request.params.id)),
  );

  app.patch(
    '/facilities/:id',
    { schema: { tags, operationId: 'onboarding.facilities.update', summary: 'Change a facility (admins)', params: IdParams, body: FacilityPatchSchema, response: { 200: FacilitySchema, ...nativeErrors } } },
    async (request) => {
      const { time_zone: timeZone, ...rest } = request.body;
      return facilityWire(await updateFacility(store, actorOf(principalOf(request)), request.params.id, { ...rest, ...(timeZone !== undefined ? { timeZone } : {}) }));
    },
  );
};
