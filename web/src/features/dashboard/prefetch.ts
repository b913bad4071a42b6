/**
 * Requests a route starts before its page renders. The router runs a route's loader as soon
 * as the URL is known — on a first visit in parallel with the session check and the page's
 * code — so the controller page's data is on its way while the shell loads. The page's query
 * functions take the answer from here once (within a few seconds), then fetch as usual; the
 * cache is react-query's, this only hands over the first promise.
 */
const TTL_MS = 10_000;
const pending = new Map<string, { at: number; promise: Promise<unknown> }>();

export function prefetch<T>(key: readonly unknown[], load: () => Promise<T>): Promise<T> {
  const k = JSON.stringify(key);
  const hit = pending.get(k);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.promise as Promise<T>;
  const promise = load();
  promise.catch(() => undefined);
  pending.set(k, { at: Date.now(), promise });
  return promise;
}

/** The prefetched answer for this key if there is a fresh one (taken once), else a new load. */
export function prefetched<T>(key: readonly unknown[], load: () => Promise<T>): Promise<T> {
  const k = JSON.stringify(key);
  const hit = pending.get(k);
  pending.delete(k);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.promise as Promise<T>;
  return load();
}
