import { paths } from '../../config/paths';

/**
 * Where to go after signing in: the `next` query parameter when it is a path of this app
 * (`/account`, `/controllers/7?range=7d`), else the dashboard. Anything that could leave the
 * app (`//evil.example`, `/\evil.example`, `https://…`, `javascript:`) is ignored.
 */
export function safeNext(next: string | null): string {
  if (next === null || next === '') return paths.dashboard;
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return paths.dashboard;
  // Control characters (a browser drops tabs and newlines, turning `/\t/evil` into `//evil`).
  if ([...next].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return paths.dashboard;
  try {
    const url = new URL(next, 'https://app.invalid');
    if (url.origin !== 'https://app.invalid') return paths.dashboard;
    // Router paths are inside the /app basename; the sign-in page itself is no destination.
    const path = url.pathname.startsWith('/app/') ? url.pathname.slice(4) : url.pathname;
    if (path === paths.signIn) return paths.dashboard;
    return `${path}${url.search}${url.hash}`;
  } catch {
    return paths.dashboard;
  }
}
