import { useState, type FormEvent } from 'react';
import { Link, Navigate, useLocation, useSearchParams } from 'react-router';
import { ErrorMessage, Field, Notice } from '../../components/ui/ui';
import { paths } from '../../config/paths';
import { focusNextHeading } from '../../lib/focus-heading';
import { useSession } from '../../lib/session';
import { safeNext } from './next-path';

/** What the set-password page hands over when it sends the person here. */
export interface SignInState {
  passwordSet?: boolean;
  email?: string;
}

export function SignInPage() {
  const { account, signIn } = useSession();
  const [search] = useSearchParams();
  const location = useLocation();
  const handed = (location.state ?? {}) as SignInState;
  const [email, setEmail] = useState(handed.email ?? '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  // Signed in (already, or just now): straight on to where the person was going.
  if (account) return <Navigate to={safeNext(search.get('next'))} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // The page reached starts with its heading focused (not the top of the document).
      const stopWaiting = focusNextHeading();
      await signIn(email, password).catch((caught: unknown) => {
        stopWaiting();
        throw caught;
      });
    } catch (caught) {
      setError(caught);
      setPassword('');
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      {handed.passwordSet ? <Notice>Your password is set. Sign in with it.</Notice> : null}
      <ErrorMessage error={error} />
      <form onSubmit={submit} noValidate={false}>
        <Field label="E-mail address">
          {(props) => <input {...props} type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Password">
          {(props) => (
            <input {...props} type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          )}
        </Field>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p>
        <Link to={paths.resetPassword}>Forgot your password?</Link>
      </p>
    </section>
  );
}
