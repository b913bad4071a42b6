import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { Scope } from '../domain/scope.js';
import { compileFilter, containsPattern, likeCondition, type FilterNode } from '../fluxx/filter.js';
import type { FieldDef, ModelDef } from '../domain/models.js';
import type { Database } from './schema.js';

/**
 * Generic reads over the models of src/domain/models.ts (the Fluxx face): a filtered, sorted,
 * paged list or one record, with only the chosen columns, inside the caller's tenant scope.
 * Identifiers all come from the model definitions; values are bound parameters.
 */

export interface RecordQuery {
  model: ModelDef;
  /** Fields to return (`id` always is). */
  fields: FieldDef[];
  filter?: FilterNode;
  /** Case-insensitive text search over the model's searchable fields. */
  search?: string;
  sort: { field: FieldDef; direction: 'asc' | 'desc' }[];
  limit: number;
  offset: number;
  /** One record by id. */
  id?: number;
  /** Only these ids (expanding a relation). */
  ids?: number[];
}

export type RecordRow = Record<string, unknown>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyEb = ExpressionBuilder<any, any>;

/** The tenant condition for a model's rows under `alias`. */
export function tenantCondition(scope: Scope, eb: AnyEb, model: ModelDef, alias: string): Expression<SqlBool> {
  const kind = model.kind ? eb(sql.ref(`${alias}.kind`), '=', model.kind) : null;
  if (scope.customerId === null) return kind ?? sql<SqlBool>`1 = 1`;
  const own =
    'column' in model.tenant
      ? eb(sql.ref(`${alias}.${model.tenant.column}`), '=', scope.customerId)
      : eb.exists(
          eb
            .selectFrom('channels as tc')
            .select(sql.lit(1).as('one'))
            .whereRef('tc.id', '=', sql.ref(`${alias}.channel_id`))
            .where('tc.customer_id', '=', scope.customerId),
        );
  return kind ? eb.and([own, kind]) : own;
}

export async function queryRecords(db: Kysely<Database>, scope: Scope, query: RecordQuery, now: number): Promise<{ rows: RecordRow[]; total: number }> {
  const { model } = query;
  const alias = 't';
  const tenant = (eb: AnyEb, m: ModelDef, a: string) => tenantCondition(scope, eb, m, a);
  const conditions = (eb: AnyEb): Expression<SqlBool> => {
    const parts: Expression<SqlBool>[] = [tenant(eb, model, alias)];
    if (query.id !== undefined) parts.push(eb(sql.ref(`${alias}.id`), '=', query.id));
    if (query.ids !== undefined) parts.push(query.ids.length === 0 ? sql<SqlBool>`1 = 0` : eb(sql.ref(`${alias}.id`), 'in', query.ids));
    if (query.filter) parts.push(compileFilter(eb, query.filter, alias, { now, tenant }));
    if (query.search) {
      const pattern = containsPattern(query.search);
      const searchable = model.fields.filter((f) => f.searchable);
      parts.push(searchable.length === 0 ? sql<SqlBool>`1 = 0` : eb.or(searchable.map((f) => likeCondition(sql.ref(`${alias}.${f.column}`), pattern))));
    }
    return eb.and(parts);
  };
  const base = db.selectFrom(`${model.table} as ${alias}` as 'customers as t');
  const fields = query.fields.some((f) => f.name === 'id') ? query.fields : [model.fields.find((f) => f.name === 'id')!, ...query.fields];
  let select = base
    .select(fields.map((f) => sql.ref(`${alias}.${f.column}`).as(f.name)))
    .where((eb) => conditions(eb as AnyEb));
  for (const { field, direction } of query.sort) select = select.orderBy(sql.ref(`${alias}.${field.column}`), direction);
  select = select.orderBy(sql.ref(`${alias}.id`), query.sort.at(-1)?.direction ?? 'asc');
  const rows = (await select.limit(query.limit).offset(query.offset).execute()) as RecordRow[];
  // A first page that is not full is everything: no COUNT needed (it is costly on readings).
  if (query.id !== undefined || (query.offset === 0 && rows.length < query.limit)) return { rows, total: rows.length };
  const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).where((eb) => conditions(eb as AnyEb)).executeTakeFirstOrThrow();
  return { rows, total: Number(total.n) };
}

/** A change to one record of a model, its values already validated (column → value). */
export type RecordWrite =
  | { kind: 'create'; values: Record<string, unknown>; at: number }
  | { kind: 'update'; id: number; values: Record<string, unknown> }
  | { kind: 'delete'; id: number };

/**
 * Writes one record inside the caller's scope: an update or delete of a record the scope
 * cannot see changes nothing (null / false), exactly like a missing one.
 */
export async function writeRecord(db: Kysely<Database>, scope: Scope, model: ModelDef, write: RecordWrite): Promise<number | null> {
  // Kysely's types cannot follow a table chosen at run time; the model definitions name it.
  const table = model.table as 'facilities';
  const inScope = (eb: AnyEb) => tenantCondition(scope, eb, model, model.table);
  if (write.kind === 'create') {
    const row = await db
      .insertInto(table)
      .values({ ...write.values, ...(model.kind ? { kind: model.kind } : {}), created_at: write.at } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }
  if (write.kind === 'update') {
    if (Object.keys(write.values).length === 0) {
      const found = await db.selectFrom(table).select('id').where('id', '=', write.id).where((eb) => inScope(eb as AnyEb)).executeTakeFirst();
      return found ? found.id : null;
    }
    const row = await db
      .updateTable(table)
      .set(write.values as never)
      .where('id', '=', write.id)
      .where((eb) => inScope(eb as AnyEb))
      .returning('id')
      .executeTakeFirst();
    return row ? row.id : null;
  }
  const result = await db.deleteFrom(table).where('id', '=', write.id).where((eb) => inScope(eb as AnyEb)).executeTakeFirst();
  return Number(result.numDeletedRows) > 0 ? write.id : null;
}
