/**
 * The OpenAPI document exactly as the server serves it, built on a throwaway in-memory
 * SQLite store; and the TypeScript types generated from it for the web app. One place, so
 * the linter, the committed `openapi.json` and the web app's types agree.
 */
import openapiTS, { astToString } from 'openapi-typescript';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { openStore } from '../src/store/open-store.js';

export async function servedDocument(): Promise<Record<string, unknown>> {
  const store = openStore(':memory:');
  try {
    await store.migrate();
    const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent' }), store });
    try {
      const res = await app.inject('/openapi.json');
      if (res.statusCode !== 200) throw new Error(`GET /openapi.json answered ${res.statusCode}: ${res.body}`);
      return res.json();
    } finally {
      await app.close();
    }
  } finally {
    await store.close();
  }
}

/** The committed form of the document: indented, so a diff of it reads route by route. */
export const documentText = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;

/** The web app's `paths`, `components` and `operations` types, from openapi-typescript. */
export async function documentTypes(document: Record<string, unknown>): Promise<string> {
  const ast = await openapiTS(document as never, { alphabetize: true });
  return `// Generated from openapi.json by \`npm run openapi:write\`; never edit by hand.\n\n${astToString(ast)}`;
}

/** Where the generated files live, relative to the repository root. */
export const GENERATED_FILES = { document: 'openapi.json', types: 'web/src/generated/openapi.d.ts' } as const;
