import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats ships CommonJS with a default export that NodeNext sees one level down.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const base: Options = { allErrors: false, removeAdditional: true, useDefaults: true, strict: false };

/**
 * Query strings and path parameters arrive as text, so their numbers and booleans are coerced.
 * Bodies are JSON with real types: a reading whose value is the string "12" is a wrong type
 * and must be refused, not quietly converted.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const textual = addFormats(new Ajv({ ...base, coerceTypes: 'array' }));
  // Nor is an unknown property (a misspelt `reading` would otherwise drop a batch silently), or a
  // number that overflows to Infinity.
  const typed = addFormats(new Ajv({ ...base, coerceTypes: false, removeAdditional: false, strictNumbers: true }));
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? typed : textual;
    return ajv.compile(schema as object);
  };
}
