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
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { openStore } from '../src/store/open-store.js';

const root = fileURLToPath(new URL('..', import.meta.url));

async function generatedDocument(): Promise<unknown> {
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

const dir = mkdtempSync(join(tmpdir(), 'flowline-openapi-'));
try {
  const file = join(dir, 'openapi.json');
  // Indented, so redocly's excerpts point at a readable line rather than one 40 kB line.
  writeFileSync(file, `${JSON.stringify(await generatedDocument(), null, 2)}\n`);
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
