import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { ErrorMessage, Field, Loading } from '../../components/ui/ui';
import { paths } from '../../config/paths';
import { api, ApiError, must } from '../../lib/api';
import { formatLocalTime } from '../../lib/time';
import type { SignInState } from './sign-in-page';

const MIN_LENGTH = 8;

/** The token rides in the fragment (`#token=…`), which browsers never send to a server. */
function tokenOf(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token');
  return token && /^[A-Za-z0-9_-]{1,200}$/.test(token) ? token : null;
}

const formatTime = formatLocalTime;

/** Sets the password from an invitation or reset link, then sends the person to sign in. */
export function SetPasswordPage() {
  const location = useLocation();
  const token = tokenOf(location.hash);
  const link = useQuery({
    queryKey: ['password-link', token],
    queryFn: () => must(api.POST('/api/flowline/v1/account/password-link', { body: { token: token! } })),
    enabled: token !== null,
    retry: false,
    staleTime: Infinity,
  });

  return (
    <section aria-labelledby="set-password-title">
      <h1 id="set-password-title">Choose your password</h1>
      {token === null ? (
        <Unusable message="This link is incomplete: open it exactly as it came in the message." />
      ) : link.isPending ? (
        <Loading label="Checking the link…" />
      ) : link.isError ? (
        link.error instanceof ApiError && link.error.status === 404 ? (
          <Unusable message="This link has expired or has been used already." />
        ) : (
          <ErrorMessage error={link.error} />
        )
      ) : (
        <PasswordForm token={token} email={link.data.email} name={link.data.name} purpose={link.data.purpose} expiresAt={link.data.expires_at} />
      )}
    </section>
  );
}

function Unusable({ message }: { message: string }) {
  return (
    <>
      <div role="alert" className="alert alert-error">
        {message}
      </div>
      <p>
        Ask for a new one: <Link to={paths.resetPassword}>reset your password</Link>, or ask an administrator of your account.
      </p>
    </>
  );
}

function PasswordForm({ token, email, name, purpose, expiresAt }: { token: string; email: string; name: string; purpose: 'invite' | 'reset'; expiresAt: string }) {
  const navigate = useNavigate();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (password.length < MIN_LENGTH) {
      setMismatch(`A password needs at least ${MIN_LENGTH} characters.`);
      return;
    }
    if (password !== repeat) {
      setMismatch('The two passwords are not the same.');
      return;
    }
    setMismatch(null);
    setBusy(true);
    try {
      const done = await must(api.POST('/api/flowline/v1/account/set-password', { body: { token, password } }));
      const state: SignInState = { passwordSet: true, email: done.email };
      navigate(paths.signIn, { replace: true, state });
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  }

  return (
    <>
      <p>
        {purpose === 'invite' ? `Welcome, ${name}.` : `Hello ${name}.`} This sets the password of <strong>{email}</strong>. The link works once, until{' '}
        {formatTime(expiresAt)}.
      </p>
      <ErrorMessage error={error} />
      <form onSubmit={submit}>
        {/* For password managers: the account the new password belongs to. */}
        <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
        <Field label="New password" hint={`At least ${MIN_LENGTH} characters.`}>
          {(props) => (
            <input {...props} type="password" name="new-password" autoComplete="new-password" required minLength={MIN_LENGTH} value={password} onChange={(e) => setPassword(e.target.value)} />
          )}
        </Field>
        <Field label="New password again" error={mismatch}>
          {(props) => <input {...props} type="password" name="repeat-password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} />}
        </Field>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Set the password'}
        </button>
      </form>
    </>
  );
}
