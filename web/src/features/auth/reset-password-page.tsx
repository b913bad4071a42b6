import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { ErrorMessage, Field, Notice } from '../../components/ui/ui';
import { paths } from '../../config/paths';
import { api, must } from '../../lib/api';

/**
 * "Forgot your password?": asks for a reset link by e-mail. The answer is the same whatever
 * the address, so the page reveals no accounts.
 */
export function ResetPasswordPage() {
  const [email, setEmail] = useState('');
  const [answer, setAnswer] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const sent = await must(api.POST('/api/flowline/v1/account/password-reset', { body: { email } }));
      setAnswer(sent.detail);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="reset-title">
      <h1 id="reset-title">Reset your password</h1>
      {answer ? (
        <>
          <Notice>{answer}</Notice>
          <p>The link in the message works once, for a limited time. No message? Check the address, or ask an administrator of your account for a link.</p>
        </>
      ) : (
        <>
          <p>Enter the e-mail address you sign in with; we send a link to choose a new password.</p>
          <ErrorMessage error={error} />
          <form onSubmit={submit}>
            <Field label="E-mail address">
              {(props) => <input {...props} type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}
            </Field>
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Sending…' : 'Send the reset link'}
            </button>
          </form>
        </>
      )}
      <p>
        <Link to={paths.signIn}>Back to sign in</Link>
      </p>
    </section>
  );
}
