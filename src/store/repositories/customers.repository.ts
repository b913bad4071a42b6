import { ERRORS } from '../../errors.js';
import { canSeeCustomer, type Scope } from '../../domain/scope.js';
import { toCustomer } from '../mappers.js';
import { inScope, type RepositoryContext } from '../scoped-query.js';
import type { Customer } from '../../domain/types.js';

export interface CustomerPatch {
  name?: string;
  /** A time disables the customer; null enables it again. */
  disabledAt?: number | null;
}

/** Customers: the tenants. Only platform operators create or change them. */
export class CustomersRepository {
  readonly #ctx: RepositoryContext;

  constructor(ctx: RepositoryContext) {
    this.#ctx = ctx;
  }

  async create(scope: Scope, name: string): Promise<Customer> {
    if (scope.customerId !== null) throw ERRORS.forbidden('Only platform operators create customers.');
    const row = await this.#ctx.db.insertInto('customers').values({ name, created_at: this.#ctx.now() }).returningAll().executeTakeFirstOrThrow();
    return toCustomer(row);
  }

  async list(scope: Scope): Promise<Customer[]> {
    const rows = await this.#ctx.db.selectFrom('customers').selectAll().$call((q) => inScope(q, scope, 'id')).orderBy('id').execute();
    return rows.map(toCustomer);
  }

  async get(scope: Scope, id: number): Promise<Customer | null> {
    if (!canSeeCustomer(scope, id)) return null;
    const row = await this.#ctx.db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toCustomer(row) : null;
  }

  async findByName(scope: Scope, name: string): Promise<Customer | null> {
    if (name.includes('\u0000')) return null;
    const row = await this.#ctx.db
      .selectFrom('customers')
      .selectAll()
      .where('name', '=', name)
      .$call((q) => inScope(q, scope, 'id'))
      .orderBy('id')
      .executeTakeFirst();
    return row ? toCustomer(row) : null;
  }

  async update(scope: Scope, id: number, patch: CustomerPatch): Promise<Customer | null> {
    if (!canSeeCustomer(scope, id)) return null;
    const values = { ...(patch.name !== undefined ? { name: patch.name } : {}), ...(patch.disabledAt !== undefined ? { disabled_at: patch.disabledAt } : {}) };
    if (Object.keys(values).length === 0) return this.get(scope, id);
    return this.#ctx.db.transaction().execute(async (trx) => {
      const row = await trx.updateTable('customers').set(values).where('id', '=', id).returningAll().executeTakeFirst();
      // Links sent before the customer was disabled must not work once it is enabled again.
      if (row && patch.disabledAt) {
        await trx
          .deleteFrom('password_links')
          .where('used_at', 'is', null)
          .where('user_id', 'in', (eb) => eb.selectFrom('users').select('users.id').where('users.customer_id', '=', id))
          .execute();
      }
      return row ? toCustomer(row) : null;
    });
  }
}
