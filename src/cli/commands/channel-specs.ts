import { extname } from 'node:path';
import { readTextFile } from './support.js';
import { Type } from 'typebox';
import type { ChannelInput } from '../../domain/onboarding.js';
import { channelInput, schemaProblems, SiteChannelSchema, type SiteChannel } from '../../domain/site-import.js';
import { ERRORS } from '../../errors.js';
import { CsvError, parseCsv } from './csv.js';

/** The fields of a channel, in the order a `--channel` spec gives them. */
const SPEC_FIELDS = ['number', 'type', 'unit', 'name', 'process'] as const;
/** The columns a channels CSV may have (its header row names them, in any order). */
const CSV_COLUMNS = ['number', 'type', 'unit', 'name', 'kind', 'process'] as const;

/**
 * A `--channel` spec: `number:type[:unit[:name[:process]]]`, e.g.
 * `S11:conductivity:µS/cm:Conductivity:Cooling Tower 1`. An empty unit means none; an empty
 * name, the number.
 */
export function parseChannelSpec(spec: string): ChannelInput {
  const parts = spec.split(':').map((p) => p.trim());
  if (parts.length > SPEC_FIELDS.length || !parts[0] || !parts[1]) {
    throw ERRORS.invalidRequest(`--channel "${spec}" is not number:type[:unit[:name[:process]]], e.g. S11:conductivity:µS/cm:Conductivity:Cooling Tower 1.`);
  }
  const [number, type, unit, name, process] = parts as [string, string, string?, string?, string?];
  return { number, type, ...(unit ? { unit } : {}), ...(name ? { name } : {}), ...(process ? { process } : {}) };
}

/**
 * A channels file: a JSON array of `{number, type, unit?, name?, kind?, process?}`, or a CSV
 * whose header row names those columns. Every problem of the file is reported at once.
 */
export function readChannelsFile(path: string): ChannelInput[] {
  const text = readTextFile(path);
  const extension = extname(path).toLowerCase();
  let rows: unknown[];
  let problems: string[];
  if (extension === '.json') {
    const parsed = jsonValue(path, text);
    problems = schemaProblems(Type.Array(SiteChannelSchema), parsed, path);
    rows = Array.isArray(parsed) ? parsed : [];
  } else if (extension === '.csv') {
    const records = csvRecords(path, text);
    problems = records.flatMap(({ line, row }) => schemaProblems(SiteChannelSchema, row).map((p) => `line ${line}, ${p.replace(/^\(the file\): /, '')}`));
    rows = records.map((r) => r.row);
  } else {
    throw ERRORS.invalidRequest(`${path}: a channels file is .json or .csv.`);
  }
  if (problems.length > 0) throw ERRORS.invalidRequest(`${path} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}: ${problems.join('; ')}`);
  return (rows as SiteChannel[]).map(channelInput);
}

function jsonValue(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw ERRORS.invalidRequest(`${path} is not JSON: ${(error as Error).message}`);
  }
}

function csvRecords(path: string, text: string): { line: number; row: Record<string, string> }[] {
  let rows;
  try {
    rows = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvError) throw ERRORS.invalidRequest(`${path} is not CSV: ${error.message}`);
    throw error;
  }
  const [header, ...records] = rows;
  if (!header) throw ERRORS.invalidRequest(`${path} is empty: it needs a header row (number,type,unit,name,kind,process) and a row per channel.`);
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  const unknown = columns.filter((c) => !(CSV_COLUMNS as readonly string[]).includes(c));
  if (unknown.length > 0) throw ERRORS.invalidRequest(`${path}: unknown column ${unknown.map((c) => `"${c}"`).join(', ')} in the header row (columns: ${CSV_COLUMNS.join(', ')}).`);
  const twice = columns.find((c, i) => columns.indexOf(c) !== i);
  if (twice !== undefined) throw ERRORS.invalidRequest(`${path}: column "${twice}" appears twice in the header row.`);
  for (const required of ['number', 'type']) {
    if (!columns.includes(required)) throw ERRORS.invalidRequest(`${path}: the header row has no "${required}" column.`);
  }
  return records.map(({ line, fields }) => {
    if (fields.length !== columns.length) throw ERRORS.invalidRequest(`${path} line ${line}: ${fields.length} field${fields.length === 1 ? '' : 's'}, but the header has ${columns.length}.`);
    // An empty cell is a value left out (no unit, the default name or kind, no process).
    return { line, row: Object.fromEntries(columns.flatMap((column, i) => (fields[i]!.trim() === '' ? [] : [[column, fields[i]!.trim()]]))) };
  });
}
