import { ERRORS } from '../errors.js';
import { FilterError, parseFilter, type FilterNode } from './filter.js';
import { fieldOf, MODELS, type FieldDef, type ModelDef } from '../domain/models.js';

/**
 * The index parameters of the Fluxx face, as clients send them: from the query string, a form,
 * multipart fields or a JSON body, JSON-valued ones as JSON text (or already decoded). Every
 * field named is checked against the model; problems are 400s that name them.
 */

export const DEFAULT_PER_PAGE = 25;
export const MAX_PER_PAGE = 500;

export interface IndexParams {
  fields: FieldDef[];
  page: number;
  perPage: number;
  filter?: FilterNode;
  sort: { field: FieldDef; direction: 'asc' | 'desc' }[];
  relation: { field: FieldDef; target: ModelDef; fields: FieldDef[] }[];
  search?: string;
}

type Raw = Record<string, unknown>;

const bad = (message: string) => ERRORS.invalidRequest(message);

/** A JSON-valued parameter: JSON text, or the decoded value itself (a JSON body). */
function json(raw: Raw, name: string): unknown {
  const value = raw[name];
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw bad(`${name} is not valid JSON`);
  }
}

function fieldsOf(model: ModelDef, names: unknown, what: string): FieldDef[] {
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw bad(`${what} must be a JSON array of field names`);
  return [...new Set(names as string[])].map((name) => {
    const field = fieldOf(model, name);
    if (!field) throw bad(`${what}: ${model.type} has no field "${name}"`);
    return field;
  });
}

function positiveInt(raw: Raw, name: string, fallback: number, max?: number): number {
  const value = raw[name];
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(String(value)) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw bad(`${name} must be a whole number from 1${max ? ` to ${max}` : ''}`);
  if (max !== undefined && n > max) throw bad(`${name} must be at most ${max}`);
  return n;
}

function sortOf(model: ModelDef, raw: Raw): IndexParams['sort'] {
  const direction = (value: unknown, where: string): 'asc' | 'desc' => {
    const d = String(value ?? 'asc').toLowerCase();
    if (d !== 'asc' && d !== 'desc') throw bad(`${where}: sort order must be asc or desc`);
    return d;
  };
  const field = (name: unknown, where: string) => {
    const f = typeof name === 'string' ? fieldOf(model, name) : undefined;
    if (!f) throw bad(`${where}: ${model.type} has no field ${JSON.stringify(name)}`);
    return f;
  };
  if (raw.sort !== undefined && raw.sort !== '') {
    const value = json(raw, 'sort');
    const pairs = Array.isArray(value) && value.every((v) => Array.isArray(v)) ? (value as unknown[][]) : [value as unknown[]];
    return pairs.map((pair, i) => {
      if (!Array.isArray(pair) || pair.length < 1 || pair.length > 2) throw bad(`sort[${i}] must be ["field", "asc"|"desc"]`);
      return { field: field(pair[0], 'sort'), direction: direction(pair[1], 'sort') };
    });
  }
  if (raw.sort_attribute !== undefined && raw.sort_attribute !== '') return [{ field: field(raw.sort_attribute, 'sort_attribute'), direction: direction(raw.sort_order, 'sort_order') }];
  return [];
}

function relationOf(model: ModelDef, raw: Raw): IndexParams['relation'] {
  if (raw.relation === undefined || raw.relation === '') return [];
  const value = json(raw, 'relation');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('relation must be a JSON object such as {"facility_id": ["name"]}');
  return Object.entries(value).map(([name, cols]) => {
    const field = fieldOf(model, name);
    if (!field) throw bad(`relation: ${model.type} has no field "${name}"`);
    if (!field.references) throw bad(`relation: ${name} refers to no other model`);
    const target = MODELS[field.references];
    return { field, target, fields: fieldsOf(target, cols, `relation ${name}`) };
  });
}

export function parseIndexParams(model: ModelDef, raw: Raw): IndexParams {
  const cols = colsOf(model, raw);
  let filter: FilterNode | undefined;
  if (raw.filter !== undefined && raw.filter !== '') {
    try {
      filter = parseFilter(model, json(raw, 'filter'));
    } catch (error) {
      if (error instanceof FilterError) throw bad(error.message);
      throw error;
    }
  }
  const search = typeof raw.query === 'string' && raw.query.trim() !== '' ? raw.query.trim() : undefined;
  return {
    fields: cols,
    page: positiveInt(raw, 'page', 1),
    perPage: positiveInt(raw, 'per_page', DEFAULT_PER_PAGE, MAX_PER_PAGE),
    ...(filter ? { filter } : {}),
    sort: sortOf(model, raw),
    relation: relationOf(model, raw),
    ...(search ? { search } : {}),
  };
}

export function colsOf(model: ModelDef, raw: Raw): FieldDef[] {
  return raw.cols === undefined || raw.cols === '' ? model.fields : fieldsOf(model, json(raw, 'cols'), 'cols');
}

/**
 * One set of parameters from the query string and the body (form, multipart or JSON), the body
 * winning; a parameter repeated in the query string counts once, its last value.
 */
export function mergeParams(query: unknown, body: unknown): Raw {
  const merged: Raw = {};
  if (query && typeof query === 'object') for (const [k, v] of Object.entries(query)) merged[k] = Array.isArray(v) ? v.at(-1) : v;
  if (body && typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body)) Object.assign(merged, body);
  return merged;
}
