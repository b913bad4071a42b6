import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { COUNTED_DATE_OPERATORS, countedDateRange, RELATIVE_DATE_OPERATORS, relativeDateRange, type CountedDateOperator, type RelativeDateOperator, type TimeRange } from './dates.js';
import { fieldOf, MODELS, type FieldDef, type ModelDef } from '../domain/models.js';

/**
 * Fluxx's `filter` grammar — `{"group_type": "and", "conditions": [[field, op, value], …]}`,
 * groups nested, cross-model `[parent_field, "filter", {group}]` — parsed against the model's
 * field list (anything unknown is a FilterError naming it) into a tree that compiles to a
 * parameterised SQL condition: field names become quoted identifiers from the model
 * definitions, values are always bound parameters.
 */

export const GROUP_TYPES = ['and', 'or', 'not-and', 'not-or'] as const;
export type GroupType = (typeof GROUP_TYPES)[number];

const COMPARISONS = { eq: '=', 'not-eq': '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;
const TEXT_OPERATORS = ['starts_with', 'not-starts_with', 'contains', 'like', 'not-like'] as const;
export const OPERATORS = [...Object.keys(COMPARISONS), 'null', 'not-null', ...TEXT_OPERATORS, 'range', ...RELATIVE_DATE_OPERATORS, ...COUNTED_DATE_OPERATORS, 'filter'] as const;

const MAX_DEPTH = 5;
const MAX_CONDITIONS = 200;
const DAY = 86_400_000;

export class FilterError extends Error {}

type Value = string | number | boolean;
export type FilterNode =
  | { kind: 'group'; type: GroupType; nodes: FilterNode[] }
  | { kind: 'compare'; field: FieldDef; op: keyof typeof COMPARISONS; value: Value }
  | { kind: 'between'; field: FieldDef; from: number; to: number; inclusiveTo: boolean }
  | { kind: 'null'; field: FieldDef; negate: boolean }
  | { kind: 'dates'; field: FieldDef; op: RelativeDateOperator | CountedDateOperator; count: number }
  | { kind: 'text'; field: FieldDef; pattern: string; negate: boolean }
  | { kind: 'relation'; field: FieldDef; target: ModelDef; group: FilterNode };

/** `01/31/2024` (month first, as Fluxx writes dates) or ISO 8601; a date alone is that UTC day. */
export function parseDateValue(text: string): { at: number; wholeDay: boolean } | null {
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text.trim());
  if (us) {
    const [, m, d, y] = us.map(Number) as [number, number, number, number];
    const at = Date.UTC(y, m - 1, d);
    const check = new Date(at);
    return check.getUTCMonth() === m - 1 && check.getUTCDate() === d ? { at, wholeDay: true } : null;
  }
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(text.trim());
  if (!iso) return null;
  // Date.parse rolls 2024-02-30 over to March: the calendar day must exist.
  const [, y, m, d] = iso.map(Number) as [number, number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text.trim())) return { at: day.getTime(), wholeDay: true };
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text.trim())) return null;
  const withZone = /([Zz]|[+-]\d{2}:?\d{2})$/.test(text.trim()) ? text.trim() : `${text.trim()}Z`;
  const at = Date.parse(withZone.replace(' ', 'T'));
  return Number.isNaN(at) ? null : { at, wholeDay: false };
}

const DECIMAL = /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/;
const INT32 = 2_147_483_647;

/**
 * A number for a field, as both filters and writes take it: decimal text or a JSON number;
 * integer fields need a whole number the column can hold. Null when it is not one.
 */
export function parseNumberValue(field: FieldDef, value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && DECIMAL.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) return null;
  if (field.type === 'integer' && (!Number.isSafeInteger(n) || (field.int32 === true && Math.abs(n) > INT32))) return null;
  return n;
}

function scalar(field: FieldDef, value: unknown, where: string): Value {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw new FilterError(`${where}: the value must be a string, number or boolean`);
  switch (field.type) {
    case 'integer':
    case 'number': {
      const n = parseNumberValue(field, value);
      if (n === null) throw new FilterError(`${where}: "${String(value)}" is not ${field.type === 'integer' ? 'an integer this field can hold' : 'a number'}`);
      return n;
    }
    case 'boolean': {
      if (value === true || value === 'true' || value === 1 || value === '1') return 1;
      if (value === false || value === 'false' || value === 0 || value === '0') return 0;
      throw new FilterError(`${where}: "${String(value)}" is not true or false`);
    }
    case 'datetime': {
      const parsed = parseDateValue(String(value));
      if (!parsed) throw new FilterError(`${where}: "${String(value)}" is not a date (MM/DD/YYYY or ISO 8601)`);
      return parsed.at;
    }
    case 'string':
      return String(value);
  }
}

function parseRange(field: FieldDef, value: unknown, where: string): FilterNode {
  const text = String(value);
  if (field.type === 'datetime') {
    const m = /^(.+?)\s*(?:-|\.\.)\s*(\d{1,2}\/\d{1,2}\/\d{4}|\d{4}-\d{2}-\d{2}.*)$/.exec(text);
    const from = m ? parseDateValue(m[1]!) : null;
    const to = m ? parseDateValue(m[2]!) : null;
    if (!from || !to) throw new FilterError(`${where}: "${text}" is not a date range such as 01/01/2024-02/01/2024`);
    return { kind: 'between', field, from: from.at, to: to.wholeDay ? to.at + DAY : to.at, inclusiveTo: !to.wholeDay };
  }
  if (field.type !== 'integer' && field.type !== 'number') throw new FilterError(`${where}: range applies to numbers and dates, not to ${field.type} field ${field.name}`);
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$/.exec(text);
  const from = m ? parseNumberValue(field, m[1]) : null;
  const to = m ? parseNumberValue(field, m[2]) : null;
  if (from === null || to === null) throw new FilterError(`${where}: "${text}" is not a range such as 10000-20000${field.type === 'integer' ? ' of whole numbers this field can hold' : ''}`);
  return { kind: 'between', field, from, to, inclusiveTo: true };
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** `%text%` with the caller's `%`, `_` and `\` taken literally. */
export const containsPattern = (text: string) => `%${escapeLike(text)}%`;

/** Case-insensitive LIKE, the one way text is matched (filters and `query` search). */
export function likeCondition(column: Expression<unknown>, pattern: string): Expression<SqlBool> {
  return sql<SqlBool>`lower(${column}) like lower(${pattern}) escape '\\'`;
}

function parseCondition(model: ModelDef, raw: unknown, where: string, state: { conditions: number }, depth: number): FilterNode {
  if (!Array.isArray(raw)) return parseGroup(model, raw, where, state, depth + 1);
  if (raw.length < 2 || raw.length > 3) throw new FilterError(`${where}: a condition is [field, operator, value]`);
  const [name, op, value] = raw as [unknown, unknown, unknown];
  if (typeof name !== 'string') throw new FilterError(`${where}: the field must be a string`);
  const field = fieldOf(model, name);
  if (!field) throw new FilterError(`${where}: ${model.type} has no field "${name}"`);
  if (typeof op !== 'string' || !(OPERATORS as readonly string[]).includes(op)) throw new FilterError(`${where}: unknown operator ${JSON.stringify(op)}; use one of ${OPERATORS.join(', ')}`);
  state.conditions += 1;
  if (state.conditions > MAX_CONDITIONS) throw new FilterError(`a filter holds at most ${MAX_CONDITIONS} conditions`);
  if (op in COMPARISONS) {
    const day = field.type === 'datetime' ? parseDateValue(String(value)) : null;
    // A date without a time means that whole UTC day.
    if (day?.wholeDay) {
      const next = day.at + DAY;
      const eq: FilterNode = { kind: 'between', field, from: day.at, to: next, inclusiveTo: false };
      if (op === 'eq') return eq;
      if (op === 'not-eq') return { kind: 'group', type: 'not-and', nodes: [eq] };
      // lt/gte compare with the day's start; lte/gt with the next day's (as lt/gte).
      if (op === 'lte' || op === 'gt') return { kind: 'compare', field, op: op === 'lte' ? 'lt' : 'gte', value: next };
      return { kind: 'compare', field, op: op as 'lt' | 'gte', value: day.at };
    }
    return { kind: 'compare', field, op: op as keyof typeof COMPARISONS, value: scalar(field, value, where) };
  }
  if (op === 'null' || op === 'not-null') return { kind: 'null', field, negate: op === 'not-null' };
  if ((TEXT_OPERATORS as readonly string[]).includes(op)) {
    if (field.type !== 'string') throw new FilterError(`${where}: ${op} applies to text fields, not to ${field.type} field ${field.name}`);
    if (typeof value !== 'string' && typeof value !== 'number') throw new FilterError(`${where}: ${op} needs a text value`);
    const text = String(value);
    // A pattern ending in an unpaired escape character is invalid SQL on PostgreSQL.
    if ((op === 'like' || op === 'not-like') && /(^|[^\\])(\\\\)*\\$/.test(text)) throw new FilterError(`${where}: a like pattern cannot end with a single backslash`);
    const pattern = op === 'like' || op === 'not-like' ? text : op === 'contains' ? containsPattern(text) : `${escapeLike(text)}%`;
    return { kind: 'text', field, pattern, negate: op.startsWith('not-') };
  }
  if (op === 'range') return parseRange(field, value, where);
  if (op === 'filter') {
    if (!field.references) throw new FilterError(`${where}: ${field.name} refers to no other model, so it cannot take a filter`);
    const target = MODELS[field.references];
    return { kind: 'relation', field, target, group: parseGroup(target, value, `${where} (${target.type})`, state, depth + 1) };
  }
  // Relative dates.
  if (field.type !== 'datetime') throw new FilterError(`${where}: ${op} applies to dates, not to ${field.type} field ${field.name}`);
  const counted = (COUNTED_DATE_OPERATORS as readonly string[]).includes(op);
  return { kind: 'dates', field, op: op as RelativeDateOperator | CountedDateOperator, count: counted ? countOf(value, where) : 0 };
}

function countOf(value: unknown, where: string): number {
  const n = typeof value === 'number' ? value : Number(String(value));
  if (!Number.isInteger(n) || n < 0 || n > 100_000) throw new FilterError(`${where}: the count must be a whole number from 0 to 100000`);
  return n;
}

function parseGroup(model: ModelDef, raw: unknown, where: string, state: { conditions: number }, depth: number): FilterNode {
  if (depth > MAX_DEPTH) throw new FilterError(`filter groups nest at most ${MAX_DEPTH} deep`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new FilterError(`${where}: a group is {"group_type": …, "conditions": [...]}`);
  const { group_type: type = 'and', conditions, ...rest } = raw as { group_type?: unknown; conditions?: unknown };
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new FilterError(`${where}: unknown key "${extra[0]}" in a group`);
  if (typeof type !== 'string' || !(GROUP_TYPES as readonly string[]).includes(type)) throw new FilterError(`${where}: unknown group_type ${JSON.stringify(type)}; use ${GROUP_TYPES.join(', ')}`);
  if (!Array.isArray(conditions)) throw new FilterError(`${where}: "conditions" must be a list`);
  return { kind: 'group', type: type as GroupType, nodes: conditions.map((c, i) => parseCondition(model, c, `${where}.conditions[${i}]`, state, depth)) };
}

/** Parses `filter` (JSON text or an already-decoded object) for a model. */
export function parseFilter(model: ModelDef, input: unknown): FilterNode {
  let raw = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch {
      throw new FilterError('filter is not valid JSON');
    }
  }
  return parseGroup(model, raw, 'filter', { conditions: 0 }, 0);
}

// --- compiling -------------------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyEb = ExpressionBuilder<any, any>;

function dateRange(op: RelativeDateOperator | CountedDateOperator, count: number, now: number): TimeRange {
  return (COUNTED_DATE_OPERATORS as readonly string[]).includes(op) ? countedDateRange(op as CountedDateOperator, count, now) : relativeDateRange(op as RelativeDateOperator, now);
}

/**
 * The condition as SQL over the table aliased `alias`. `scopeOf(model, alias)` adds the
 * tenant condition to the subquery of a cross-model filter.
 */
export function compileFilter(
  eb: AnyEb,
  node: FilterNode,
  alias: string,
  context: { now: number; tenant: (eb: AnyEb, model: ModelDef, alias: string) => Expression<SqlBool>; depth?: number },
): Expression<SqlBool> {
  const column = (field: FieldDef) => sql.ref(`${alias}.${field.column}`);
  switch (node.kind) {
    case 'group': {
      const parts = node.nodes.map((n) => compileFilter(eb, n, alias, context));
      const joined = node.type.endsWith('or') ? (parts.length === 0 ? sql<SqlBool>`1 = 0` : eb.or(parts)) : parts.length === 0 ? sql<SqlBool>`1 = 1` : eb.and(parts);
      return node.type.startsWith('not-') ? eb.not(joined) : joined;
    }
    case 'compare':
      return eb(column(node.field), COMPARISONS[node.op], node.value);
    case 'dates': {
      const { from, to } = dateRange(node.op, node.count, context.now);
      return eb.and([eb(column(node.field), '>=', from), eb(column(node.field), '<', to)]);
    }
    case 'between':
      return eb.and([eb(column(node.field), '>=', node.from), eb(column(node.field), node.inclusiveTo ? '<=' : '<', node.to)]);
    case 'null':
      return eb(column(node.field), node.negate ? 'is not' : 'is', null);
    case 'text': {
      const like = likeCondition(column(node.field), node.pattern);
      return node.negate ? eb.or([eb.not(like), eb(column(node.field), 'is', null)]) : like;
    }
    case 'relation': {
      const depth = (context.depth ?? 0) + 1;
      const inner = `r${depth}`;
      const target = node.target;
      return eb.exists(
        eb
          .selectFrom(`${target.table} as ${inner}`)
          .select(sql.lit(1).as('one'))
          .where(sql.ref(`${inner}.id`), '=', column(node.field))
          .where((ib: AnyEb) => context.tenant(ib, target, inner))
          .where((ib: AnyEb) => compileFilter(ib, node.group, inner, { ...context, depth })),
      );
    }
  }
}
