/**
 * Rewrites the README's configuration table and `.env.example` from the setting definitions
 * in src/settings.ts (`npm run docs:config`), and says which of the two changed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderEnvExample, renderReadmeTable, withConfigurationTable } from './config-docs.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function rewrite(name: string, next: (current: string) => string): void {
  const path = `${root}${name}`;
  const current = readFileSync(path, 'utf8');
  const written = next(current);
  if (written === current) {
    console.log(`${name}: up to date`);
    return;
  }
  writeFileSync(path, written);
  console.log(`${name}: rewritten`);
}

rewrite('README.md', (readme) => withConfigurationTable(readme, renderReadmeTable()));
rewrite('.env.example', () => renderEnvExample());
