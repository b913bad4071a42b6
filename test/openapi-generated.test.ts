import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { documentText, documentTypes, GENERATED_FILES, servedDocument } from '../scripts/openapi-document.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const committed = (file: string) => readFileSync(`${root}/${file}`, 'utf8');

/** The committed document and the web app's types are what the server serves: `npm run openapi:write` when this fails. */
describe('generated OpenAPI files', () => {
  it('openapi.json and web/src/generated/openapi.d.ts match the served document', async () => {
    const document = await servedDocument();
    expect(committed(GENERATED_FILES.document) === documentText(document), 'openapi.json is stale: run `npm run openapi:write`').toBe(true);
    expect(committed(GENERATED_FILES.types) === (await documentTypes(document)), 'web/src/generated/openapi.d.ts is stale: run `npm run openapi:write`').toBe(true);
  });
});
