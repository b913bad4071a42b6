import { useRef, useState, type FormEvent } from 'react';
import { ErrorMessage, Field, Notice } from '../../../components/ui/ui';
import { useChangePassword } from '../api';

const MIN_LENGTH = 8;

/** Current password, then the new one twice; the server signs out the account's other sessions. */
export function PasswordSection() {
  const change = useChangePassword();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [mismatch, setMismatch] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const currentInput = useRef<HTMLInputElement>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    if (next.length < MIN_LENGTH) return setMismatch(`The new password needs at least ${MIN_LENGTH} characters.`);
    if (next !== again) return setMismatch('The two new passwords differ: type the same one twice.');
    setMismatch(null);
    change.mutate(
      { current_password: current, new_password: next },
      {
        onSuccess: () => {
          setCurrent('');
          setNext('');
          setAgain('');
          setDone(true);
        },
        // Most likely the current password was wrong: back to it, selected, to type it again.
        onError: () => {
          currentInput.current?.focus();
          currentInput.current?.select();
        },
      },
    );
  };

  return (
    <section className="card" aria-labelledby="password-heading">
      <h2 id="password-heading">Change password</h2>
      <form onSubmit={submit} noValidate>
        <Field label="Current password">
          {(props) => <input {...props} ref={currentInput} type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.currentTarget.value)} />}
        </Field>
        {/* Tops aligned: the first field's hint must not push the second one down. */}
        <div className="form-row password-row">
          <Field label="New password" hint={`At least ${MIN_LENGTH} characters.`} error={mismatch}>
            {(props) => <input {...props} type="password" autoComplete="new-password" required minLength={MIN_LENGTH} value={next} onChange={(e) => setNext(e.currentTarget.value)} />}
          </Field>
          <Field label="New password again">
            {(props) => <input {...props} type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.currentTarget.value)} />}
          </Field>
        </div>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={change.isPending}>
            Change password
          </button>
        </div>
      </form>
      <ErrorMessage error={change.error} />
      {done ? <Notice>Password changed. Your other sessions were signed out; sign in there again with the new password.</Notice> : null}
    </section>
  );
}
