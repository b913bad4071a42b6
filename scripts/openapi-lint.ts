/**
 * Lints the OpenAPI document exactly as the server serves it: builds the app on a throwaway
 * in-memory SQLite store, fetches /openapi.json and runs `redocly lint` with the repository's
 * redocly.yaml. Exits with redocly's status, so errors fail CI and warnings do not.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { documentText, servedDocument } from './openapi-document.js';

const root = fileURLToPath(new URL('..', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'flowline-openapi-'));
try {
  const file = join(dir, 'openapi.json');
  // Indented, so redocly's excerpts point at a readable line rather than one 40 kB line.
  writeFileSync(file, documentText(await servedDocument()));
  const result = spawnSync(join(root, 'node_modules/.bin/redocly'), ['lint', file, '--config', join(root, 'redocly.yaml')], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  if (result.error) throw result.error;
  process.exitCode = result.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
