import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { ErrorMessage, Field, OneTimeSecret } from '../../components/ui/ui';
import { paths } from '../../config/paths';
import { useAdmin } from './admin-layout';
import { useRegisterController, type Facility, type RegisterBody, type Registered } from './api';

type Kind = '' | 'input' | 'output';
interface ChannelRow {
  key: number;
  number: string;
  name: string;
  kind: Kind;
  type: string;
  unit: string;
  process: string;
}

let nextKey = 1;
const emptyRow = (): ChannelRow => ({ key: nextKey++, number: '', name: '', kind: '', type: '', unit: '', process: '' });
const CHANNEL_TYPES = ['conductivity', 'ph', 'orp', 'temperature', 'flowrate', 'level', 'pressure', 'relay', 'pump', 'valve'];

/** The key just issued: shown once, with what the device does with it. */
export function IngestKeyResult({ title, keyValue, note, onDone }: { title: string; keyValue: string; note?: string; onDone: () => void }) {
  const headingId = useId();
  return (
    <section className="card" aria-labelledby={headingId}>
      <h3 id={headingId}>{title}</h3>
      <OneTimeSecret
        label="Ingest key"
        value={keyValue}
        note={`${note ? `${note} ` : ''}Put it in the device, which sends it as Authorization: Bearer <key> to POST /ingest/v1/readings. Shown only now: Flowline keeps a digest.`}
      />
      <button type="button" onClick={onDone}>
        Done
      </button>
    </section>
  );
}

/** One channel in the editor; each control is labelled with the row's position. */
function ChannelEditorRow({ row, index, processes, onChange, onRemove }: { row: ChannelRow; index: number; processes: string[]; onChange: (row: ChannelRow) => void; onRemove: () => void }) {
  const n = index + 1;
  const set = (field: keyof ChannelRow) => (e: { target: { value: string } }) => onChange({ ...row, [field]: e.target.value });
  return (
    <fieldset className="channel-row">
      <legend>Channel {n}</legend>
      <label>
        Number
        <input aria-label={`Channel ${n} number`} required value={row.number} onChange={set('number')} placeholder="S11" autoComplete="off" />
      </label>
      <label>
        Name
        <input aria-label={`Channel ${n} name`} value={row.name} onChange={set('name')} placeholder="Conductivity" autoComplete="off" />
      </label>
      <label>
        Type
        <input aria-label={`Channel ${n} type`} required list="channel-types" value={row.type} onChange={set('type')} placeholder="conductivity" autoComplete="off" />
      </label>
      <label>
        Unit
        <input aria-label={`Channel ${n} unit`} value={row.unit} onChange={set('unit')} placeholder="µS/cm" autoComplete="off" />
      </label>
      <label>
        Kind
        <select aria-label={`Channel ${n} kind`} value={row.kind} onChange={set('kind')}>
          <option value="">By type</option>
          <option value="input">Input</option>
          <option value="output">Output</option>
        </select>
      </label>
      <label>
        Process
        <select aria-label={`Channel ${n} process`} value={row.process} onChange={set('process')}>
          <option value="">None (data not stored)</option>
          {processes.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      <button type="button" className="danger" onClick={onRemove} aria-label={`Remove channel ${n}`}>
        Remove
      </button>
    </fieldset>
  );
}

/**
 * Registers a controller or flow sensor with its processes and channels; the answer's first
 * ingest key is shown once.
 */
export function RegisterController({ facilities, facilityId: initialFacility }: { facilities: Facility[]; facilityId?: number }) {
  const { to } = useAdmin();
  const register = useRegisterController();
  const headingId = useId();
  const [facilityId, setFacilityId] = useState<number>(initialFacility ?? facilities[0]?.id ?? 0);
  const [serial, setSerial] = useState('');
  const [model, setModel] = useState('');
  const [name, setName] = useState('');
  const [processes, setProcesses] = useState('');
  const [pipe, setPipe] = useState('');
  const isFlowSensor = model.trim() === 'flow_sensor';
  const [rows, setRows] = useState<ChannelRow[]>([]);
  const [registered, setRegistered] = useState<Registered | null>(null);

  const processNames = [...new Set(processes.split(',').map((p) => p.trim()).filter(Boolean))];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body: RegisterBody = {
      facility_id: facilityId,
      serial_number: serial.trim(),
      model: model.trim(),
      name: name.trim(),
      ...(isFlowSensor && pipe.trim() ? { pipe_diameter: Number(pipe) } : {}),
      ...(processNames.length > 0 ? { processes: processNames.map((p) => ({ name: p })) } : {}),
      ...(rows.length > 0
        ? {
            channels: rows.map((r) => ({
              number: r.number.trim(),
              type: r.type.trim(),
              ...(r.name.trim() ? { name: r.name.trim() } : {}),
              ...(r.unit.trim() ? { unit: r.unit.trim() } : {}),
              ...(r.kind ? { kind: r.kind } : {}),
              ...(r.process ? { process: r.process } : {}),
            })),
          }
        : {}),
    };
    register.mutate(body, {
      onSuccess: (result) => {
        setRegistered(result);
        setSerial('');
        setModel('');
        setName('');
        setProcesses('');
        setPipe('');
        setRows([]);
      },
    });
  };

  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>Register a controller or flow sensor</h2>
      {registered ? (
        <>
          <IngestKeyResult
            title={`${registered.controller.name} is registered`}
            keyValue={registered.ingest_key.key}
            note={`${plural(registered.channels.length, 'channel', 'channels')} in ${plural(registered.processes.length, 'process', 'processes')}.`}
            onDone={() => setRegistered(null)}
          />
          <p>
            <Link to={to(paths.adminController(registered.controller.id))}>Manage {registered.controller.name}</Link>
          </p>
        </>
      ) : null}
      <form onSubmit={submit}>
        <div className="form-row">
          <Field label="Facility">
            {(p) => (
              <select {...p} value={facilityId} onChange={(e) => setFacilityId(Number(e.target.value))}>
                {facilities.map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Serial number">{(p) => <input {...p} required value={serial} onChange={(e) => setSerial(e.target.value)} autoComplete="off" />}</Field>
          <Field label="Model" hint="flow_sensor makes a flow sensor">
            {(p) => <input {...p} required list="controller-models" value={model} onChange={(e) => setModel(e.target.value)} autoComplete="off" />}
          </Field>
          <Field label="Controller name">{(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}</Field>
        </div>
        {isFlowSensor ? (
          <Field label="Pipe diameter (inches)">
            {(p) => <input {...p} type="number" min="0.01" max="1000" step="any" inputMode="decimal" value={pipe} onChange={(e) => setPipe(e.target.value)} />}
          </Field>
        ) : null}
        <Field label="Processes" hint="Comma-separated, e.g. “Cooling Tower 1, Boiler”. Only channels in a process have their data stored.">
          {(p) => <input {...p} value={processes} onChange={(e) => setProcesses(e.target.value)} autoComplete="off" />}
        </Field>
        <datalist id="channel-types">
          {CHANNEL_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <datalist id="controller-models">
          <option value="W900" />
          <option value="flow_sensor" />
        </datalist>
        <h3>Channels</h3>
        {rows.length === 0 ? <p className="hint">No channels yet. A flow sensor without channels gets input S1 (flowrate, bbl/day) in process Flow.</p> : null}
        {rows.map((row, index) => (
          <ChannelEditorRow
            key={row.key}
            row={row}
            index={index}
            processes={processNames}
            onChange={(changed) => setRows(rows.map((r) => (r.key === row.key ? changed : r)))}
            onRemove={() => setRows(rows.filter((r) => r.key !== row.key))}
          />
        ))}
        <div className="form-actions">
          <button type="button" onClick={() => setRows([...rows, emptyRow()])}>
            Add channel
          </button>
        </div>
        <ErrorMessage error={register.error} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={register.isPending || facilities.length === 0}>
            Register
          </button>
        </div>
      </form>
    </section>
  );
}

/** "1 channel", "2 channels". */
function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
