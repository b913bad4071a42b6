import type { UserCredentials } from '../../domain/types.js';
import { toUserCredentials } from '../mappers.js';
import type { RepositoryContext } from '../scoped-query.js';

export interface NewSession {
  userId: number;
  /** SHA-256 digest of the cookie's token; the token itself is never stored. */
  tokenHash: string;
  /**
   * The password hash the sign-in verified: the session is made only while it is still the
   * user's (and the user is enabled), so a sign-in racing a password change cannot outlive it.
   */
  passwordHash: string;
  at: number;
  /** The absolute limit: the session ends then, however active it is. */
  expiresAt: number;
  /** Sessions (anyone's) last used at or before this have ended idle: some are purged on the way. */
  idleSince: number;
  /** The user keeps at most this many sessions: the oldest beyond it end. */
  maxPerUser: number;
}

/** At most this many ended sessions (anyone's) are purged per sign-in, so that one sign-in stays cheap. */
const PURGE_BATCH = 200;

export interface SessionRecord {
  id: number;
  userId: number;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
}

/** A live session and its user's credentials (disabled flags included), in one query. */
export interface ActiveSession {
  session: SessionRecord;
  user: UserCredentials;
}

/** Web-app sessions. Lookups are unscoped by nature: the token is the credential. */
export class SessionsRepository {
  readonly #ctx: RepositoryContext;

  constructor(ctx: RepositoryContext) {
    this.#ctx = ctx;
  }

  /**
   * Stores a new session, and clears the user's sessions that have expired on the way; null
   * (nothing stored) when the user's password hash is no longer `passwordHash` or the user is
   * disabled. The user's row is locked (PostgreSQL; SQLite's write lock is taken by the delete
   * before the check), so a password change either commits before the check, which then fails,
   * or waits for this insert, and its deletion of the user's sessions then takes this one too.
   */
  async create(input: NewSession): Promise<SessionRecord | null> {
    return this.#ctx.db.transaction().execute(async (trx) => {
      // Ended sessions, idle or past their absolute limit, of anyone: a bounded batch per sign-in
      // keeps the table to about the live sessions without a sweeper.
      await trx
        .deleteFrom('sessions')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('sessions')
            .select('id')
            .where((w) => w.or([w('expires_at', '<=', input.at), w('last_used_at', '<=', input.idleSince)]))
            .limit(PURGE_BATCH),
        )
        .execute();
      const user = await trx
        .selectFrom('users')
        .select('id')
        .where('id', '=', input.userId)
        .where('password_hash', '=', input.passwordHash)
        .where('disabled_at', 'is', null)
        .$if(this.#ctx.dialect.supportsRowLocks, (q) => q.forUpdate())
        .executeTakeFirst();
      if (!user) return null;
      const row = await trx
        .insertInto('sessions')
        .values({ user_id: input.userId, token_hash: input.tokenHash, created_at: input.at, last_used_at: input.at, expires_at: input.expiresAt })
        .returningAll()
        .executeTakeFirstOrThrow();
      // A user has at most `maxPerUser` sessions: the oldest beyond them end (the new one is the newest).
      const kept = await trx
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', input.userId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(input.maxPerUser)
        .execute();
      if (kept.length >= input.maxPerUser) {
        await trx
          .deleteFrom('sessions')
          .where('user_id', '=', input.userId)
          .where(
            'id',
            'not in',
            kept.map((k) => k.id),
          )
          .execute();
      }
      return toSession(row);
    });
  }

  /**
   * The session whose token has this digest, if it is neither past its absolute expiry nor
   * idle since `idleSince` or before; with its user, whatever their state (the caller refuses
   * disabled users, so that they learn why).
   */
  async findActive(tokenHash: string, now: number, idleSince: number): Promise<ActiveSession | null> {
    const row = await this.#ctx.db
      .selectFrom('sessions as s')
      .innerJoin('users', 'users.id', 's.user_id')
      .leftJoin('customers', 'customers.id', 'users.customer_id')
      .selectAll('users')
      .select([
        'customers.disabled_at as customer_disabled_at',
        's.id as session_id',
        's.created_at as session_created_at',
        's.last_used_at as session_last_used_at',
        's.expires_at as session_expires_at',
      ])
      .where('s.token_hash', '=', tokenHash)
      .where('s.expires_at', '>', now)
      .where('s.last_used_at', '>', idleSince)
      .executeTakeFirst();
    if (!row) return null;
    return {
      session: {
        id: Number(row.session_id),
        userId: Number(row.id),
        createdAt: Number(row.session_created_at),
        lastUsedAt: Number(row.session_last_used_at),
        expiresAt: Number(row.session_expires_at),
      },
      user: toUserCredentials(row),
    };
  }

  async touch(id: number, at: number): Promise<void> {
    await this.#ctx.db.updateTable('sessions').set({ last_used_at: at }).where('id', '=', id).where('last_used_at', '<', at).execute();
  }

  async delete(id: number): Promise<void> {
    await this.#ctx.db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  /** Ends every session of every user of the customer (disabling it: enabling it again revives none). */
  async deleteForCustomer(customerId: number): Promise<void> {
    await this.#ctx.db
      .deleteFrom('sessions')
      .where('user_id', 'in', (eb) => eb.selectFrom('users').select('id').where('customer_id', '=', customerId))
      .execute();
  }

  /** Ends every session of the user, but the one named (the session that changed the password). */
  async deleteForUser(userId: number, exceptId?: number): Promise<void> {
    await this.#ctx.db
      .deleteFrom('sessions')
      .where('user_id', '=', userId)
      .$if(exceptId !== undefined, (q) => q.where('id', '!=', exceptId!))
      .execute();
  }
}

function toSession(r: { id: number; user_id: number; created_at: number; last_used_at: number; expires_at: number }): SessionRecord {
  return { id: Number(r.id), userId: Number(r.user_id), createdAt: Number(r.created_at), lastUsedAt: Number(r.last_used_at), expiresAt: Number(r.expires_at) };
}
