import { DEFAULT_RATE_LIMITS, type FacePolicies, type RatePolicy } from '../ratelimit/policy.js';
import { DEFAULT_PER_PAGE, MAX_PER_PAGE } from './params.js';
import { GROUP_TYPES, OPERATORS } from './filter.js';
import { MODEL_TYPES, MODELS, type ModelDef, type ModelType } from '../domain/models.js';

/**
 * The Fluxx documentation page (`/api/rest/v2/doc`), generated from the live model definitions
 * so that it cannot drift from what the face accepts: parameters, methods, how to get a token,
 * the classes, and per class its fields and sample cURL calls.
 */

export interface ClassDoc {
  model_type: ModelType;
  description: string;
  writable: boolean;
  fields: { name: string; type: string; description: string; filterable: boolean; sortable: boolean; writable: boolean; required: boolean; references?: string }[];
  samples: string[];
}

export interface ApiDoc {
  base: string;
  token: { method: string; path: string; body: string; answer: string };
  methods: { method: string; path: string; action: string; rate_limit: string }[];
  parameters: { name: string; description: string }[];
  filter_operators: string[];
  group_types: string[];
  classes: ModelType[];
}

const perMinute = (p: RatePolicy) => `${p.max} per ${p.windowMs === 60_000 ? 'minute' : `${p.windowMs / 1000} s`}`;

/** The page of the API as this server runs it (its configured rate limits included). */
export function apiDoc(base: string, limits: FacePolicies = DEFAULT_RATE_LIMITS.fluxx): ApiDoc {
  const list = perMinute(limits.list ?? limits.default);
  const get = perMinute(limits.get ?? limits.default);
  const write = perMinute(limits.write ?? limits.default);
  return {
    base,
    token: {
      method: 'POST',
      path: '/oauth/token',
      body: 'grant_type=client_credentials&client_id=…&client_secret=…',
      answer: '{"access_token": "…", "token_type": "bearer", "expires_in": 7200}; then send Authorization: Bearer <access_token>. Users may also send their own API token as a Bearer token.',
    },
    methods: [
      { method: 'GET', path: `${base}/<model_type>`, action: 'index', rate_limit: list },
      { method: 'POST', path: `${base}/<model_type>/list`, action: 'index', rate_limit: list },
      { method: 'GET', path: `${base}/<model_type>/<id>`, action: 'get', rate_limit: get },
      { method: 'POST', path: `${base}/<model_type>`, action: 'create', rate_limit: write },
      { method: 'PUT', path: `${base}/<model_type>/<id>`, action: 'update', rate_limit: write },
      { method: 'DELETE', path: `${base}/<model_type>/<id>`, action: 'delete', rate_limit: write },
    ],
    parameters: [
      { name: 'cols', description: 'JSON array of field names to return; id always comes back.' },
      { name: 'page', description: 'Page number, from 1.' },
      { name: 'per_page', description: `Records a page: ${DEFAULT_PER_PAGE} unless given, at most ${MAX_PER_PAGE}.` },
      { name: 'filter', description: '{"group_type": "and", "conditions": [[field, operator, value], …]}; a condition may itself be a group; [parent_field, "filter", {group}] filters on the parent record.' },
      { name: 'sort', description: '["field", "asc"] or [["field", "desc"], ["other", "asc"]]; or sort_attribute and sort_order.' },
      { name: 'relation', description: '{"parent_field": ["col", …]}: the parent record comes back in place of its id, as an array of objects.' },
      { name: 'query', description: 'Text search over the class\'s text fields.' },
      { name: 'style', description: 'Accepted for older clients; it changes nothing.' },
      { name: 'data', description: 'Create and update: a JSON object of field values; "" clears a field.' },
    ],
    filter_operators: [...OPERATORS],
    group_types: [...GROUP_TYPES],
    classes: [...MODEL_TYPES],
  };
}

export function classDoc(model: ModelDef, origin: string, base: string): ClassDoc {
  const writable = model.writes !== 'none';
  const url = `${origin}${base}/${model.type}`;
  const samples = [
    `curl -H 'Authorization: Bearer <access_token>' '${url}?per_page=10&cols=${encodeURIComponent(JSON.stringify(model.fields.slice(1, 3).map((f) => f.name)))}'`,
    `curl -H 'Authorization: Bearer <access_token>' -X POST '${url}/list' --data-urlencode 'filter={"group_type":"and","conditions":[["id","gt","0"]]}'`,
    `curl -H 'Authorization: Bearer <access_token>' '${url}/1'`,
  ];
  if (writable) {
    const required = Object.fromEntries(model.fields.filter((f) => f.required).map((f) => [f.name, f.type === 'integer' ? 1 : f.type === 'number' ? 1.5 : '…']));
    samples.push(`curl -H 'Authorization: Bearer <access_token>' -X POST '${url}' --data-urlencode 'data=${JSON.stringify(required)}'`);
    samples.push(`curl -H 'Authorization: Bearer <access_token>' -X DELETE '${url}/1'`);
  }
  return {
    model_type: model.type,
    description: model.description,
    writable,
    fields: model.fields.map((f) => ({
      name: f.name,
      type: f.type,
      description: f.description,
      filterable: true,
      sortable: true,
      writable: Boolean(f.writable) && writable,
      required: Boolean(f.required) && writable,
      ...(f.references ? { references: f.references } : {}),
    })),
    samples,
  };
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>` +
  '<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}code,pre{background:#f4f4f4}pre{padding:.5rem;overflow-x:auto}</style>' +
  `</head><body>${body}</body></html>`;

export function apiDocHtml(doc: ApiDoc): string {
  const rows = (items: string[][]) => items.map((cells) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return page(
    'Flowline REST API v2',
    `<h1>Flowline REST API v2</h1>` +
      `<h2>Getting an access token</h2><p><code>${escape(doc.token.method)} ${escape(doc.token.path)}</code> with <code>${escape(doc.token.body)}</code> (form, multipart, query string or JSON).</p><p>${escape(doc.token.answer)}</p>` +
      `<h2>Methods</h2><table><tr><th>method</th><th>path</th><th>action</th><th>rate limit</th></tr>${rows(doc.methods.map((m) => [m.method, `<code>${escape(m.path)}</code>`, m.action, m.rate_limit]))}</table>` +
      `<h2>Parameters</h2><table><tr><th>name</th><th>meaning</th></tr>${rows(doc.parameters.map((p) => [`<code>${p.name}</code>`, escape(p.description)]))}</table>` +
      `<p>Filter operators: ${doc.filter_operators.map((o) => `<code>${o}</code>`).join(' ')}. Group types: ${doc.group_types.map((g) => `<code>${g}</code>`).join(' ')}.</p>` +
      `<h2>Classes</h2><ul>${doc.classes.map((c) => `<li><a href="${escape(doc.base)}/doc/${c}">${c}</a> — ${escape(MODELS[c].description)}</li>`).join('')}</ul>`,
  );
}

export function classDocHtml(doc: ClassDoc): string {
  const yes = (b: boolean) => (b ? 'yes' : '');
  return page(
    `${doc.model_type} — Flowline REST API v2`,
    `<h1><code>${doc.model_type}</code></h1><p>${escape(doc.description)}</p>` +
      `<h2>Fields</h2><table><tr><th>name</th><th>type</th><th>description</th><th>filterable</th><th>sortable</th><th>writable</th><th>required</th></tr>` +
      doc.fields
        .map((f) => `<tr><td><code>${f.name}</code></td><td>${f.type}${f.references ? ` → ${f.references}` : ''}</td><td>${escape(f.description)}</td><td>${yes(f.filterable)}</td><td>${yes(f.sortable)}</td><td>${yes(f.writable)}</td><td>${yes(f.required)}</td></tr>`)
        .join('') +
      `</table><h2>Sample calls</h2>${doc.samples.map((s) => `<pre>${escape(s)}</pre>`).join('')}`,
  );
}
