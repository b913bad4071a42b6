import { ERRORS } from '../../errors.js';
import type { Scope } from '../../domain/scope.js';
import type { Controller, IngestKey } from '../../domain/types.js';
import { toController, toIngestKey } from '../mappers.js';
import { inScope, type Executor, type RepositoryContext } from '../scoped-query.js';

export interface NewIngestKey {
  keyHash: string;
  prefix: string;
  at: number;
}

/**
 * Devices' credentials. A controller may hold several live keys at once: during a rotation the
 * old key keeps working until its overlap ends, so a device in the field can be updated
 * without losing data. A key works while it is not revoked, not expired, and its customer
 * is enabled.
 */
export class IngestKeysRepository {
  readonly #ctx: RepositoryContext;

  constructor(ctx: RepositoryContext) {
    this.#ctx = ctx;
  }

  /** Inside a transaction that already holds the controller (its registration). */
  async insert(trx: Executor, controller: Controller, key: NewIngestKey): Promise<IngestKey> {
    const row = await trx
      .insertInto('ingest_keys')
      .values({ customer_id: controller.customerId, controller_id: controller.id, key_hash: key.keyHash, prefix: key.prefix, created_at: key.at, expires_at: null, revoked_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toIngestKey(row);
  }

  /**
   * Adds a key; the controller's other live keys stop working at `retireOthersAt` (now, or
   * the end of an overlap), unless they already end sooner.
   */
  async rotate(scope: Scope, controllerId: number, key: NewIngestKey, retireOthersAt: number): Promise<IngestKey> {
    return this.#ctx.db.transaction().execute(async (trx) => {
      // Rotations of one controller take turns (its row locked), or two at once would each
      // retire the keys they saw and both new keys would stay live.
      const row = await trx
        .selectFrom('controllers')
        .selectAll()
        .where('id', '=', controllerId)
        .$call((q) => inScope(q, scope))
        .$if(this.#ctx.dialect.supportsRowLocks, (q) => q.forUpdate())
        .executeTakeFirst();
      if (!row) throw ERRORS.notFound('Controller');
      await trx
        .updateTable('ingest_keys')
        .set({ expires_at: retireOthersAt })
        .where('controller_id', '=', controllerId)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', retireOthersAt)]))
        .execute();
      return this.insert(trx, toController(row), key);
    });
  }

  /** Every key of the controller, newest first (revoked and expired ones too, for the record). */
  async list(scope: Scope, controllerId: number): Promise<IngestKey[]> {
    const rows = await this.#ctx.db
      .selectFrom('ingest_keys')
      .selectAll()
      .where('controller_id', '=', controllerId)
      .$call((q) => inScope(q, scope))
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toIngestKey);
  }

  /** Revokes one key, or every live key of the controller; how many were revoked. */
  async revoke(scope: Scope, controllerId: number, at: number, keyId?: number): Promise<number> {
    const result = await this.#ctx.db
      .updateTable('ingest_keys')
      .set({ revoked_at: at })
      .where('controller_id', '=', controllerId)
      .where('revoked_at', 'is', null)
      // An expired key is already dead: revoking it would change nothing but its record.
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
      .$if(keyId !== undefined, (q) => q.where('id', '=', keyId!))
      .$call((q) => inScope(q, scope))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Device authentication: unscoped by nature. */
  async findController(keyHash: string, now: number): Promise<Controller | null> {
    const row = await this.#ctx.db
      .selectFrom('ingest_keys as k')
      .innerJoin('controllers', 'controllers.id', 'k.controller_id')
      .innerJoin('customers', 'customers.id', 'k.customer_id')
      .selectAll('controllers')
      .where('k.key_hash', '=', keyHash)
      .where('k.revoked_at', 'is', null)
      .where((eb) => eb.or([eb('k.expires_at', 'is', null), eb('k.expires_at', '>', now)]))
      .where('customers.disabled_at', 'is', null)
      .executeTakeFirst();
    return row ? toController(row) : null;
  }
}
