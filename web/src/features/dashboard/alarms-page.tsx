import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ErrorMessage, Field, Loading, PageHeader } from '../../components/ui/ui';
import { paths } from '../../config/paths';
import { formatDateTime } from '../../lib/time';
import { alarmsQuery, controllersQuery, facilitiesQuery, isFlowSensor, SEVERITY_BADGE, type AlarmQuery } from './api';
import './dashboard.css';

const LIMIT = 500;
const SEVERITIES = ['critical', 'warning', 'info'] as const;
const PERIODS = {
  any: { label: 'Any time', ms: null },
  '24h': { label: 'Past 24 hours', ms: 86_400_000 },
  '7d': { label: 'Past 7 days', ms: 7 * 86_400_000 },
  '30d': { label: 'Past 30 days', ms: 30 * 86_400_000 },
  '1y': { label: 'Past 12 months', ms: 365 * 86_400_000 },
} as const;
type Period = keyof typeof PERIODS;

/** Reads the filters from the URL (so a filtered history can be shared or bookmarked). */
function filtersOf(params: URLSearchParams) {
  const severity = params.get('severity');
  const controller = Number(params.get('controller'));
  const period = params.get('period');
  return {
    active: params.get('active') === '1',
    severity: SEVERITIES.find((s) => s === severity) ?? null,
    controller: Number.isSafeInteger(controller) && controller > 0 ? controller : null,
    period: (period !== null && Object.hasOwn(PERIODS, period) ? period : 'any') as Period,
  };
}

/** Alarm history, newest first, filtered by active, severity, controller and when it was raised. */
export function AlarmsPage() {
  const [urlParams, setParams] = useSearchParams();
  // The filters change at once (a controlled checkbox must not flip back while the router
  // updates the URL); the URL follows, and a URL changed from outside (back button) wins.
  const urlText = urlParams.toString();
  const [text, setText] = useState(urlText);
  useEffect(() => setText(urlText), [urlText]);
  const params = new URLSearchParams(text);
  const filters = filtersOf(params);
  const controllers = useQuery(controllersQuery());
  const facilities = useQuery(facilitiesQuery());

  // A relative period is anchored to the minute, so the query key does not change on every render.
  const periodMs = PERIODS[filters.period].ms;
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const query: AlarmQuery = {
    limit: LIMIT,
    ...(filters.active ? { active: true } : {}),
    ...(filters.severity ? { severity: filters.severity } : {}),
    ...(filters.controller ? { controller_id: filters.controller } : {}),
    ...(periodMs ? { from: new Date(minute - periodMs).toISOString() } : {}),
  };
  const alarms = useQuery({ ...alarmsQuery(query), placeholderData: keepPreviousData });

  const set = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value === null || value === '') next.delete(key);
    else next.set(key, value);
    setText(next.toString());
    setParams(next, { replace: true });
  };

  const controllerById = new Map((controllers.data ?? []).map((c) => [c.id, c]));
  const zoneOf = (controllerId: number) => {
    const c = controllerById.get(controllerId);
    return (c && facilities.data?.find((f) => f.id === c.facility_id)?.time_zone) ?? 'UTC';
  };

  return (
    <>
      <PageHeader title="Alarms" description="Alarm history, newest first. Times are in each controller's facility time zone." />
      <form className="card filters" aria-label="Filter alarms" onSubmit={(e) => e.preventDefault()}>
        <div className="checkbox">
          <input id="alarms-active" type="checkbox" checked={filters.active} onChange={(e) => set('active', e.target.checked ? '1' : null)} />
          <label htmlFor="alarms-active">Active only</label>
        </div>
        <Field label="Severity">
          {(p) => (
            <select {...p} value={filters.severity ?? ''} onChange={(e) => set('severity', e.target.value)}>
              <option value="">All severities</option>
              {SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Controller">
          {(p) => (
            <select {...p} value={filters.controller ?? ''} onChange={(e) => set('controller', e.target.value)}>
              <option value="">All controllers</option>
              {(controllers.data ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Raised">
          {(p) => (
            <select {...p} value={filters.period} onChange={(e) => set('period', e.target.value === 'any' ? null : e.target.value)}>
              {(Object.keys(PERIODS) as Period[]).map((key) => (
                <option key={key} value={key}>
                  {PERIODS[key].label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </form>
      {alarms.error ? <ErrorMessage error={alarms.error} /> : null}
      {!alarms.data ? (
        <Loading label="Loading alarms…" />
      ) : alarms.data.length === 0 ? (
        <p role="status" className="muted">
          No alarms match these filters.
        </p>
      ) : (
        <>
          <p role="status" className="muted small">
            {alarms.data.length === LIMIT ? `The newest ${LIMIT} alarms` : alarms.data.length === 1 ? '1 alarm' : `${alarms.data.length} alarms`}
          </p>
          {/* Scrolls sideways on a phone rather than squeezing words; focusable so keys can scroll it. */}
          <div className="table-wrap" role="region" aria-label="Alarm history table" tabIndex={0}>
            <table className="alarm-table">
              <caption className="visually-hidden">Alarms, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Severity</th>
                  <th scope="col">Message</th>
                  <th scope="col">Controller</th>
                  <th scope="col">Raised</th>
                  <th scope="col">Cleared</th>
                </tr>
              </thead>
              <tbody>
                {alarms.data.map((a) => {
                  const c = controllerById.get(a.controller_id);
                  const zone = zoneOf(a.controller_id);
                  return (
                    <tr key={a.id}>
                      <td>
                        <span className={`badge ${SEVERITY_BADGE[a.severity] ?? 'badge-muted'}`}>{a.severity}</span>
                      </td>
                      <td>
                        {a.message || `Alarm ${a.code}`} <span className="muted small">(code {a.code})</span>
                      </td>
                      <td>{c ? <Link to={isFlowSensor(c) ? paths.flowSensor(c.id) : paths.controller(c.id)}>{c.name}</Link> : `Controller ${a.controller_id}`}</td>
                      <td>
                        <time dateTime={a.raised_at}>{formatDateTime(a.raised_at, zone)}</time>
                      </td>
                      <td>
                        {a.cleared_at ? (
                          <time dateTime={a.cleared_at}>{formatDateTime(a.cleared_at, zone)}</time>
                        ) : (
                          <span className="badge badge-danger">Active</span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  );
}
