/**
 * Writes `openapi.json` and the web app's types from the document the server serves.
 * `--check` writes nothing and exits 1 when either file is stale (CI and a test run it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { documentText, documentTypes, GENERATED_FILES, servedDocument } from './openapi-document.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');

const document = await servedDocument();
const wanted = { [GENERATED_FILES.document]: documentText(document), [GENERATED_FILES.types]: await documentTypes(document) };
const stale: string[] = [];
for (const [file, text] of Object.entries(wanted)) {
  const path = join(root, file);
  let current: string | null = null;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = null;
  }
  if (current === text) continue;
  stale.push(file);
  if (!check) writeFileSync(path, text);
}
if (check && stale.length > 0) {
  console.error(`stale: ${stale.join(', ')} differ from the served OpenAPI document; run \`npm run openapi:write\` and commit them`);
  process.exitCode = 1;
} else if (!check) {
  console.log(stale.length > 0 ? `wrote ${stale.join(', ')}` : 'openapi.json and web types are current');
}
