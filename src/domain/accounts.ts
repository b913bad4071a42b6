import { ERRORS } from '../errors.js';
import type { Store } from '../store/store.js';
import type { Principal } from './auth.js';
import type { Clock } from './time.js';
import { digestSecret, hashPassword, newApiToken } from './secrets.js';
import type { Scope } from './scope.js';
import type { Role, User } from './types.js';

export interface NewAccount {
  customerId: number | null;
  email: string;
  name: string;
  role: Role;
  password: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
export const MIN_PASSWORD_LENGTH = 8;

/** Login e-mails are compared in lower case: every path that stores one goes through this. */
export function normalEmail(text: string): string {
  const email = text.trim().toLowerCase();
  if (!EMAIL.test(email)) throw ERRORS.invalidRequest(`"${text}" is not an e-mail address.`);
  return email;
}

export async function createAccount(store: Store, scope: Scope, input: NewAccount): Promise<User> {
  const email = normalEmail(input.email);
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    throw ERRORS.invalidRequest(`A password needs at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  return store.createUser(scope, {
    customerId: input.customerId,
    email,
    name: input.name,
    role: input.role,
    passwordHash: await hashPassword(input.password),
  });
}

export interface IssuedToken {
  token: string;
  createdAt: number;
  termsAcceptedAt: number;
}

/**
 * Generates a new API token for a user, replacing (and so revoking) the previous one. The
 * plain token is returned once and only its digest is kept. Generating a token is accepting
 * the API terms (seed 000: "by generating an Authentication Token … you agree"), so the
 * acceptance is recorded with the same timestamp.
 */
export async function issueApiToken(store: Store, userId: number, clock: Clock): Promise<IssuedToken> {
  const token = newApiToken();
  const at = clock.now();
  await store.setUserApiToken(userId, digestSecret(token), at, at);
  return { token, createdAt: at, termsAcceptedAt: at };
}

/** The account-page action: only a password login may mint a token, so a leaked token cannot replace itself. */
export async function regenerateOwnToken(store: Store, principal: Principal, acceptTerms: boolean, clock: Clock): Promise<IssuedToken> {
  if (principal.method !== 'password') throw ERRORS.passwordRequired();
  if (!acceptTerms) throw ERRORS.unprocessable('Generating an API token means accepting the API terms: send "accept_terms": true.');
  return issueApiToken(store, principal.userId, clock);
}
