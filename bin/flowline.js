#!/usr/bin/env node
// `flowline` runs the compiled CLI (dist/, made by `npm run build`) with plain node. A
// development checkout that was never built runs the TypeScript sources through tsx instead,
// without a word, so `npx flowline` works there too. tsx is a devDependency: an install
// without it and without a build says so in one line. After a build, dist/ is what runs:
// rebuild after changing src/, or use `npm run flowline -- …`, which always runs the sources.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);

async function loadTsx() {
  try {
    return await import('tsx/esm/api');
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND') return null;
    throw error;
  }
}

if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const tsx = await loadTsx();
  if (tsx) {
    tsx.register();
    await import('../src/cli/main.ts');
  } else {
    console.error('flowline: there is no build (dist/cli/main.js): run `npm run build` first.');
    process.exitCode = 1;
  }
}
