import { useQuery } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { NotFound } from '../../app/layout';
import { TimeSeriesChart } from '../../components/chart/time-series-chart';
import { EmptyState, ErrorMessage, Loading, PageHeader } from '../../components/ui/ui';
import { paths } from '../../config/paths';
import { ApiError } from '../../lib/api';
import { useSession } from '../../lib/session';
import { formatAgo, formatDateTime, zoneAbbreviation } from '../../lib/time';
import {
  alarmsQuery,
  controllerDetailQuery,
  controllersQuery,
  facilitiesQuery,
  channelDecimals,
  formatReading,
  isFlowSensor,
  LINK_STATE_BADGE,
  LINK_STATE_LABEL,
  linkState,
  LIVE_REFRESH_MS,
  type Channel,
  type Controller,
} from './api';
import { RangePicker } from './range-picker';
import { describeRange, parseId, rangeFromParams, rangeToParams, resolveRange, type RangeChoice } from './ranges';
import { chartWidth, seriesQuery } from './series-api';
import { useNow } from './use-now';
import './dashboard.css';

/** Relative ranges move with the clock: their charts are fetched again every minute. */
const SERIES_REFRESH_MS = 60_000;


export function ControllerPage() {
  const id = parseId(useParams().id);
  if (id === null) return <NotFound />;
  return <ControllerView id={id} />;
}

function ControllerView({ id }: { id: number }) {
  const detail = useQuery(controllerDetailQuery(id));
  const list = useQuery(controllersQuery());
  const facilities = useQuery(facilitiesQuery());
  const active = useQuery(alarmsQuery({ active: true, controller_id: id, limit: 100 }));
  const now = useNow(LIVE_REFRESH_MS);
  const { isAdmin } = useSession();

  if (detail.error instanceof ApiError && (detail.error.status === 404 || detail.error.status === 403)) return <NotFound />;
  const error = detail.error ?? list.error ?? facilities.error;
  if (error && !(detail.data && list.data && facilities.data)) return <ErrorMessage error={error} />;
  if (!detail.data || !list.data || !facilities.data) return <Loading label="Loading the controller…" />;

  const controller = list.data.find((c) => c.id === id);
  if (!controller) return <NotFound />;
  const facility = facilities.data.find((f) => f.id === controller.facility_id);
  const timeZone = facility?.time_zone ?? 'UTC';
  const state = linkState(controller, now, active.data ?? []);
  const processNames = new Map(detail.data.processes.map((p) => [p.id, p.name]));

  return (
    <>
      <PageHeader
        title={controller.name}
        description={
          <span className="state-line">
            <span className={`badge ${LINK_STATE_BADGE[state]}`}>{LINK_STATE_LABEL[state]}</span>
            <span>
              {controller.model} · serial {controller.serial_number} ·
            </span>
            <span>
              {controller.last_seen_at ? (
                <>
                  Last seen <time dateTime={controller.last_seen_at}>{formatDateTime(controller.last_seen_at, timeZone)}</time> ({formatAgo(controller.last_seen_at, now)})
                </>
              ) : (
                'No data received yet'
              )}{' '}
              ·
            </span>
            <span>
              {facility?.name ?? 'Facility'} · times in {timeZone} ({zoneAbbreviation(now, timeZone)})
            </span>
          </span>
        }
        actions={
          <>
            {isFlowSensor(controller) ? <Link to={paths.flowSensor(controller.id)}>Flow volumes</Link> : null}
            <Link to={`${paths.alarms}?controller=${controller.id}`}>Alarm history</Link>
          </>
        }
      />
      {active.data && active.data.length > 0 ? (
        <div role="status" className="alert alert-error">
          {active.data.length === 1 ? '1 active alarm' : `${active.data.length} active alarms`}: {active.data.map((a) => `${a.severity} — ${a.message || `code ${a.code}`}`).join('; ')}
        </div>
      ) : null}
      {controller.last_seen_at === null ? (
        <EmptyState title="No readings yet">
          <p>
            No readings yet: the device sends them with its ingest key.
            {isAdmin ? (
              <>
                {' '}
                Its key and how to send with it are on the <Link to={paths.adminController(controller.id)}>admin page of {controller.name}</Link>.
              </>
            ) : (
              ' Your administrator has its key.'
            )}
          </p>
        </EmptyState>
      ) : (
        <Charts controller={controller} timeZone={timeZone} processNames={processNames} />
      )}
    </>
  );
}

function Charts({ controller, timeZone, processNames }: { controller: Controller; timeZone: string; processNames: Map<number, string> }) {
  const [params, setParams] = useSearchParams();
  const choice = rangeFromParams(params);
  const [zoom, setZoom] = useState<{ from: number; to: number } | null>(null);
  const now = useNow(SERIES_REFRESH_MS);
  const width = chartWidth();

  const base = resolveRange(choice, now);
  const shown = zoom ?? base;
  const rangeLabel = zoom ? describeRange({ kind: 'zoom', ...zoom }, timeZone) : describeRange(choice, timeZone);
  const live = !zoom && choice.kind !== 'custom';

  const choose = (next: RangeChoice) => {
    setZoom(null);
    setParams(rangeToParams(next));
  };
  const onZoom = useCallback((from: number, to: number) => {
    if (to - from >= 60) setZoom({ from, to });
  }, []);

  // Channels of a process under its heading; channels without a process (no data stored) last.
  const groups = new Map<number | null, Channel[]>();
  for (const ch of controller.channels) groups.set(ch.process_id, [...(groups.get(ch.process_id) ?? []), ch]);
  const ordered = [...groups.entries()].sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : a - b));

  return (
    <div>
      <RangePicker key={JSON.stringify(choice)} choice={choice} timeZone={timeZone} onChoose={choose} now={now} />
      <p className="zoom-line" aria-live="polite">
        <span>
          Showing <strong data-testid="shown-range">{describeRange({ kind: 'zoom', ...shown }, timeZone)}</strong>
          {zoom ? ' (zoomed)' : ''}. Drag across a chart to zoom in.
        </span>
        {zoom ? (
          <button type="button" onClick={() => setZoom(null)}>
            Reset zoom
          </button>
        ) : null}
      </p>
      {controller.channels.length === 0 ? <p className="muted">This controller has no channels yet.</p> : null}
      {ordered.map(([processId, channels]) => (
        <section key={processId ?? 'none'} className="process-group" aria-labelledby={`process-${processId ?? 'none'}`}>
          <h2 id={`process-${processId ?? 'none'}`}>{processId === null ? 'Channels without a process' : (processNames.get(processId) ?? `Process ${processId}`)}</h2>
          {processId === null ? (
            <>
              <p className="muted small">Readings are stored only for channels that belong to a process, so these have no chart. An admin can assign them to a process.</p>
              <ul>
                {channels.map((ch) => (
                  <li key={ch.id}>
                    <ChannelName channel={ch} />
                    {ch.unit ? <span className="muted"> ({ch.unit})</span> : null}
                  </li>
                ))}
              </ul>
            </>
          ) : (
            channels.map((ch) => (
              <ChannelChart key={ch.id} channel={ch} timeZone={timeZone} from={shown.from} to={shown.to} width={width} rangeLabel={rangeLabel} live={live} onZoom={onZoom} />
            ))
          )}
        </section>
      ))}
    </div>
  );
}

/** A channel's name and number ("Conductivity S11"); the number once when it has no name of its own. */
export function ChannelName({ channel }: { channel: Pick<Channel, 'name' | 'number'> }) {
  if (!channel.name || channel.name === channel.number) return <span className="mono">{channel.number}</span>;
  return (
    <>
      {channel.name} <span className="muted mono small">{channel.number}</span>
    </>
  );
}

function ChannelChart(props: { channel: Channel; timeZone: string; from: number; to: number; width: number; rangeLabel: string; live: boolean; onZoom: (from: number, to: number) => void }) {
  const { channel, timeZone, from, to, width, rangeLabel, live, onZoom } = props;
  const series = useQuery(seriesQuery(channel.id, from, to, width, live ? SERIES_REFRESH_MS : false));
  const latest = formatReading(channel.latest_value, channel);
  const headingId = `channel-${channel.id}`;
  return (
    <article className="card chart-card" aria-labelledby={headingId}>
      <div className="chart-card-head">
        <h3 id={headingId}>
          <ChannelName channel={channel} />
        </h3>
        <p className="latest-value" aria-live="polite">
          {channel.latest_value === null ? <span className="muted">No readings yet</span> : latest}
          {channel.latest_time ? <span className="muted small"> at {formatDateTime(channel.latest_time, timeZone)}</span> : null}
        </p>
      </div>
      {series.error && !series.data ? (
        <ErrorMessage error={series.error} />
      ) : !series.data ? (
        <Loading label={`Loading ${channel.name || channel.number}…`} />
      ) : (
        <TimeSeriesChart
          title={channel.name || channel.number}
          unit={channel.unit}
          timeZone={timeZone}
          from={from}
          to={to}
          data={series.data}
          rangeLabel={rangeLabel}
          onZoom={onZoom}
          decimals={channelDecimals(channel)}
          {...(channel.latest_value === null || !live ? {} : { latest })}
        />
      )}
    </article>
  );
}
