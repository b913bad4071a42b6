import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { NotFound } from '../../app/layout';
import { BarChart } from '../../components/chart/bar-chart';
import { ErrorMessage, Loading, PageHeader } from '../../components/ui/ui';
import { paths } from '../../config/paths';
import { api, ApiError, must } from '../../lib/api';
import { formatAgo, formatDate, formatDateTime, formatShortDateTime, nextDay, startOfDay, zoneAbbreviation } from '../../lib/time';
import { controllersQuery, facilitiesQuery, formatValue, LINK_STATE_BADGE, LINK_STATE_LABEL, linkState, LIVE_REFRESH_MS } from './api';
import { useNow } from './use-now';
import './dashboard.css';

const HOUR = 3_600_000;
const VOLUME_REFRESH_MS = 60_000;

/** Flow-volume ranges; over 3 days the page adds daily bars (days in the facility's zone). */
const FLOW_RANGES = {
  '24h': { label: 'Past 24 hours', short: '24 hours', days: 1 },
  '7d': { label: 'Past 7 days', short: '7 days', days: 7 },
  '30d': { label: 'Past 30 days', short: '30 days', days: 30 },
} as const;
type FlowRange = keyof typeof FLOW_RANGES;
const DAILY_AFTER_DAYS = 3;

/** FlowCommand takes ISO 8601 in the path; whole seconds, UTC. */
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The range in ms, ending now: 24 hours are the current UTC hour so far and the 23 whole hours
 * before it (the API's clock hours); longer ranges start at midnight in the facility's zone,
 * 7 or 30 days ago with today (so far) included.
 */
function volumeRange(range: FlowRange, now: number, timeZone: string): { from: number; to: number; days: number[] } {
  // Whole minutes: the range (and its queries) stay the same within a minute.
  const to = Math.floor(now / 60_000) * 60_000;
  if (FLOW_RANGES[range].days <= DAILY_AFTER_DAYS) {
    return { from: Math.floor(to / HOUR) * HOUR - (FLOW_RANGES[range].days * 24 - 1) * HOUR, to, days: [] };
  }
  const today = startOfDay(to, timeZone);
  const days: number[] = [];
  let day = startOfDay(today - (FLOW_RANGES[range].days - 1) * 24 * HOUR + 12 * HOUR, timeZone);
  while (day <= today) {
    days.push(day);
    day = nextDay(day, timeZone);
  }
  return { from: days[0]!, to, days };
}

/**
 * Daily volumes from the hourly rows: each UTC hour lies in one local day when the zone's
 * midnights fall on whole hours, and hourly volumes add up exactly to flow_volume, so a day's
 * figure is the sum of its hours. Null when a midnight is not on a whole hour (e.g. UTC+5:30):
 * then the days are asked for one by one.
 */
function daysFromHours(days: number[], hours: { start: string; flow_volume: number }[]): { start: number; volume: number }[] | null {
  if (days.some((d) => d % HOUR !== 0)) return null;
  const volumes = days.map(() => 0);
  for (const h of hours) {
    const t = Date.parse(h.start);
    let i = days.length - 1;
    while (i > 0 && days[i]! > t) i--;
    volumes[i] = volumes[i]! + h.flow_volume;
  }
  return days.map((start, i) => ({ start, volume: volumes[i]! }));
}

async function fetchHours(id: string, from: number, to: number) {
  const rows: { flow_volume: number; start: string; end: string }[] = [];
  for (let page = 1; ; page++) {
    const answer = await must(
      api.GET('/api/v1/flow_sensors/{id}/flow_volume_hours/{start}/{end}/', { params: { path: { id, start: isoSeconds(from), end: isoSeconds(to) }, query: { page: String(page) } } }),
    );
    rows.push(...answer.results);
    if (!answer.next || page >= 50) break;
  }
  // The API answers newest first; the chart and the table read oldest first.
  return rows.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
}

async function fetchVolume(id: string, from: number, to: number) {
  return (await must(api.GET('/api/v1/flow_sensors/{id}/flow_volume/{start}/{end}/', { params: { path: { id, start: isoSeconds(from), end: isoSeconds(to) } } }))).flow_volume;
}

export function FlowSensorPage() {
  const id = useParams().id ?? '';
  if (!/^\d{1,15}$/.test(id) || Number(id) < 1) return <NotFound />;
  return <FlowSensorView id={id} />;
}

function FlowSensorView({ id }: { id: string }) {
  const now = useNow(LIVE_REFRESH_MS);
  const sensor = useQuery({
    queryKey: ['flow-sensor', id],
    queryFn: () => must(api.GET('/api/v1/flow_sensors/{id}/', { params: { path: { id } } })),
    refetchInterval: LIVE_REFRESH_MS,
  });
  const controllers = useQuery(controllersQuery());
  const facilities = useQuery(facilitiesQuery());

  if (sensor.error instanceof ApiError && (sensor.error.status === 404 || sensor.error.status === 403)) return <NotFound />;
  const error = sensor.error ?? controllers.error ?? facilities.error;
  if (error && !(sensor.data && controllers.data && facilities.data)) return <ErrorMessage error={error} />;
  if (!sensor.data || !controllers.data || !facilities.data) return <Loading label="Loading the flow sensor…" />;

  const controller = controllers.data.find((c) => c.id === Number(id));
  const facility = controller && facilities.data.find((f) => f.id === controller.facility_id);
  const timeZone = facility?.time_zone ?? 'UTC';
  const s = sensor.data;
  const state = controller ? linkState(controller, now) : null;

  return (
    <>
      <PageHeader
        title={s.name}
        description={
          <span className="state-line">
            {state ? <span className={`badge ${LINK_STATE_BADGE[state]}`}>{LINK_STATE_LABEL[state]}</span> : null}
            <span>
              Flow sensor{s.tag ? ` · tag ${s.tag}` : ''} · latest flowrate{' '}
              <strong>{formatValue(s.last_ping_flowrate, 'bbl/day')}</strong>
              {s.last_ping_datetime ? (
                <>
                  {' '}
                  at <time dateTime={s.last_ping_datetime}>{formatDateTime(s.last_ping_datetime, timeZone)}</time> ({formatAgo(s.last_ping_datetime, now)})
                </>
              ) : null}
            </span>
            <span>
              {facility?.name ?? 'Facility'} · times in {timeZone} ({zoneAbbreviation(now, timeZone)})
            </span>
          </span>
        }
        actions={<Link to={paths.controller(id)}>Controller page (flowrate readings)</Link>}
      />
      <Volumes id={id} timeZone={timeZone} />
    </>
  );
}

function Volumes({ id, timeZone }: { id: string; timeZone: string }) {
  const [params, setParams] = useSearchParams();
  const rangeParam = params.get('range');
  const range: FlowRange = rangeParam !== null && Object.hasOwn(FLOW_RANGES, rangeParam) ? (rangeParam as FlowRange) : '24h';
  const now = useNow(VOLUME_REFRESH_MS);
  const { from, to, days } = volumeRange(range, now, timeZone);

  const hours = useQuery({ queryKey: ['flow-volume-hours', id, from, to], queryFn: () => fetchHours(id, from, to), placeholderData: keepPreviousData, refetchInterval: VOLUME_REFRESH_MS });
  const total = useQuery({ queryKey: ['flow-volume', id, from, to], queryFn: () => fetchVolume(id, from, to), placeholderData: keepPreviousData, refetchInterval: VOLUME_REFRESH_MS });
  const wholeHourDays = days.every((d) => d % HOUR === 0);
  // Only for zones whose midnights are not on whole UTC hours: one flow_volume per day.
  const dailyByRequest = useQuery({
    queryKey: ['flow-volume-days', id, days, to],
    queryFn: () => Promise.all(days.map(async (d) => ({ start: d, volume: await fetchVolume(id, d, Math.min(nextDay(d, timeZone), to)) }))),
    enabled: days.length > 0 && !wholeHourDays,
    placeholderData: keepPreviousData,
    refetchInterval: VOLUME_REFRESH_MS,
  });
  const dailyRows = wholeHourDays ? (hours.data ? daysFromHours(days, hours.data) : undefined) : dailyByRequest.data;
  const today = days.at(-1);
  const currentHour = Math.floor(to / HOUR) * HOUR;

  const rangeWords = `${formatDateTime(from, timeZone)} to ${formatDateTime(to, timeZone)}`;
  return (
    <>
      <div className="range-bar card">
        <fieldset className="range-buttons">
          <legend>Range</legend>
          {(Object.keys(FLOW_RANGES) as FlowRange[]).map((key) => (
            <button key={key} type="button" aria-pressed={range === key} onClick={() => setParams({ range: key })}>
              {FLOW_RANGES[key].short}
            </button>
          ))}
        </fieldset>
        <div>
          <p className="muted small" data-testid="volume-range">
            Total volume, <time dateTime={new Date(from).toISOString()}>{formatDateTime(from, timeZone)}</time> to <time dateTime={new Date(to).toISOString()}>{formatDateTime(to, timeZone)}</time> (now)
          </p>
          <p className="total" data-testid="total-volume" aria-live="polite">
            {total.data === undefined ? '…' : formatValue(total.data, 'bbl')}
          </p>
        </div>
      </div>
      {total.error ? <ErrorMessage error={total.error} /> : null}
      {days.length > 0 ? (
        <VolumeSection
          title="Daily volume"
          caption={`Daily volume in barrels, days in ${timeZone}`}
          column={`Day (${timeZone})`}
          timeZone={timeZone}
          from={from}
          to={to}
          rows={dailyRows?.map((d) => ({ start: d.start, volume: d.volume, label: `${formatDate(d.start, timeZone)}${d.start === today ? ' (so far)' : ''}` }))}
          error={wholeHourDays ? hours.error : dailyByRequest.error}
          lastSoFar="today so far"
          total={total.data}
          rangeWords={rangeWords}
        />
      ) : null}
      <VolumeSection
        title="Hourly volume"
        caption={`Hourly volume in barrels, hours in ${timeZone}`}
        column={`Hour starting (${timeZone})`}
        timeZone={timeZone}
        from={from}
        to={to}
        rows={hours.data?.map((h) => ({ start: Date.parse(h.start), volume: h.flow_volume, label: `${formatShortDateTime(h.start, timeZone)}${Date.parse(h.start) >= currentHour ? ' (so far)' : ''}` }))}
        error={hours.error}
        lastSoFar="the current hour so far"
        total={total.data}
        rangeWords={rangeWords}
      />
    </>
  );
}

interface VolumeRow {
  start: number;
  volume: number;
  label: string;
}

function VolumeSection(props: {
  title: string;
  caption: string;
  column: string;
  timeZone: string;
  from: number;
  to: number;
  rows: VolumeRow[] | undefined;
  error: unknown;
  total: number | undefined;
  rangeWords: string;
  /** What the last bar is, e.g. "the current hour so far" (it is not a drop, only not over yet). */
  lastSoFar: string;
}) {
  const { title, caption, column, timeZone, from, to, rows, error, total, rangeWords, lastSoFar } = props;
  const [showTable, setShowTable] = useState(false);
  const headingId = `volume-${title.replace(/\W+/g, '-').toLowerCase()}`;
  const tableId = `${headingId}-table`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="chart-card-head">
        <h2 id={headingId}>{title}</h2>
        <button type="button" className="link small" aria-expanded={showTable} aria-controls={tableId} onClick={() => setShowTable((v) => !v)}>
          {showTable ? 'Hide table' : 'Show table'}
        </button>
      </div>
      {error && !rows ? (
        <ErrorMessage error={error} />
      ) : !rows ? (
        <Loading label={`Loading ${title.toLowerCase()}…`} />
      ) : (
        <>
          <BarChart
            label={`${title} in barrels, ${rangeWords}${total === undefined ? '' : `: total ${formatValue(total, 'bbl')}`}. The last bar is ${lastSoFar}. The figures are in the table that follows.`}
            seriesLabel="Volume"
            unit="bbl"
            timeZone={timeZone}
            t={rows.map((r) => r.start / 1000)}
            values={rows.map((r) => r.volume)}
            from={from / 1000}
            to={to / 1000}
          />
          <div id={tableId} className={showTable ? 'table-wrap' : 'table-wrap visually-hidden'}>
            <table>
              <caption className="visually-hidden">{caption}</caption>
              <thead>
                <tr>
                  <th scope="col">{column}</th>
                  <th scope="col" className="num">
                    Volume (bbl)
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.start}>
                    <th scope="row">{r.label}</th>
                    <td className="num">{formatValue(r.volume)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">Total</th>
                  <td className="num">{total === undefined ? '…' : formatValue(total)}</td>
                </tr>
              </tfoot>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
