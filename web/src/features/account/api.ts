import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../lib/api';

/** The signed-in account with its token and terms times (fresh, not the session's cached copy). */
export const accountQuery = queryOptions({
  queryKey: ['account'],
  queryFn: () => must(api.GET('/api/flowline/v1/account')),
});

export function useAccountDetails() {
  return useQuery(accountQuery);
}

/** The customer's name for the profile (a platform operator has none). */
export function useCustomerName(customerId: number | null) {
  return useQuery({
    queryKey: ['customer', customerId],
    enabled: customerId !== null,
    queryFn: async () => (await must(api.GET('/api/flowline/v1/customers/{id}', { params: { path: { id: customerId! } } }))).name,
  });
}

export function useGenerateToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ acceptTerms, password }: { acceptTerms: boolean; password: string }) =>
      must(api.POST('/api/flowline/v1/account/token', { body: acceptTerms ? { accept_terms: true, password } : { password } })),
    onSuccess: () => client.invalidateQueries({ queryKey: accountQuery.queryKey }),
  });
}

export function useChangePassword() {
  return useMutation({
    mutationFn: (body: { current_password: string; new_password: string }) => must(api.PUT('/api/flowline/v1/account/password', { body })),
  });
}
