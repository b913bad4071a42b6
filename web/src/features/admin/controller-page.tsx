import { useEffect, useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { NotFound } from '../../app/layout';
import { ErrorMessage, Field, Loading, Notice, PageHeader } from '../../components/ui/ui';
import { paths } from '../../config/paths';
import { ApiError } from '../../lib/api';
import { formatDateTime, formatLocalTime } from '../../lib/time';
import { useAdmin } from './admin-layout';
import { useAddChannel, useAddProcess, useAssignChannel, useController, useFacilities, useIngestKeys, useRenameController, useRevokeKey, useRotateKey, type ControllerDetail, type IngestKey, type Rotated } from './api';
import { ConfirmButton, Time } from './confirm';
import { IngestKeyResult } from './register-controller';

const OVERLAPS: { seconds: number; label: string }[] = [
  { seconds: 0, label: 'None: the current keys stop now' },
  { seconds: 30 * 60, label: '30 minutes' },
  { seconds: 24 * 3600, label: '24 hours' },
  { seconds: 7 * 24 * 3600, label: '7 days' },
  { seconds: 30 * 24 * 3600, label: '30 days' },
];

const STATE_BADGE: Record<IngestKey['state'], string> = { active: 'badge-ok', expiring: 'badge-warn', expired: 'badge-muted', revoked: 'badge-danger' };

function RenameForm({ detail }: { detail: ControllerDetail }) {
  const rename = useRenameController(detail.controller.id);
  const [name, setName] = useState(detail.controller.name);
  const [done, setDone] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    rename.mutate(name.trim(), { onSuccess: () => setDone(true) });
  };
  return (
    <form onSubmit={submit} className="form-row">
      <Field label="Controller name">{(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}</Field>
      <div className="field">
        <button type="submit" disabled={rename.isPending || name.trim() === detail.controller.name}>
          Rename
        </button>
      </div>
      {done ? <Notice>Renamed.</Notice> : null}
      <ErrorMessage error={rename.error} />
    </form>
  );
}

function Structure({ detail }: { detail: ControllerDetail }) {
  const id = detail.controller.id;
  const addProcess = useAddProcess(id);
  const assign = useAssignChannel(id);
  const [process, setProcess] = useState('');
  const processName = (pid: number | null) => detail.processes.find((p) => p.id === pid)?.name;
  return (
    <section className="card" aria-labelledby="channels-heading">
      <h2 id="channels-heading">Processes and channels</h2>
      <p className="muted">Only channels that belong to a process have their readings stored.</p>
      <h3>Processes</h3>
      {detail.processes.length === 0 ? <p className="muted">No processes yet.</p> : <ul>{detail.processes.map((p) => <li key={p.id}>{p.name}</li>)}</ul>}
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          addProcess.mutate(process.trim(), { onSuccess: () => setProcess('') });
        }}
      >
        <Field label="New process">{(p) => <input {...p} required value={process} onChange={(e) => setProcess(e.target.value)} autoComplete="off" />}</Field>
        <div className="field">
          <button type="submit" disabled={addProcess.isPending}>
            Add process
          </button>
        </div>
      </form>
      <ErrorMessage error={addProcess.error ?? assign.error} />
      <h3>Channels</h3>
      {detail.channels.length === 0 ? (
        <p className="muted">No channels.</p>
      ) : (
        <div className="table-wrap">
          <table className="admin-table stack" role="table">
            <thead role="rowgroup">
              <tr role="row">
                <th scope="col" role="columnheader">Number</th>
                <th scope="col" role="columnheader">Name</th>
                <th scope="col" role="columnheader">Kind</th>
                <th scope="col" role="columnheader">Type</th>
                <th scope="col" role="columnheader">Unit</th>
                <th scope="col" role="columnheader">Process</th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              {detail.channels.map((c) => (
                <tr role="row" key={c.id}>
                  <th scope="row" role="rowheader" className="mono">
                    {c.number}
                  </th>
                  <td role="cell" data-label="Name">{c.name}</td>
                  <td role="cell" data-label="Kind">{c.kind}</td>
                  <td role="cell" data-label="Type">{c.type}</td>
                  <td role="cell" data-label="Unit">{c.unit ?? '—'}</td>
                  <td role="cell" data-label="Process">
                    <select
                      aria-label={`Process of channel ${c.number}`}
                      value={c.process_id ?? ''}
                      disabled={assign.isPending}
                      onChange={(e) => assign.mutate({ id: c.id, processId: e.target.value === '' ? null : Number(e.target.value) })}
                    >
                      <option value="">None (not stored)</option>
                      {detail.processes.map((p) => (
                        <option key={p.id} value={p.id}>
                          {p.name}
                        </option>
                      ))}
                    </select>
                    {c.process_id !== null && !processName(c.process_id) ? <span className="hint">unknown</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <AddChannel detail={detail} />
    </section>
  );
}

/** Adds one channel to the controller (number, type, and optionally name, unit, kind, process). */
function AddChannel({ detail }: { detail: ControllerDetail }) {
  const add = useAddChannel(detail.controller.id);
  const empty = { number: '', name: '', type: '', unit: '', kind: '', process: '' };
  const [row, setRow] = useState(empty);
  const [added, setAdded] = useState<string | null>(null);
  const set = (field: keyof typeof empty) => (e: { target: { value: string } }) => setRow({ ...row, [field]: e.target.value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setAdded(null);
    add.mutate(
      {
        number: row.number.trim(),
        type: row.type.trim(),
        ...(row.name.trim() ? { name: row.name.trim() } : {}),
        ...(row.unit.trim() ? { unit: row.unit.trim() } : {}),
        ...(row.kind === 'input' || row.kind === 'output' ? { kind: row.kind } : {}),
        ...(row.process ? { process_id: Number(row.process) } : {}),
      },
      {
        onSuccess: (c) => {
          setAdded(c.number);
          setRow(empty);
        },
      },
    );
  };
  return (
    <form onSubmit={submit} aria-labelledby="add-channel-heading">
      <h3 id="add-channel-heading">Add a channel</h3>
      {added ? <Notice>Channel {added} added.</Notice> : null}
      <div className="form-row">
        <Field label="Number">{(p) => <input {...p} required value={row.number} onChange={set('number')} placeholder="S12" autoComplete="off" />}</Field>
        <Field label="Name">{(p) => <input {...p} value={row.name} onChange={set('name')} autoComplete="off" />}</Field>
        <Field label="Type">{(p) => <input {...p} required list="admin-channel-types" value={row.type} onChange={set('type')} autoComplete="off" />}</Field>
        <Field label="Unit">{(p) => <input {...p} value={row.unit} onChange={set('unit')} autoComplete="off" />}</Field>
        <Field label="Kind">
          {(p) => (
            <select {...p} value={row.kind} onChange={set('kind')}>
              <option value="">By type</option>
              <option value="input">Input</option>
              <option value="output">Output</option>
            </select>
          )}
        </Field>
        <Field label="Process">
          {(p) => (
            <select {...p} value={row.process} onChange={set('process')}>
              <option value="">None (not stored)</option>
              {detail.processes.map((pr) => (
                <option key={pr.id} value={pr.id}>
                  {pr.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <datalist id="admin-channel-types">
        {['conductivity', 'ph', 'orp', 'temperature', 'flowrate', 'level', 'pressure', 'relay', 'pump', 'valve'].map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
      <ErrorMessage error={add.error} />
      <div className="form-actions">
        <button type="submit" disabled={add.isPending}>
          Add channel
        </button>
      </div>
    </form>
  );
}

function IngestKeys({ controllerId, timeZone }: { controllerId: number; timeZone: string | undefined }) {
  const keys = useIngestKeys(controllerId);
  const rotate = useRotateKey(controllerId);
  const revoke = useRevokeKey(controllerId);
  const [overlap, setOverlap] = useState(24 * 3600);
  const [rotated, setRotated] = useState<Rotated | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const live = (keys.data ?? []).filter((k) => k.state === 'active' || k.state === 'expiring');
  return (
    <section className="card" aria-labelledby="keys-heading">
      <h2 id="keys-heading">Ingest keys</h2>
      <p className="muted">The device sends its key with every reading. Only the first characters are kept in clear, to tell keys apart.</p>
      {rotated ? (
        <IngestKeyResult
          title="New ingest key"
          keyValue={rotated.key}
          note={`The previous keys stop ${new Date(rotated.previous_keys_stop_at).getTime() <= Date.now() + 1000 ? 'now' : `at ${timeZone ? formatDateTime(rotated.previous_keys_stop_at, timeZone) : formatLocalTime(rotated.previous_keys_stop_at)}`}.`}
          onDone={() => setRotated(null)}
        />
      ) : null}
      {message ? <Notice>{message}</Notice> : null}
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          setMessage(null);
          rotate.mutate(overlap, { onSuccess: setRotated });
        }}
      >
        <Field label="Previous keys keep working for" hint="Time to put the new key in the device without losing readings.">
          {(p) => (
            <select {...p} value={overlap} onChange={(e) => setOverlap(Number(e.target.value))}>
              {OVERLAPS.map((o) => (
                <option key={o.seconds} value={o.seconds}>
                  {o.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="field">
          {overlap === 0 && live.length > 0 ? (
            // No overlap cuts the device off at once: confirmed like a revoke.
            <ConfirmButton
              label="Rotate key"
              title="Rotate with no overlap?"
              confirmLabel="Rotate and stop the current key now"
              disabled={rotate.isPending}
              onConfirm={() => {
                setMessage(null);
                rotate.mutate(overlap, { onSuccess: setRotated });
              }}
            >
              The current key stops working at once: the device is refused until it sends with the new key.
            </ConfirmButton>
          ) : (
            <button type="submit" className="primary" disabled={rotate.isPending}>
              Rotate key
            </button>
          )}
        </div>
      </form>
      <ErrorMessage error={keys.error ?? rotate.error ?? revoke.error} />
      {keys.isPending ? <Loading /> : null}
      {keys.data && keys.data.length === 0 ? <p className="muted">No keys: rotate to issue one.</p> : null}
      {keys.data && keys.data.length > 0 ? (
        <div className="table-wrap">
          <table className="admin-table stack" role="table">
            <thead role="rowgroup">
              <tr role="row">
                <th scope="col" role="columnheader">Key</th>
                <th scope="col" role="columnheader">State</th>
                <th scope="col" role="columnheader">Created</th>
                <th scope="col" role="columnheader">Stops</th>
                <th scope="col" role="columnheader">Actions</th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              {keys.data.map((k) => (
                <tr role="row" key={k.id}>
                  <th scope="row" role="rowheader" className="mono">
                    {k.prefix}…
                  </th>
                  <td role="cell" data-label="State">
                    <span className={`badge ${STATE_BADGE[k.state]}`}>{k.state}</span>
                  </td>
                  <td role="cell" data-label="Created">
                    <Time iso={k.created_at} timeZone={timeZone} />
                  </td>
                  <td role="cell" data-label="Stops">
                    <Time iso={k.revoked_at ?? k.expires_at} timeZone={timeZone} />
                  </td>
                  <td role="cell" data-label="Actions">
                    {k.state === 'active' || k.state === 'expiring' ? (
                      <ConfirmButton
                        label="Revoke"
                        title={`Revoke key ${k.prefix}…?`}
                        confirmLabel={`Revoke ${k.prefix}…`}
                        onConfirm={() => revoke.mutate(k.id, { onSuccess: () => setMessage(`Key ${k.prefix}… is revoked.`) })}
                      >
                        <p>A device using this key is refused at once. Rotate to issue a new key.</p>
                      </ConfirmButton>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {live.length > 1 ? (
        <div className="form-actions">
          <ConfirmButton
            label="Revoke all keys"
            title="Revoke every key of this controller?"
            confirmLabel="Revoke all keys"
            onConfirm={() => revoke.mutate(null, { onSuccess: (r) => setMessage(`${r.revoked} key(s) revoked.`) })}
          >
            <p>The device is refused at once until it gets a new key.</p>
          </ConfirmButton>
        </div>
      ) : null}
    </section>
  );
}

/** One controller (or flow sensor) for an admin: rename, processes and channels, ingest keys. */
export function ControllerAdminPage() {
  const { to, isOperator, customer } = useAdmin();
  const id = Number(useParams().id);
  const valid = Number.isSafeInteger(id) && id > 0;
  const detail = useController(valid ? id : 0);
  const facilities = useFacilities({ customerId: detail.data?.controller.customer_id ?? null });
  const [, setParams] = useSearchParams();
  const owner = detail.data?.controller.customer_id;
  // An operator who opens a controller's address acts for its customer (the picker follows).
  useEffect(() => {
    if (isOperator && owner !== undefined && customer?.id !== owner) setParams({ customer: String(owner) }, { replace: true });
  }, [isOperator, owner, customer?.id, setParams]);
  if (!valid || (detail.error instanceof ApiError && detail.error.status === 404)) return <NotFound />;
  if (detail.isPending) return <Loading />;
  if (detail.isError) return <ErrorMessage error={detail.error} />;
  const c = detail.data.controller;
  // The controller's times are its facility's (in that zone, with its abbreviation).
  const timeZone = facilities.data?.find((f) => f.id === c.facility_id)?.time_zone;
  return (
    <>
      <p className="breadcrumb">
        <Link to={to(paths.adminSites)}>Sites</Link> ›
      </p>
      <PageHeader
        title={c.name}
        description={
          <>
            {c.model === 'flow_sensor' ? 'Flow sensor' : `Model ${c.model}`} · serial <span className="mono">{c.serial_number}</span> · last seen <Time iso={c.last_seen_at} timeZone={timeZone} />
          </>
        }
        actions={<Link to={c.model === 'flow_sensor' ? paths.flowSensor(c.id) : paths.controller(c.id)}>Open its dashboard</Link>}
      />
      <section className="card" aria-labelledby="rename-heading">
        <h2 id="rename-heading">Name</h2>
        <RenameForm key={c.name} detail={detail.data} />
      </section>
      <Structure detail={detail.data} />
      <IngestKeys controllerId={c.id} timeZone={timeZone} />
    </>
  );
}
