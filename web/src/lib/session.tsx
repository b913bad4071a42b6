import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, type ReactNode } from 'react';
import { api, ApiError, must, setCsrfToken } from './api';

/**
 * The signed-in person, from the server's session (GET /api/flowline/v1/session): the cookie
 * is HttpOnly, so the browser never holds the session itself, only the CSRF token it is told,
 * which api.ts sends with every state-changing call.
 */

type SignedIn = Awaited<ReturnType<typeof signInRequest>>;
type SessionAnswer = SignedIn | null;
export type Account = SignedIn['account'];

const signInRequest = (email: string, password: string) => must(api.POST('/api/flowline/v1/session', { body: { email, password } }));

/** The session, or null when nobody is signed in (GET /session answers that with 200, not 401). */
async function fetchSession(): Promise<SessionAnswer> {
  try {
    const session = await must(api.GET('/api/flowline/v1/session'));
    setCsrfToken(session.csrf_token);
    return session.account !== null && session.csrf_token !== null ? { account: session.account, csrf_token: session.csrf_token } : null;
  } catch (error) {
    // Only a request with an Authorization header is answered 401, which a browser does not send.
    if (error instanceof ApiError && error.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw error;
  }
}

export const SESSION_KEY = ['session'] as const;

interface SessionState {
  account: Account | null;
  isAdmin: boolean;
  isOperator: boolean;
  /** Asks the server again (after a change to the account, or to notice an ended session). */
  refresh(): Promise<void>;
  /** Signs in with e-mail and password; throws an ApiError with the server's message (wrong password, throttled). */
  signIn(email: string, password: string): Promise<void>;
  /** Ends the session on the server (everywhere) and forgets every cached answer. */
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

/** Forgets everything the previous person's pages fetched, then records the new session (or none). */
function replaceSession(client: QueryClient, session: SessionAnswer): void {
  setCsrfToken(session?.csrf_token ?? null);
  client.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
  client.setQueryData(SESSION_KEY, session);
}

/** A 401 on any other call means the session ended (elsewhere, or by its limits): ask again, which signs this page out. */
function watchForEndedSession(client: QueryClient): () => void {
  const ended = (error: unknown) => {
    if (error instanceof ApiError && error.status === 401) void client.invalidateQueries({ queryKey: SESSION_KEY });
  };
  const queries = client.getQueryCache().subscribe((event) => {
    if (event.type === 'updated' && event.action.type === 'error' && event.query.queryKey[0] !== SESSION_KEY[0]) ended(event.action.error);
  });
  const mutations = client.getMutationCache().subscribe((event) => {
    if (event.type === 'updated' && event.action.type === 'error') ended(event.action.error);
  });
  return () => {
    queries();
    mutations();
  };
}

export function SessionProvider({ children, fallback }: { children: ReactNode; fallback: ReactNode }) {
  const client = useQueryClient();
  const query = useQuery({ queryKey: SESSION_KEY, queryFn: fetchSession, staleTime: 60_000, retry: false });
  useEffect(() => watchForEndedSession(client), [client]);
  if (query.isPending) return <>{fallback}</>;
  if (query.isError) throw query.error;
  const account = query.data?.account ?? null;
  const state: SessionState = {
    account,
    isAdmin: account !== null && (account.operator || account.role === 'admin'),
    isOperator: account?.operator ?? false,
    refresh: () => client.invalidateQueries({ queryKey: SESSION_KEY }),
    signIn: async (email, password) => {
      replaceSession(client, await signInRequest(email, password));
    },
    signOut: async () => {
      try {
        await must(api.DELETE('/api/flowline/v1/session'));
      } finally {
        // Signed out locally even when the server could not be reached: the cookie may live
        // on until it is told, but this page shows nothing of the account any more.
        replaceSession(client, null);
      }
    },
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
