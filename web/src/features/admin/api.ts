import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../lib/api';
import type { operations } from '../../generated/openapi';

/**
 * The admin pages' calls to the onboarding API (and /oauth/applications), typed from the
 * generated OpenAPI document. Query keys start with 'admin' and name the customer, so a
 * mutation invalidates what it changed and an operator's customers never share a cache entry.
 */

type Json<Op extends keyof operations, Status extends number> = operations[Op]['responses'] extends Record<Status, { content: { 'application/json': infer T } }> ? T : never;

export type Customer = Json<'onboarding.customers.get', 200>;
export type User = Json<'accounts.users.get', 200>;
export type Invited = Json<'accounts.users.invite', 201>;
export type Facility = Json<'onboarding.facilities.get', 200>;
export type MonitoredController = Json<'monitoring.controllers', 200>['controllers'][number];
export type ControllerDetail = Json<'onboarding.controllers.get', 200>;
export type Registered = Json<'onboarding.controllers.register', 201>;
export type IngestKey = Json<'onboarding.ingestKeys.list', 200>['ingest_keys'][number];
export type Rotated = Json<'onboarding.ingestKeys.rotate', 201>;
export type ApiClient = Json<'fluxx.applications.list', 200>['applications'][number];
export type CreatedClient = Json<'fluxx.applications.create', 201>;
export type RegisterBody = NonNullable<operations['onboarding.controllers.register']['requestBody']>['content']['application/json'];

/** The customer the admin pages act for: an admin's own (null: the API takes theirs), or the operator's choice. */
export type Scope = { customerId: number | null };
const scopeQuery = (scope: Scope) => (scope.customerId === null ? {} : { customer_id: scope.customerId });

export const adminKeys = {
  customers: ['admin', 'customers'] as const,
  users: (scope: Scope) => ['admin', 'users', scope.customerId] as const,
  facilities: (scope: Scope) => ['admin', 'facilities', scope.customerId] as const,
  controllers: ['admin', 'controllers'] as const,
  controller: (id: number) => ['admin', 'controller', id] as const,
  ingestKeys: (id: number) => ['admin', 'ingest-keys', id] as const,
  clients: ['admin', 'api-clients'] as const,
};

// --- customers (operators) ---------------------------------------------------------------

export function useCustomers(enabled = true) {
  return useQuery({ queryKey: adminKeys.customers, queryFn: async () => (await must(api.GET('/api/flowline/v1/customers'))).customers, enabled });
}

export function useCreateCustomer() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => must(api.POST('/api/flowline/v1/customers', { body: { name } })),
    onSuccess: () => client.invalidateQueries({ queryKey: adminKeys.customers }),
  });
}

export function useSetCustomerDisabled() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, disabled }: { id: number; disabled: boolean }) => must(api.PATCH('/api/flowline/v1/customers/{id}', { params: { path: { id } }, body: { disabled } })),
    onSuccess: () => client.invalidateQueries({ queryKey: adminKeys.customers }),
  });
}

// --- users -------------------------------------------------------------------------------

export function useUsers(scope: Scope) {
  return useQuery({
    queryKey: adminKeys.users(scope),
    queryFn: async () => (await must(api.GET('/api/flowline/v1/users', { params: { query: scopeQuery(scope) } }))).users,
  });
}

export function useInviteUser(scope: Scope) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; name?: string; role: 'admin' | 'user' }) => must(api.POST('/api/flowline/v1/users', { body: { ...body, ...scopeQuery(scope) } })),
    onSuccess: () => client.invalidateQueries({ queryKey: adminKeys.users(scope) }),
  });
}

export function useUpdateUser(scope: Scope) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...body }: { id: number; role?: 'admin' | 'user'; disabled?: boolean }) => must(api.PATCH('/api/flowline/v1/users/{id}', { params: { path: { id } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: adminKeys.users(scope) }),
  });
}

export function usePasswordLink(scope: Scope) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => must(api.POST('/api/flowline/v1/users/{id}/password-link', { params: { path: { id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: adminKeys.users(scope) }),
  });
}

// --- API clients ---------------------------------------------------------------------------

export function useApiClients(enabled: boolean) {
  return useQuery({ queryKey: adminKeys.clients, queryFn: async () => (await must(api.GET('/oauth/applications'))).applications, enabled });
}

export function useCreateApiClient() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; role: 'admin' | 'user' }) => must(api.POST('/oauth/applications', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: adminKeys.clients }),
  });
}

export function useDeleteApiClient() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => must(api.DELETE('/oauth/applications/{id}', { params: { path: { id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: adminKeys.clients }),
  });
}

// --- facilities and controllers ------------------------------------------------------------

export function useFacilities(scope: Scope) {
  return useQuery({
    queryKey: adminKeys.facilities(scope),
    queryFn: async () => (await must(api.GET('/api/flowline/v1/facilities', { params: { query: scopeQuery(scope) } }))).facilities,
  });
}

export function useCreateFacility(scope: Scope) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; address?: string; time_zone: string }) => must(api.POST('/api/flowline/v1/facilities', { body: { ...body, ...scopeQuery(scope) } })),
    onSuccess: () => client.invalidateQueries({ queryKey: adminKeys.facilities(scope) }),
  });
}

/** Every controller the account can see (operators: all customers'); pages keep those of their facilities. */
export function useControllers() {
  return useQuery({ queryKey: adminKeys.controllers, queryFn: async () => (await must(api.GET('/api/flowline/v1/controllers'))).controllers });
}

export function useRegisterController() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: RegisterBody) => must(api.POST('/api/flowline/v1/controllers', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: adminKeys.controllers }),
  });
}

export function useController(id: number) {
  return useQuery({ queryKey: adminKeys.controller(id), queryFn: () => must(api.GET('/api/flowline/v1/controllers/{id}', { params: { path: { id } } })), enabled: id > 0 });
}

function useControllerChanged(id: number) {
  const client = useQueryClient();
  return async () => {
    await Promise.all([client.invalidateQueries({ queryKey: adminKeys.controller(id) }), client.invalidateQueries({ queryKey: adminKeys.controllers })]);
  };
}

export function useRenameController(id: number) {
  const changed = useControllerChanged(id);
  return useMutation({ mutationFn: (name: string) => must(api.PATCH('/api/flowline/v1/controllers/{id}', { params: { path: { id } }, body: { name } })), onSuccess: changed });
}

export function useAddProcess(id: number) {
  const changed = useControllerChanged(id);
  return useMutation({ mutationFn: (name: string) => must(api.POST('/api/flowline/v1/controllers/{id}/processes', { params: { path: { id } }, body: { name } })), onSuccess: changed });
}

export type ChannelBody = NonNullable<operations['onboarding.channels.create']['requestBody']>['content']['application/json'];

export function useAddChannel(id: number) {
  const changed = useControllerChanged(id);
  return useMutation({ mutationFn: (body: ChannelBody) => must(api.POST('/api/flowline/v1/controllers/{id}/channels', { params: { path: { id } }, body })), onSuccess: changed });
}

export function useAssignChannel(controllerId: number) {
  const changed = useControllerChanged(controllerId);
  return useMutation({
    mutationFn: ({ id, processId }: { id: number; processId: number | null }) => must(api.PATCH('/api/flowline/v1/channels/{id}', { params: { path: { id } }, body: { process_id: processId } })),
    onSuccess: changed,
  });
}

export function useIngestKeys(id: number) {
  return useQuery({
    queryKey: adminKeys.ingestKeys(id),
    queryFn: async () => (await must(api.GET('/api/flowline/v1/controllers/{id}/ingest-keys', { params: { path: { id } } }))).ingest_keys,
  });
}

export function useRotateKey(id: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (overlapSeconds: number) => must(api.POST('/api/flowline/v1/controllers/{id}/ingest-keys', { params: { path: { id } }, body: { overlap_seconds: overlapSeconds } })),
    onSuccess: () => client.invalidateQueries({ queryKey: adminKeys.ingestKeys(id) }),
  });
}

export function useRevokeKey(id: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (keyId: number | null) =>
      keyId === null
        ? must(api.DELETE('/api/flowline/v1/controllers/{id}/ingest-keys', { params: { path: { id } } }))
        : must(api.DELETE('/api/flowline/v1/controllers/{id}/ingest-keys/{keyId}', { params: { path: { id, keyId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: adminKeys.ingestKeys(id) }),
  });
}
