import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { EmptyState, ErrorMessage, Loading, PageHeader } from '../../components/ui/ui';
import { paths } from '../../config/paths';
import { useSession } from '../../lib/session';
import { formatAgo, formatDateTime, formatLocalClock, zoneAbbreviation } from '../../lib/time';
import {
  alarmsQuery,
  controllersQuery,
  facilitiesQuery,
  formatReading,
  isFlowSensor,
  LINK_STATE_BADGE,
  LINK_STATE_LABEL,
  linkState,
  LIVE_REFRESH_MS,
  SEVERITY_BADGE,
  type Alarm,
  type Controller,
  type Facility,
} from './api';
import { useNow } from './use-now';
import './dashboard.css';

export function DashboardPage() {
  const facilities = useQuery(facilitiesQuery());
  const controllers = useQuery(controllersQuery());
  const active = useQuery(alarmsQuery({ active: true, limit: 1000 }));
  const now = useNow(LIVE_REFRESH_MS);

  const error = facilities.error ?? controllers.error ?? active.error;
  const header = (
    <PageHeader
      title="Dashboard"
      description={
        <>
          Latest values, updated every {LIVE_REFRESH_MS / 1000} seconds without reloading.{' '}
          {controllers.dataUpdatedAt ? <span>Last updated {formatLocalClock(controllers.dataUpdatedAt)}.</span> : null}
        </>
      }
      actions={<Link to={paths.alarms}>Alarm history</Link>}
    />
  );
  if (error && !(facilities.data && controllers.data)) {
    return (
      <>
        {header}
        <ErrorMessage error={error} />
      </>
    );
  }
  if (!facilities.data || !controllers.data) {
    return (
      <>
        {header}
        <Loading label="Loading the dashboard…" />
      </>
    );
  }
  const alarms = active.data ?? [];
  const byId = new Map(controllers.data.map((c) => [c.id, c]));
  const facilityById = new Map(facilities.data.map((f) => [f.id, f]));

  return (
    <>
      {header}
      {error ? <ErrorMessage error={error} /> : null}
      <ActiveAlarms alarms={alarms} controllers={byId} facilities={facilityById} loading={active.isPending} />
      {controllers.data.length === 0 ? (
        <NoControllers hasFacilities={facilities.data.length > 0} />
      ) : (
        facilities.data.map((facility) => (
          <FacilitySection key={facility.id} facility={facility} controllers={controllers.data.filter((c) => c.facility_id === facility.id)} alarms={alarms} now={now} />
        ))
      )}
    </>
  );
}

function ActiveAlarms({ alarms, controllers, facilities, loading }: { alarms: Alarm[]; controllers: Map<number, Controller>; facilities: Map<number, Facility>; loading: boolean }) {
  return (
    <section aria-labelledby="active-alarms" className="card active-alarms">
      <h2 id="active-alarms">Active alarms {loading ? null : <span className="count">({alarms.length})</span>}</h2>
      {loading ? (
        <Loading label="Loading alarms…" />
      ) : alarms.length === 0 ? (
        <p className="muted">No active alarms.</p>
      ) : (
        <ul className="alarm-list">
          {alarms.map((alarm) => {
            const controller = controllers.get(alarm.controller_id);
            const zone = (controller && facilities.get(controller.facility_id)?.time_zone) ?? 'UTC';
            return (
              <li key={alarm.id}>
                <span className={`badge ${SEVERITY_BADGE[alarm.severity] ?? 'badge-muted'}`}>{alarm.severity}</span>{' '}
                <span className="alarm-message">{alarm.message || `Alarm ${alarm.code}`}</span>{' '}
                <span className="muted">
                  on {controller ? <Link to={controllerPath(controller)}>{controller.name}</Link> : `controller ${alarm.controller_id}`}, since{' '}
                  <time dateTime={alarm.raised_at}>{formatDateTime(alarm.raised_at, zone)}</time>
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

const controllerPath = (c: Controller) => (isFlowSensor(c) ? paths.flowSensor(c.id) : paths.controller(c.id));

function FacilitySection({ facility, controllers, alarms, now }: { facility: Facility; controllers: Controller[]; alarms: Alarm[]; now: number }) {
  const headingId = `facility-${facility.id}`;
  return (
    <section aria-labelledby={headingId} className="facility">
      <h2 id={headingId}>{facility.name}</h2>
      <p className="muted facility-zone">
        Times in {facility.time_zone} ({zoneAbbreviation(now, facility.time_zone)})
      </p>
      {controllers.length === 0 ? (
        <p className="muted">No controllers at this facility yet.</p>
      ) : (
        <div className="grid">
          {controllers.map((c) => (
            <ControllerCard key={c.id} controller={c} facility={facility} alarms={alarms} now={now} />
          ))}
        </div>
      )}
    </section>
  );
}

function ControllerCard({ controller, facility, alarms, now }: { controller: Controller; facility: Facility; alarms: Alarm[]; now: number }) {
  const state = linkState(controller, now, alarms);
  const active = alarms.filter((a) => a.controller_id === controller.id).length;
  const flow = isFlowSensor(controller);
  return (
    <article className="card controller-card" aria-labelledby={`controller-${controller.id}`}>
      <div className="controller-card-head">
        <h3 id={`controller-${controller.id}`}>
          <Link to={controllerPath(controller)}>{controller.name}</Link>
        </h3>
        <span className={`badge ${LINK_STATE_BADGE[state]}`}>{LINK_STATE_LABEL[state]}</span>
      </div>
      <p className="muted small">
        {flow ? 'Flow sensor' : controller.model} · {controller.serial_number} ·{' '}
        {controller.last_seen_at ? (
          <>
            last seen <time dateTime={controller.last_seen_at} title={formatDateTime(controller.last_seen_at, facility.time_zone)}>{formatAgo(controller.last_seen_at, now)}</time>
          </>
        ) : (
          'no data received yet'
        )}
        {active > 0 ? (
          <>
            {' '}
            · <strong>{active === 1 ? '1 active alarm' : `${active} active alarms`}</strong>
          </>
        ) : null}
      </p>
      {controller.channels.length === 0 ? (
        <p className="muted small">No channels.</p>
      ) : (
        <table className="latest">
          <caption className="visually-hidden">Latest values of {controller.name}</caption>
          <thead>
            <tr>
              <th scope="col">Channel</th>
              <th scope="col" className="num">
                Latest
              </th>
            </tr>
          </thead>
          <tbody>
            {controller.channels.map((ch) => (
              <tr key={ch.id}>
                <th scope="row">
                  {!ch.name || ch.name === ch.number ? (
                    <span className="mono">{ch.number}</span>
                  ) : (
                    <>
                      {ch.name} <span className="muted mono small">{ch.number}</span>
                    </>
                  )}
                </th>
                <td className="num">
                  {formatReading(ch.latest_value, ch)}
                  {ch.latest_time ? (
                    <span className="visually-hidden"> at {formatDateTime(ch.latest_time, facility.time_zone)}</span>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </article>
  );
}

function NoControllers({ hasFacilities }: { hasFacilities: boolean }) {
  const { isAdmin } = useSession();
  return (
    <EmptyState title="No controllers yet">
      {isAdmin ? (
        <p>
          {hasFacilities ? 'Register' : 'Add a facility, then register'} a controller or flow sensor in <Link to={paths.admin}>Admin</Link>: it gets an ingest key, and
          its readings appear here as soon as it sends them to <code>POST /ingest/v1/readings</code>.
        </p>
      ) : (
        <p>Your organisation has not registered any controller yet. Ask your administrator to register one; its values will appear here as soon as it sends data.</p>
      )}
    </EmptyState>
  );
}
