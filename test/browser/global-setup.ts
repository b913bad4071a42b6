import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Builds the web app once per test run when it is missing or older than its sources (the
 * same check `npm start` makes), so the browser tests drive what `npm start` would serve.
 */
export default function setup(): void {
  const script = fileURLToPath(new URL('../../scripts/ensure-web-built.mjs', import.meta.url));
  const result = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('building the web app failed (node scripts/ensure-web-built.mjs)');
}
