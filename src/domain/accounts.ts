import { randomBytes } from 'node:crypto';
import { ERRORS } from '../errors.js';
import type { Mailer } from '../mail/mailer.js';
import type { Store } from '../store/store.js';
import { requireAdmin, requirePerson, targetCustomer, type Actor } from './actor.js';
import { cleanName } from './onboarding.js';
import { scopeOf, type Principal } from './auth.js';
import type { Clock } from './time.js';
import { formatIsoSeconds } from './time.js';
import { digestSecret, hashPassword, newApiToken, verifyPassword } from './secrets.js';
import type { Scope } from './scope.js';
import type { PasswordLinkPurpose, Role, User } from './types.js';

export interface NewAccount {
  customerId: number | null;
  /** An explicit flag: a user without a customer is not thereby an operator. */
  operator?: boolean;
  email: string;
  name: string;
  role: Role;
  password: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
export const MIN_PASSWORD_LENGTH = 8;
/** scrypt's cost grows with the input: a cap keeps one request from holding the server. */
export const MAX_PASSWORD_LENGTH = 1024;
/** How long a set-password link works. */
export const LINK_LIFETIME_MS: Record<PasswordLinkPurpose, number> = {
  invite: 7 * 24 * 60 * 60 * 1000,
  reset: 2 * 60 * 60 * 1000,
};
/** Set-password link tokens start so (API tokens are UUIDs, ingest keys `flik_`). */
export const PASSWORD_LINK_PREFIX = 'flpw_';

/** Login e-mails are compared in lower case: every path that stores one goes through this. */
export function normalEmail(text: string): string {
  const email = text.trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 254) throw ERRORS.invalidRequest(`"${text}" is not an e-mail address.`);
  return email;
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw ERRORS.invalidRequest(`A password needs at least ${MIN_PASSWORD_LENGTH} characters.`);
  if (password.length > MAX_PASSWORD_LENGTH) throw ERRORS.invalidRequest(`A password has at most ${MAX_PASSWORD_LENGTH} characters.`);
}

export async function createAccount(store: Store, scope: Scope, input: NewAccount): Promise<User> {
  const email = normalEmail(input.email);
  checkPassword(input.password);
  return store.createUser(scope, {
    customerId: input.customerId,
    operator: input.operator === true,
    email,
    name: input.name,
    role: input.role,
    passwordHash: await hashPassword(input.password),
  });
}

export interface IssuedToken {
  token: string;
  createdAt: number;
  /** When the user accepted the API terms: once, with their first token. */
  termsAcceptedAt: number;
}

/**
 * Generates a new API token for a user, replacing (and so revoking) the previous one. The
 * plain token is returned once and only its digest is kept. The API terms are accepted once,
 * with the first token (seed 000: "by generating an Authentication Token … you agree"), and
 * that time is kept.
 */
export async function issueApiToken(store: Store, userId: number, clock: Clock): Promise<IssuedToken> {
  const token = newApiToken();
  const at = clock.now();
  const termsAcceptedAt = await store.setUserApiToken(userId, digestSecret(token), at);
  return { token, createdAt: at, termsAcceptedAt };
}

/**
 * The account-page action: only a password login (HTTP Basic, or a web-app session with the
 * current password typed again) may mint a token, so neither a leaked token nor a browser left
 * signed in can make a lasting credential. The first token needs the terms accepted; later
 * ones keep that acceptance.
 */
export async function regenerateOwnToken(
  store: Store,
  principal: Principal,
  request: { acceptTerms?: boolean | undefined; password?: string | undefined },
  clock: Clock,
  guard: PasswordCheckGuard = {},
): Promise<IssuedToken> {
  if (principal.kind !== 'user') throw ERRORS.forbidden('API clients have no account.');
  if (principal.method !== 'password' && principal.method !== 'session') throw ERRORS.passwordRequired();
  const user = await store.getUser(scopeOf(principal), principal.userId);
  if (!user) throw ERRORS.notFound('User');
  if (user.apiTermsAcceptedAt === null && request.acceptTerms !== true) {
    throw ERRORS.unprocessable('Generating your first API token means accepting the API terms: send "accept_terms": true.');
  }
  if (principal.method === 'session') {
    if (request.password === undefined || request.password === '') throw ERRORS.unprocessable('Type your current password to generate a token: send it as "password".');
    const credentials = await store.findUserCredentialsByEmail(principal.email);
    await checkCurrentPassword(credentials?.passwordHash ?? null, request.password, guard);
  }
  return issueApiToken(store, principal.userId, clock);
}

/**
 * Hooks around a check of the current password (the per-account budget of failed passwords):
 * `before` reserves a failure and may refuse (429); `after` runs when the password was right.
 */
export interface PasswordCheckGuard {
  before?: () => Promise<void>;
  after?: () => Promise<void>;
}

/** The current password, asked again for a sensitive change: 422 when it is not right. */
async function checkCurrentPassword(passwordHash: string | null, password: string, guard: PasswordCheckGuard): Promise<void> {
  await guard.before?.();
  if (passwordHash === null || !(await verifyPassword(password, passwordHash))) throw ERRORS.unprocessable('The current password is not right.');
  await guard.after?.();
}

/**
 * Changing one's own password needs the current one, whatever credential the request came
 * with. It ends the user's other web-app sessions (on every server process): only the
 * session that made the change stays signed in.
 */
export async function changeOwnPassword(
  store: Store,
  principal: Principal,
  oldPassword: string,
  newPassword: string,
  guard: PasswordCheckGuard = {},
): Promise<void> {
  if (principal.kind !== 'user') throw ERRORS.forbidden('API clients have no account.');
  checkPassword(newPassword);
  const credentials = await store.findUserCredentialsByEmail(principal.email);
  await checkCurrentPassword(credentials?.passwordHash ?? null, oldPassword, guard);
  if (!credentials) throw ERRORS.unprocessable('The current password is not right.');
  await store.setUserPassword(credentials.id, await hashPassword(newPassword));
  await store.deleteUserSessions(credentials.id, principal.sessionId);
}

// --- set-password links: invitations and resets -------------------------------------------

export interface LinkServices {
  store: Store;
  clock: Clock;
  mailer: Mailer;
  /** Where people reach the web app, e.g. https://flowline.example.com (PUBLIC_URL). */
  publicUrl: string;
}

export interface PasswordLink {
  /** The page that sets the password; the token rides in the fragment, which no server logs. */
  url: string;
  token: string;
  purpose: PasswordLinkPurpose;
  expiresAt: number;
  /** Whether it was e-mailed to the user. */
  mailed: boolean;
}

export function setPasswordUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/app/set-password#token=${token}`;
}

function linkMail(user: User, link: { url: string; purpose: PasswordLinkPurpose; expiresAt: number }) {
  const until = formatIsoSeconds(link.expiresAt).replace('T', ' ').replace('Z', ' UTC');
  if (link.purpose === 'invite') {
    return {
      subject: 'You are invited to Flowline',
      text: `Hello ${user.name},\n\nan account on Flowline has been made for you (${user.email}). Choose your password here:\n\n${link.url}\n\nThe link works once, until ${until}.\n`,
    };
  }
  return {
    subject: 'Reset your Flowline password',
    text: `Hello ${user.name},\n\nsomeone asked to reset the password of your Flowline account (${user.email}). Choose a new password here:\n\n${link.url}\n\nThe link works once, until ${until}. If you did not ask for it, ignore this message: your password stays as it is.\n`,
  };
}

/**
 * Makes a one-time set-password link for a user (replacing any unused one), and mails it when
 * mail is configured. A mail that fails does not undo the link: the admin still has it.
 */
export async function issuePasswordLink(services: LinkServices, user: User, purpose: PasswordLinkPurpose, log?: (error: unknown) => void): Promise<PasswordLink> {
  const token = PASSWORD_LINK_PREFIX + randomBytes(32).toString('base64url');
  const at = services.clock.now();
  const expiresAt = at + LINK_LIFETIME_MS[purpose];
  await services.store.createPasswordLink({ userId: user.id, purpose, tokenHash: digestSecret(token), at, expiresAt });
  const url = setPasswordUrl(services.publicUrl, token);
  let mailed = false;
  if (services.mailer.enabled) {
    try {
      await services.mailer.send({ to: user.email, ...linkMail(user, { url, purpose, expiresAt }) });
      mailed = true;
    } catch (error) {
      log?.(error);
    }
  }
  return { url, token, purpose, expiresAt, mailed };
}

export interface Invitation {
  email: string;
  name?: string;
  role: Role;
  customerId?: number;
  operator?: boolean;
}

/**
 * An admin makes a user, who has no password until they follow their link. Operators invite
 * into any customer, or other operators (an explicit flag); admins into their own customer.
 */
export async function inviteUser(services: LinkServices, actor: Actor, invitation: Invitation, log?: (error: unknown) => void): Promise<{ user: User; link: PasswordLink }> {
  requireAdmin(actor);
  requirePerson(actor);
  const email = normalEmail(invitation.email);
  if (invitation.operator === true) {
    if (!actor.operator) throw ERRORS.forbidden('Only platform operators make operators.');
    if (invitation.customerId !== undefined) throw ERRORS.invalidRequest('A platform operator belongs to no customer: leave customer_id out.');
  }
  const customerId = invitation.operator === true ? null : targetCustomer(actor, invitation.customerId);
  const user = await services.store.createUser(actor.scope, {
    customerId,
    operator: invitation.operator === true,
    email,
    name: invitation.name === undefined || invitation.name.trim() === '' ? email : cleanName(invitation.name, 'name'),
    role: invitation.role,
    passwordHash: null,
  });
  return { user, link: await issuePasswordLink(services, user, 'invite', log) };
}

/**
 * An admin sends (or hands over) a reset link for a user of theirs. Not for oneself: whoever
 * holds only your token must not turn it into your password (change it with the current one,
 * or use the forgot-password mail).
 */
export async function resetUserPassword(services: LinkServices, actor: Actor, userId: number, log?: (error: unknown) => void): Promise<{ user: User; link: PasswordLink }> {
  requireAdmin(actor);
  requirePerson(actor);
  const user = await services.store.getUser(actor.scope, userId);
  if (!user) throw ERRORS.notFound('User');
  if (user.operator && !actor.operator) throw ERRORS.notFound('User');
  if (user.id === actor.userId) throw ERRORS.unprocessable('Not for yourself: change your password with the current one (PUT /account/password), or ask for a reset by mail.');
  if (user.disabledAt !== null) throw ERRORS.unprocessable('The user is disabled: enable them first.');
  // Whoever is signed in as the user (perhaps the reason for the reset) is signed out.
  await services.store.deleteUserSessions(user.id);
  return { user, link: await issuePasswordLink(services, user, user.hasPassword ? 'reset' : 'invite', log) };
}

/**
 * "Forgot my password": mails a reset link when the address belongs to an enabled user and
 * mail is configured. It answers the same whatever happened, so it reveals no accounts.
 */
export async function requestPasswordReset(services: LinkServices, email: string, log?: (error: unknown) => void): Promise<void> {
  if (!services.mailer.enabled || email.length > 254) return;
  const credentials = await services.store.findUserCredentialsByEmail(email);
  if (!credentials || credentials.disabledAt !== null || credentials.customerDisabledAt !== null) return;
  await issuePasswordLink(services, credentials, credentials.hasPassword ? 'reset' : 'invite', log);
}

/** What the set-password page shows before the password is chosen. */
export async function inspectPasswordLink(store: Store, token: string, clock: Clock): Promise<{ email: string; name: string; purpose: PasswordLinkPurpose; expiresAt: number }> {
  const link = await store.findPasswordLink(digestSecret(token), clock.now());
  if (!link) throw linkUnusable();
  return { email: link.user.email, name: link.user.name, purpose: link.purpose, expiresAt: link.expiresAt };
}

/** Uses a link once to set the password, which ends all the user's web-app sessions. */
export async function setPasswordWithLink(store: Store, token: string, password: string, clock: Clock): Promise<User> {
  checkPassword(password);
  const user = await store.redeemPasswordLink(digestSecret(token), await hashPassword(password), clock.now());
  if (!user) throw linkUnusable();
  await store.deleteUserSessions(user.id);
  return user;
}

const linkUnusable = () => ERRORS.notFound('Set-password link (it may have expired or been used already; ask for a new one)');

// --- managing users ------------------------------------------------------------------------

export interface UserChange {
  name?: string;
  role?: Role;
  disabled?: boolean;
}

/** Admins rename, change the role of, disable and enable their customer's users. */
export async function updateUser(store: Store, actor: Actor, userId: number, change: UserChange, clock: Clock): Promise<User> {
  requireAdmin(actor);
  requirePerson(actor);
  const user = await store.getUser(actor.scope, userId);
  // An admin does not manage operators (who belong to no customer and so are out of scope anyway).
  if (!user || (user.operator && !actor.operator)) throw ERRORS.notFound('User');
  if (userId === actor.userId && (change.disabled === true || (change.role !== undefined && change.role !== user.role))) {
    throw ERRORS.unprocessable('You cannot disable yourself or change your own role; ask another admin.');
  }
  const updated = await store.updateUser(actor.scope, userId, {
    ...(change.name !== undefined ? { name: cleanName(change.name, 'name') } : {}),
    ...(change.role !== undefined ? { role: change.role } : {}),
    ...(change.disabled !== undefined ? { disabledAt: change.disabled ? (user.disabledAt ?? clock.now()) : null } : {}),
  });
  if (!updated) throw ERRORS.notFound('User');
  // Sessions of a disabled user stop at once (the lookup refuses them); they are also ended,
  // so that enabling the user again does not bring them back.
  if (change.disabled === true) await store.deleteUserSessions(userId);
  return updated;
}

export async function listUsers(store: Store, actor: Actor, filter: { customerId?: number } = {}): Promise<User[]> {
  return store.listUsers(actor.scope, filter);
}

export async function getUser(store: Store, actor: Actor, userId: number): Promise<User> {
  const user = await store.getUser(actor.scope, userId);
  if (!user) throw ERRORS.notFound('User');
  return user;
}
