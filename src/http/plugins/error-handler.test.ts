import { describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { IsoTimeInputSchema } from '../schemas/common.js';
import { createValidatorCompiler } from '../validation.js';
import { toAppError } from './error-handler.js';

/** A validation failure as Fastify hands it to the error handler. */
function validationError(schema: object, value: unknown): Error {
  const validate = createValidatorCompiler()({ schema, httpPart: 'querystring', method: 'GET', url: '/' }) as ((v: unknown) => boolean) & {
    errors: { instancePath: string; message: string }[];
  };
  expect(validate(value)).toBe(false);
  const first = validate.errors[0]!;
  return Object.assign(new Error(`querystring${first.instancePath} ${first.message}`), { validation: validate.errors, validationContext: 'querystring' });
}

describe('toAppError', () => {
  it('names a failed time pattern instead of printing its regular expression', () => {
    const error = toAppError(validationError(Type.Object({ start: IsoTimeInputSchema }), { start: '2026-13' }));
    expect(error.status).toBe(400);
    expect(error.message).toBe('querystring/start must be an ISO 8601 date-time such as 2026-11-24T08:00:00Z');
  });

  it('keeps other pattern failures as Ajv words them', () => {
    const error = toAppError(validationError(Type.Object({ code: Type.String({ pattern: '^[a-z]+$' }) }), { code: 'A1' }));
    expect(error.message).toBe('querystring/code must match pattern "^[a-z]+$"');
  });
});
