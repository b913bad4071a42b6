import { useState, type FormEvent } from 'react';
import { Field } from '../../components/ui/ui';
import { fromLocalInput, toLocalInput } from '../../lib/time';
import { RANGES, resolveRange, type RangeChoice, type RelativeRange } from './ranges';

/**
 * The range buttons (24 h, 7 d, 30 d, 1 y) and a custom from/to form whose inputs read and
 * show wall-clock time in the facility's zone. The choice lives in the URL (the page's job).
 */
export function RangePicker({ choice, timeZone, onChoose, now }: { choice: RangeChoice; timeZone: string; onChoose: (c: RangeChoice) => void; now: number }) {
  const current = resolveRange(choice, now);
  const [from, setFrom] = useState(() => toLocalInput(current.from * 1000, timeZone));
  const [to, setTo] = useState(() => toLocalInput(current.to * 1000, timeZone));
  const [error, setError] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const a = fromLocalInput(from, timeZone);
    const b = fromLocalInput(to, timeZone);
    if (a === null || b === null) return setError('Enter both dates and times.');
    if (a >= b) return setError('"From" must be before "To".');
    setError(null);
    onChoose({ kind: 'custom', from: Math.floor(a / 1000), to: Math.ceil(b / 1000) });
  };

  return (
    <div className="range-bar card">
      <fieldset className="range-buttons">
        <legend>Range</legend>
        {(Object.keys(RANGES) as RelativeRange[]).map((key) => (
          <button key={key} type="button" aria-pressed={choice.kind === key} onClick={() => onChoose({ kind: key })}>
            {RANGES[key].short}
          </button>
        ))}
      </fieldset>
      <form className="custom-range" onSubmit={submit} aria-label="Custom range">
        <Field label={`From (${timeZone})`} error={error}>
          {(p) => <input {...p} type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />}
        </Field>
        <Field label={`To (${timeZone})`}>{(p) => <input {...p} type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />}</Field>
        <button type="submit" aria-pressed={choice.kind === 'custom'}>
          Show custom range
        </button>
      </form>
    </div>
  );
}
