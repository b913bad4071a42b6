import { readFileSync } from 'node:fs';

/** What a running server says it is: its package version and the source revision it was built from. */
export interface ServerVersion {
  version: string;
  build: string;
}

const root = new URL('..', import.meta.url);

function readText(path: string): string | null {
  try {
    return readFileSync(new URL(path, root), 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * `FLOWLINE_BUILD` names the build when a packager sets it; in a git checkout the current
 * commit does; otherwise the build is `unknown`.
 */
function buildRevision(env: NodeJS.ProcessEnv): string {
  if (env.FLOWLINE_BUILD) return env.FLOWLINE_BUILD;
  const head = readText('.git/HEAD');
  if (head === null) return 'unknown';
  if (!head.startsWith('ref: ')) return head.slice(0, 12);
  const ref = head.slice(5);
  const sha = readText(`.git/${ref}`) ?? readText('.git/packed-refs')?.split('\n').find((line) => line.endsWith(` ${ref}`))?.split(' ')[0] ?? null;
  return sha ? sha.slice(0, 12) : 'unknown';
}

export function serverVersion(env: NodeJS.ProcessEnv = process.env): ServerVersion {
  const pkg = JSON.parse(readText('package.json') ?? '{}') as { version?: string };
  return { version: pkg.version ?? 'unknown', build: buildRevision(env) };
}
