import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { getUser, inviteUser, listUsers, resetUserPassword, updateUser, type LinkServices } from '../../domain/accounts.js';
import { actorOf } from '../../domain/actor.js';
import { principalOf } from '../plugins/auth.js';
import { IdParamSchema, nativeErrors } from '../schemas/common.js';
import { CustomerIdInput, PasswordLinkSchema, passwordLinkWire, UserInviteSchema, UserPatchSchema, UserSchema, userWire } from './schemas.js';

const tags = ['accounts'];
const IdParams = Type.Object({ id: IdParamSchema });
const InvitedSchema = Type.Object({ user: UserSchema, set_password_link: PasswordLinkSchema });

/** A customer's users: admins invite, change, disable them and send reset links; users read. */
export const userRoutes: FastifyPluginAsyncTypebox<{ links: LinkServices }> = async (app, { links }) => {
  const { store, clock } = links;
  const mailFailed = (request: { log: { warn(o: object, m: string): void } }) => (error: unknown) => request.log.warn({ err: error }, 'could not e-mail a set-password link');

  app.get(
    '/users',
    {
      schema: {
        tags,
        operationId: 'accounts.users.list',
        summary: 'Users you can see',
        querystring: Type.Object({ customer_id: Type.Optional(CustomerIdInput) }),
        response: { 200: Type.Object({ users: Type.Array(UserSchema) }), ...nativeErrors },
      },
    },
    async (request) => {
      const filter = request.query.customer_id === undefined ? {} : { customerId: request.query.customer_id };
      return { users: (await listUsers(store, actorOf(principalOf(request)), filter)).map(userWire) };
    },
  );

  app.post(
    '/users',
    {
      schema: {
        tags,
        operationId: 'accounts.users.invite',
        summary: 'Invite a user (admins): a one-time, expiring set-password link, e-mailed when mail is configured',
        description: 'The user has no password until they follow the link. The link is returned here once; it works for 7 days.',
        body: UserInviteSchema,
        response: { 201: InvitedSchema, ...nativeErrors },
      },
    },
    async (request, reply) => {
      const { customer_id: customerId, role, ...rest } = request.body;
      const { user, link } = await inviteUser(links, actorOf(principalOf(request)), { ...rest, role: role ?? 'user', ...(customerId !== undefined ? { customerId } : {}) }, mailFailed(request));
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send({ user: userWire(user), set_password_link: passwordLinkWire(link) });
    },
  );

  app.get(
    '/users/:id',
    { schema: { tags, operationId: 'accounts.users.get', summary: 'One user', params: IdParams, response: { 200: UserSchema, ...nativeErrors } } },
    async (request) => userWire(await getUser(store, actorOf(principalOf(request)), request.params.id)),
  );

  app.patch(
    '/users/:id',
    {
      schema: {
        tags,
        operationId: 'accounts.users.update',
        summary: 'Rename a user, change their role, disable or enable them (admins)',
        params: IdParams,
        body: UserPatchSchema,
        response: { 200: UserSchema, ...nativeErrors },
      },
    },
    async (request) => userWire(await updateUser(store, actorOf(principalOf(request)), request.params.id, request.body, clock)),
  );

  app.post(
    '/users/:id/password-link',
    {
      schema: {
        tags,
        operationId: 'accounts.users.passwordLink',
        summary: 'A new set-password link for a user (admins): a reset, or the invitation again',
        description: 'Replaces the user’s unused links. Reset links work for 2 hours, invitations for 7 days.',
        params: IdParams,
        response: { 201: InvitedSchema, ...nativeErrors },
      },
    },
    async (request, reply) => {
      const { user, link } = await resetUserPassword(links, actorOf(principalOf(request)), request.params.id, mailFailed(request));
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send({ user: userWire(user), set_password_link: passwordLinkWire(link) });
    },
  );
};
