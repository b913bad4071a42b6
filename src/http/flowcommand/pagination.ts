import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';

/** FlowCommand pages hold 1000 items (seed 002). */
export const PAGE_SIZE = 1000;

export const invalidPage = () => new AppError(404, 'invalid_page', 'Invalid page.');

export function pageCount(count: number, pageSize = PAGE_SIZE): number {
  return count === 0 ? 1 : Math.ceil(count / pageSize);
}

/**
 * The page number as Django REST Framework's PageNumberPagination reads it: missing or empty
 * is 1, `last` is the last page, anything that is not a whole number from 1 to the last page
 * is 404 "Invalid page." (so this cannot be a schema: the error is a 404, not a 400). An
 * empty result is still a valid page 1.
 */
export function resolvePage(raw: string | undefined, count: number, pageSize = PAGE_SIZE): number {
  const pages = pageCount(count, pageSize);
  if (raw === undefined || raw === '') return 1;
  if (raw === 'last') return pages;
  if (!/^\s*\+?\d+\s*$/.test(raw)) throw invalidPage();
  const page = Number(raw.trim());
  if (!Number.isSafeInteger(page) || page < 1 || page > pages) throw invalidPage();
  return page;
}

/** Python's quote_plus: only letters, digits and `_.-~` stay as they are; space is `+`. */
function quotePlus(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * The absolute URL of another page, built from the request URL as DRF's replace_query_param /
 * remove_query_param do: `page` replaced (or removed when `page` is null), every other
 * parameter kept, sorted by name (values of one name in their order) and form-encoded.
 */
export function pageUrl(request: FastifyRequest, page: number | null): string {
  const raw = request.raw.url ?? request.url;
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = [...new URLSearchParams(q < 0 ? '' : raw.slice(q + 1))].filter(([name]) => name !== 'page');
  if (page !== null) params.push(['page', String(page)]);
  params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = params.map(([name, value]) => `${quotePlus(name)}=${quotePlus(value)}`).join('&');
  return `${request.protocol}://${request.host}${path}${query ? `?${query}` : ''}`;
}

export interface PageEnvelope<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export function envelope<T>(request: FastifyRequest, count: number, page: number, results: T[], pageSize = PAGE_SIZE): PageEnvelope<T> {
  const pages = pageCount(count, pageSize);
  return {
    count,
    next: page < pages ? pageUrl(request, page + 1) : null,
    previous: page > 1 ? pageUrl(request, page === 2 ? null : page - 1) : null,
    results,
  };
}
