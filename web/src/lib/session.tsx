import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, type ReactNode } from 'react';
import { api, ApiError, must } from './api';

// PROVISIONAL (scaffold): reads GET /account until the session routes land; the sessions
// work replaces the internals (GET /session, CSRF token) and keeps this interface.

export type Account = NonNullable<Awaited<ReturnType<typeof fetchAccount>>>;

async function fetchAccount() {
  try {
    return await must(api.GET('/api/flowline/v1/account'));
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return null;
    throw error;
  }
}

export const SESSION_KEY = ['session'] as const;

interface SessionState {
  account: Account | null;
  isAdmin: boolean;
  isOperator: boolean;
  refresh(): Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children, fallback }: { children: ReactNode; fallback: ReactNode }) {
  const client = useQueryClient();
  const query = useQuery({ queryKey: SESSION_KEY, queryFn: fetchAccount, staleTime: 60_000, retry: false });
  if (query.isPending) return <>{fallback}</>;
  if (query.isError) throw query.error;
  const account = query.data ?? null;
  const state: SessionState = {
    account,
    isAdmin: account !== null && (account.operator || account.role === 'admin'),
    isOperator: account?.operator ?? false,
    refresh: () => client.invalidateQueries({ queryKey: SESSION_KEY }),
  };
  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}

/** The signed-in account; only for pages under RequireSession. */
export function useAccount(): Account {
  const { account } = useSession();
  if (!account) throw new Error('useAccount without a session');
  return account;
}
