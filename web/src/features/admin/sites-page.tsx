import { useMemo, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { EmptyState, ErrorMessage, Field, Loading, Notice, PageHeader } from '../../components/ui/ui';
import { paths } from '../../config/paths';
import { NeedsCustomer, useAdmin } from './admin-layout';
import { useControllers, useCreateFacility, useFacilities, type Facility, type MonitoredController } from './api';
import { Time } from './confirm';
import { RegisterController } from './register-controller';

/** Every IANA zone the browser knows (UTC first), for the time-zone picker. */
function timeZones(): string[] {
  const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...known.filter((z) => z !== 'UTC')];
}

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** One line for whoever prefers files or scripts to this page. */
export function RegisterAlternatives() {
  return (
    <p className="hint">
      Or onboard a whole site from one file on the server with <code>flowline import site.json</code>, or call <code>POST /api/flowline/v1/facilities</code> and{' '}
      <code>POST /api/flowline/v1/controllers</code>.
    </p>
  );
}

function FacilityForm() {
  const { scope } = useAdmin();
  const create = useCreateFacility(scope);
  const zones = useMemo(timeZones, []);
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [zone, setZone] = useState(browserZone);
  const [created, setCreated] = useState<string | null>(null);
  const zoneKnown = zones.includes(zone);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      { name: name.trim(), time_zone: zone.trim(), ...(address.trim() ? { address: address.trim() } : {}) },
      {
        onSuccess: (f) => {
          setCreated(f.name);
          setName('');
          setAddress('');
        },
      },
    );
  };
  return (
    <section className="card" aria-labelledby="facility-heading">
      <h2 id="facility-heading">Add a facility</h2>
      {created ? <Notice>Facility “{created}” added. Register its controllers below.</Notice> : null}
      <form onSubmit={submit}>
        <div className="form-row">
          <Field label="Facility name">{(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}</Field>
          <Field label="Address">{(p) => <input {...p} value={address} onChange={(e) => setAddress(e.target.value)} autoComplete="off" />}</Field>
          <Field label="Time zone" hint="IANA name, e.g. America/Chicago: charts and times of this site are shown in it." error={zoneKnown || zone === '' ? null : 'Not a time zone this browser knows; pick one from the list.'}>
            {(p) => <input {...p} required list="time-zones" value={zone} onChange={(e) => setZone(e.target.value)} autoComplete="off" />}
          </Field>
        </div>
        <datalist id="time-zones">
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <ErrorMessage error={create.error} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={create.isPending}>
            Add facility
          </button>
        </div>
      </form>
    </section>
  );
}

function FacilityCard({ facility, controllers }: { facility: Facility; controllers: MonitoredController[] }) {
  const { to } = useAdmin();
  const headingId = `facility-${facility.id}`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <h3 id={headingId}>{facility.name}</h3>
      <p className="muted">
        {facility.address ? `${facility.address} · ` : ''}
        Time zone {facility.time_zone}
      </p>
      {controllers.length === 0 ? (
        <p>No controllers here yet: register one with the form below (its serial number, model and channels).</p>
      ) : (
        <div className="table-wrap">
          <table className="admin-table stack" role="table">
            <thead role="rowgroup">
              <tr role="row">
                <th scope="col" role="columnheader">Controller</th>
                <th scope="col" role="columnheader">Serial number</th>
                <th scope="col" role="columnheader">Model</th>
                <th scope="col" role="columnheader">Channels</th>
                <th scope="col" role="columnheader">Last seen</th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              {controllers.map((c) => (
                <tr role="row" key={c.id}>
                  <th scope="row" role="rowheader">
                    <Link to={to(paths.adminController(c.id))}>{c.name}</Link>
                  </th>
                  <td role="cell" data-label="Serial number" className="mono">{c.serial_number}</td>
                  <td role="cell" data-label="Model">{c.model === 'flow_sensor' ? 'Flow sensor' : c.model}</td>
                  <td role="cell" data-label="Channels" className="num">{c.channels.length}</td>
                  <td role="cell" data-label="Last seen">
                    <Time iso={c.last_seen_at} timeZone={facility.time_zone} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Facilities, and the controllers and flow sensors of each; add a facility, register a controller. */
export function SitesPage() {
  const { scope, customer } = useAdmin();
  const facilities = useFacilities(scope);
  const controllers = useControllers();
  const byFacility = (id: number) => (controllers.data ?? []).filter((c) => c.facility_id === id);
  return (
    <>
      <PageHeader
        title="Sites"
        description={`${customer ? `${customer.name}'s facilities` : 'Facilities'}, with their controllers and flow sensors. Open a controller to rename it, see its channels and manage its ingest keys.`}
      />
      <NeedsCustomer>
        {facilities.isPending || controllers.isPending ? <Loading /> : null}
        <ErrorMessage error={facilities.error ?? controllers.error} />
        {facilities.data && facilities.data.length === 0 ? (
          <EmptyState title="No facilities yet">
            <p>Start by adding a facility (a plant or site) below, then register its controllers and flow sensors with their serial numbers and channels.</p>
            <RegisterAlternatives />
          </EmptyState>
        ) : null}
        {facilities.data && facilities.data.length > 0 ? (
          <section aria-labelledby="facilities-heading">
            <h2 id="facilities-heading">Facilities</h2>
            {facilities.data.map((f) => (
              <FacilityCard key={f.id} facility={f} controllers={byFacility(f.id)} />
            ))}
          </section>
        ) : null}
        <FacilityForm />
        {facilities.data && facilities.data.length > 0 ? (
          <>
            <RegisterController facilities={facilities.data} />
            <RegisterAlternatives />
          </>
        ) : null}
      </NeedsCustomer>
    </>
  );
}
