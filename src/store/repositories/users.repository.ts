import { ERRORS } from '../../errors.js';
import type { Scope } from '../../domain/scope.js';
import type { PasswordLinkPurpose, Role, User, UserCredentials } from '../../domain/types.js';
import { toUser, toUserCredentials } from '../mappers.js';
import { inScope, uniqueOrConflict, type RepositoryContext } from '../scoped-query.js';
import type { CustomersRepository } from './customers.repository.js';

export interface NewUser {
  /** Null only for platform operators. */
  customerId: number | null;
  operator?: boolean;
  email: string;
  name: string;
  role: Role;
  /** Null for an invited user, who sets a password through a one-time link. */
  passwordHash: string | null;
}

export interface UserPatch {
  name?: string;
  role?: Role;
  /** A time disables the user; null enables them again. */
  disabledAt?: number | null;
}

export interface NewPasswordLink {
  userId: number;
  purpose: PasswordLinkPurpose;
  tokenHash: string;
  at: number;
  expiresAt: number;
}

export interface PasswordLinkInfo {
  user: User;
  purpose: PasswordLinkPurpose;
  expiresAt: number;
}

/** What an unusable password hash looks like: no scrypt hash is empty, so nothing verifies. */
const NO_PASSWORD = '';

/** Users, their credentials and their one-time set-password links. */
export class UsersRepository {
  readonly #ctx: RepositoryContext;
  readonly #customers: CustomersRepository;

  constructor(ctx: RepositoryContext, customers: CustomersRepository) {
    this.#ctx = ctx;
    this.#customers = customers;
  }

  async create(scope: Scope, input: NewUser): Promise<User> {
    const operator = input.operator === true;
    // Operators belong to no customer and are made only by operators; everyone else belongs to one.
    if (operator !== (input.customerId === null)) throw ERRORS.invalidRequest('A user is either a platform operator or belongs to a customer.');
    if (operator ? scope.customerId !== null : !(await this.#customers.get(scope, input.customerId!))) throw ERRORS.notFound('Customer');
    const email = input.email.trim().toLowerCase();
    const row = await uniqueOrConflict(this.#ctx.dialect, `A user with e-mail ${email} already exists.`, () =>
      this.#ctx.db
        .insertInto('users')
        .values({
          customer_id: input.customerId,
          operator: operator ? 1 : 0,
          email,
          name: input.name,
          role: input.role,
          password_hash: input.passwordHash ?? NO_PASSWORD,
          api_token_hash: null,
          api_token_created_at: null,
          api_terms_accepted_at: null,
          created_at: this.#ctx.now(),
          disabled_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return toUser(row);
  }

  async list(scope: Scope, filter: { customerId?: number } = {}): Promise<User[]> {
    const rows = await this.#ctx.db
      .selectFrom('users')
      .selectAll()
      .$call((q) => inScope(q, scope))
      .$if(filter.customerId !== undefined, (q) => q.where('customer_id', '=', filter.customerId!))
      .orderBy('id')
      .execute();
    return rows.map(toUser);
  }

  async get(scope: Scope, id: number): Promise<User | null> {
    const row = await this.#ctx.db.selectFrom('users').selectAll().where('id', '=', id).$call((q) => inScope(q, scope)).executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async update(scope: Scope, id: number, patch: UserPatch): Promise<User | null> {
    const values = {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(patch.disabledAt !== undefined ? { disabled_at: patch.disabledAt } : {}),
    };
    if (Object.keys(values).length === 0) return this.get(scope, id);
    return this.#ctx.db.transaction().execute(async (trx) => {
      const row = await trx.updateTable('users').set(values).where('id', '=', id).$call((q) => inScope(q, scope)).returningAll().executeTakeFirst();
      // A link sent before the user was disabled must not work once they are enabled again.
      if (row && patch.disabledAt) await trx.deleteFrom('password_links').where('user_id', '=', id).where('used_at', 'is', null).execute();
      return row ? toUser(row) : null;
    });
  }

  #credentials() {
    return this.#ctx.db
      .selectFrom('users')
      .leftJoin('customers', 'customers.id', 'users.customer_id')
      .selectAll('users')
      .select('customers.disabled_at as customer_disabled_at');
  }

  /** Login: unscoped by nature. E-mail addresses compare case-insensitively. */
  async findCredentialsByEmail(email: string): Promise<UserCredentials | null> {
    // No e-mail address holds NUL, and PostgreSQL text cannot: such a name matches nobody.
    if (email.includes('\u0000')) return null;
    const row = await this.#credentials().where('users.email', '=', email.trim().toLowerCase()).executeTakeFirst();
    return row ? toUserCredentials(row) : null;
  }

  async findCredentialsByTokenHash(tokenHash: string): Promise<UserCredentials | null> {
    const row = await this.#credentials().where('users.api_token_hash', '=', tokenHash).executeTakeFirst();
    return row ? toUserCredentials(row) : null;
  }

  /** The first acceptance of the API terms is kept: accepting is recorded once, with its time, which this answers. */
  async setApiToken(userId: number, tokenHash: string, at: number): Promise<number> {
    const row = await this.#ctx.db
      .updateTable('users')
      .set((eb) => ({ api_token_hash: tokenHash, api_token_created_at: at, api_terms_accepted_at: eb.fn.coalesce('api_terms_accepted_at', eb.val(at)) }))
      .where('id', '=', userId)
      .returning('api_terms_accepted_at')
      .executeTakeFirst();
    return row?.api_terms_accepted_at ?? at;
  }

  /** A new password makes the user's unused set-password links void. */
  async setPassword(userId: number, passwordHash: string): Promise<void> {
    await this.#ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
      await trx.deleteFrom('password_links').where('user_id', '=', userId).where('used_at', 'is', null).execute();
    });
  }

  /** A new link replaces the user's unused ones: only the latest link sent works. */
  async createPasswordLink(link: NewPasswordLink): Promise<void> {
    await this.#ctx.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('password_links').where('user_id', '=', link.userId).where('used_at', 'is', null).execute();
      await trx
        .insertInto('password_links')
        .values({ user_id: link.userId, purpose: link.purpose, token_hash: link.tokenHash, created_at: link.at, expires_at: link.expiresAt, used_at: null })
        .execute();
    });
  }

  /** An unused, unexpired link of an enabled user (of an enabled customer); null otherwise. */
  async findPasswordLink(tokenHash: string, now: number): Promise<PasswordLinkInfo | null> {
    const row = await this.#ctx.db
      .selectFrom('password_links as l')
      .innerJoin('users', 'users.id', 'l.user_id')
      .leftJoin('customers', 'customers.id', 'users.customer_id')
      .selectAll('users')
      .select(['l.purpose', 'l.expires_at as link_expires_at'])
      .where('l.token_hash', '=', tokenHash)
      .where('l.used_at', 'is', null)
      .where('l.expires_at', '>', now)
      .where('users.disabled_at', 'is', null)
      .where('customers.disabled_at', 'is', null)
      .executeTakeFirst();
    return row ? { user: toUser(row), purpose: row.purpose as PasswordLinkInfo['purpose'], expiresAt: row.link_expires_at } : null;
  }

  /**
   * Uses a link once: marks it used and sets the password in one transaction, so that two
   * concurrent redemptions cannot both succeed. Null when the link cannot be used.
   */
  async redeemPasswordLink(tokenHash: string, passwordHash: string, now: number): Promise<User | null> {
    const link = await this.findPasswordLink(tokenHash, now);
    if (!link) return null;
    return this.#ctx.db.transaction().execute(async (trx) => {
      const used = await trx
        .updateTable('password_links')
        .set({ used_at: now })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returning('user_id')
        .executeTakeFirst();
      if (!used) return null;
      const row = await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', used.user_id).returningAll().executeTakeFirstOrThrow();
      await trx.deleteFrom('password_links').where('user_id', '=', used.user_id).where('used_at', 'is', null).execute();
      return toUser(row);
    });
  }
}
