import { useId, useState } from 'react';
import { ErrorMessage, Field, Notice, OneTimeSecret, copyText } from '../../../components/ui/ui';
import { formatLocalTime as formatTime } from '../../../lib/time';
import { useGenerateToken } from '../api';

/** The API terms (the Fluent document: generating a token means accepting them). */
function ApiTerms() {
  return (
    <div className="terms-text" tabIndex={0} role="region" aria-label="Client API terms and conditions">
      <p>
        <strong>Client API Terms and Conditions.</strong> By generating an Authentication Token you agree to these terms for every face of the Flowline API
        (Fluent, FlowCommand, Fluxx and Flowline).
      </p>
      <p>The token acts as you: it sees and changes exactly what your account can. Keep it secret, never put it in a web page or a shared repository, and regenerate it at once if it leaks.</p>
      <p>Requests are rate limited per account (the X-Rate-Limit-* headers tell you how many remain); a client over its limit is answered 429 and must wait before trying again.</p>
      <p>Data you read through the API stays your customer’s; use it only for that customer’s service. Access can be withdrawn when these terms are broken or the account is disabled.</p>
    </div>
  );
}

interface CurlLine {
  face: string;
  command: string;
}

function curlLines(origin: string, email: string, token: string): CurlLine[] {
  const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  return [
    { face: 'Fluent (user id and token, HTTP Basic)', command: `curl -u ${quote(`${email}:${token}`)} ${origin}/controller/list/` },
    { face: 'FlowCommand', command: `curl -H ${quote(`Authorization: Token ${token}`)} ${origin}/api/v1/flow_sensors/` },
    { face: 'Fluxx', command: `curl -H ${quote(`Authorization: Bearer ${token}`)} ${origin}/api/rest/v2/controller` },
    { face: 'Flowline', command: `curl -H ${quote(`Authorization: Token ${token}`)} ${origin}/api/flowline/v1/controllers` },
  ];
}

function CurlBox({ email, token }: { email: string; token: string | null }) {
  const [copied, setCopied] = useState<string | null>(null);
  const lines = curlLines(window.location.origin, email, token ?? '<your-token>');
  return (
    <section className="card" aria-labelledby="use-it-heading">
      <h3 id="use-it-heading">Use it</h3>
      <p className="muted">
        {token ? 'Ready to paste in a terminal: each line reads your data through one face of the API.' : 'Generate a token first; these lines then fill in with it.'}
      </p>
      <ul className="curl-list">
        {lines.map((line) => (
          <li key={line.face}>
            <div className="curl-head">
              <strong>{line.face}</strong>
              <button type="button" onClick={async () => setCopied((await copyText(line.command)) ? line.face : null)} aria-label={`Copy the ${line.face.split(' ')[0]} command`}>
                Copy
              </button>
            </div>
            <pre>
              <code>{line.command}</code>
            </pre>
          </li>
        ))}
      </ul>
      <p className="hint" role="status">
        {copied ? `Copied the ${copied.split(' ')[0]} command.` : ''}
      </p>
    </section>
  );
}

/**
 * "Client API Authentication Token" as the Fluent document describes it: accept the terms,
 * generate (or regenerate, which revokes the old one), the token shown once with the user id
 * to send with it, and ready-to-copy curl lines for each face.
 */
export function TokenSection({
  email,
  hasToken,
  tokenCreatedAt,
  termsAcceptedAt,
}: {
  email: string;
  hasToken: boolean;
  tokenCreatedAt: string | null;
  termsAcceptedAt: string | null;
}) {
  const generate = useGenerateToken();
  const [accepted, setAccepted] = useState(false);
  const [confirmRegenerate, setConfirmRegenerate] = useState(false);
  const [replaced, setReplaced] = useState(false);
  // A token is a lasting credential: making one asks for the password again, not only the session.
  const [password, setPassword] = useState('');
  const checkboxId = useId();
  const token = generate.data?.token ?? null;
  const termsDone = termsAcceptedAt !== null;
  const ready = (termsDone || accepted) && password !== '';

  const run = () => {
    setConfirmRegenerate(false);
    setReplaced(hasToken || token !== null);
    generate.mutate({ acceptTerms: !termsDone, password }, { onSuccess: () => setPassword('') });
  };

  return (
    <section className="card" aria-labelledby="token-heading">
      <h2 id="token-heading">Client API Authentication Token</h2>
      <p>
        The API uses your user id (your e-mail address) and this token to grant access to your data. Fluent clients send both with HTTP Basic; the other faces take the token
        alone.
      </p>
      <dl className="definition-list">
        <dt>User id</dt>
        <dd className="mono">{email}</dd>
        <dt>Authentication Token</dt>
        <dd>{token ? 'Shown below, once.' : hasToken ? `Generated ${formatTime(tokenCreatedAt)}; it is not shown again.` : 'None yet.'}</dd>
      </dl>

      <h3>Terms and Conditions</h3>
      {termsDone ? (
        <p>You accepted the API terms on {formatTime(termsAcceptedAt)}.</p>
      ) : (
        <>
          <ApiTerms />
          <div className="checkbox">
            <input id={checkboxId} type="checkbox" checked={accepted} onChange={(e) => setAccepted(e.currentTarget.checked)} />
            <label htmlFor={checkboxId}>I have read and accept the Client API Terms and Conditions</label>
          </div>
        </>
      )}

      <Field label="Your current password" hint="Needed to generate a token, even when you are signed in.">
        {(props) => (
          <input {...props} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} maxLength={1024} />
        )}
      </Field>

      <div className="form-actions">
        {hasToken || token ? (
          confirmRegenerate ? (
            <div
              role="alertdialog"
              aria-label="Confirm regenerating the token"
              aria-describedby="regenerate-warning"
              className="alert alert-error"
              onKeyDown={(e) => {
                if (e.key === 'Escape') setConfirmRegenerate(false);
              }}
            >
              <p id="regenerate-warning">Regenerating revokes your current token: every script and client using it stops working until you give it the new one.</p>
              <button ref={(button) => button?.focus()} type="button" className="danger" onClick={run} disabled={generate.isPending}>
                Regenerate and revoke the old token
              </button>{' '}
              <button type="button" onClick={() => setConfirmRegenerate(false)}>
                Cancel
              </button>
            </div>
          ) : (
            <button type="button" onClick={() => setConfirmRegenerate(true)} disabled={generate.isPending || !ready}>
              Regenerate Authentication Token
            </button>
          )
        ) : (
          <button type="button" className="primary" onClick={run} disabled={generate.isPending || !ready}>
            Generate Authentication Token
          </button>
        )}
      </div>
      {!termsDone && !accepted ? <p className="hint">Accept the terms to generate your token.</p> : password === '' ? <p className="hint">Type your current password to generate a token.</p> : null}
      <ErrorMessage error={generate.error} />
      {token ? (
        <>
          <Notice>{replaced ? 'Your new token is ready; the previous one no longer works.' : 'Your token is ready.'}</Notice>
          <OneTimeSecret label="Your Authentication Token" value={token} note="Shown only this once: copy it now. Only a hash is kept, so it cannot be shown again; regenerate it if it is lost." />
        </>
      ) : null}
      <CurlBox email={email} token={token} />
    </section>
  );
}
