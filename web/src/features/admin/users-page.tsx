import { useId, useState, type FormEvent } from 'react';
import { ErrorMessage, Field, Loading, Notice, OneTimeSecret, PageHeader } from '../../components/ui/ui';
import { useAccount } from '../../lib/session';
import { NeedsCustomer, useAdmin } from './admin-layout';
import { useInviteUser, usePasswordLink, useUpdateUser, useUsers, type Invited, type User } from './api';
import { ConfirmButton, Time } from './confirm';

type Role = 'admin' | 'user';
const SELF_REASON = 'You cannot change your own role or disable yourself; ask another admin.';

/** A set-password link just made: shown once, to be passed on unless it was mailed. */
function LinkResult({ result, onDone }: { result: Invited & { action: 'invited' | 'reset' }; onDone: () => void }) {
  const { user, set_password_link: link } = result;
  const what = link.purpose === 'invite' ? 'invitation' : 'password reset';
  return (
    <section className="card" aria-labelledby="link-result">
      <h2 id="link-result">{result.action === 'invited' ? `${user.email} is invited` : `Reset link for ${user.email}`}</h2>
      <OneTimeSecret
        label={`Set-password link (${what})`}
        value={link.url}
        note={
          <>
            {link.mailed ? `It was e-mailed to ${user.email}; ` : `Mail is not configured, so nothing was sent: pass this link on to ${user.email} yourself. `}
            It is shown only now, works once and expires <Time iso={link.expires_at} />.
          </>
        }
      />
      <button type="button" onClick={onDone}>
        Done
      </button>
    </section>
  );
}

function InviteForm({ onInvited }: { onInvited: (result: Invited) => void }) {
  const { scope } = useAdmin();
  const invite = useInviteUser(scope);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('user');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    invite.mutate(
      { email: email.trim(), ...(name.trim() ? { name: name.trim() } : {}), role },
      {
        onSuccess: (result) => {
          setEmail('');
          setName('');
          setRole('user');
          onInvited(result);
        },
      },
    );
  };
  return (
    <section className="card" aria-labelledby="invite-heading">
      <h2 id="invite-heading">Invite a user</h2>
      <p className="muted">They get a one-time link to choose their password (valid 7 days).</p>
      <form onSubmit={submit}>
        <div className="form-row">
          <Field label="Name">{(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}</Field>
          <Field label="E-mail">{(p) => <input {...p} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" />}</Field>
          <Field label="Role">
            {(p) => (
              <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                <option value="user">User (reads)</option>
                <option value="admin">Admin (manages users and sites)</option>
              </select>
            )}
          </Field>
        </div>
        <ErrorMessage error={invite.error} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={invite.isPending}>
            Invite
          </button>
        </div>
      </form>
    </section>
  );
}

function stateOf(user: User): { text: string; badge: string } {
  if (user.disabled) return { text: 'Disabled', badge: 'badge-danger' };
  if (!user.has_password) return { text: 'Invited', badge: 'badge-warn' };
  return { text: 'Active', badge: 'badge-ok' };
}

function UserRow({ user, onLink, onChanged }: { user: User; onLink: (result: Invited) => void; onChanged: (message: string) => void }) {
  const { scope } = useAdmin();
  const me = useAccount();
  const update = useUpdateUser(scope);
  const link = usePasswordLink(scope);
  const reasonId = useId();
  const self = user.id === me.id;
  const state = stateOf(user);
  const label = user.name || user.email;
  return (
    <tr role="row">
      <th scope="row" role="rowheader">
        {label}
        {self ? <span className="muted"> (you)</span> : null}
        {user.operator ? <span className="badge badge-muted">operator</span> : null}
      </th>
      <td role="cell" data-label="E-mail" className="break">{user.email}</td>
      <td role="cell" data-label="Role">
        <select
          aria-label={`Role of ${label}`}
          value={user.role}
          disabled={self || update.isPending}
          aria-describedby={self ? reasonId : undefined}
          onChange={(e) => update.mutate({ id: user.id, role: e.target.value as Role }, { onSuccess: (u) => onChanged(`${label} is now ${u.role === 'admin' ? 'an admin' : 'a user'}.`) })}
        >
          <option value="user">User</option>
          <option value="admin">Admin</option>
        </select>
      </td>
      <td role="cell" data-label="State">
        <span className={`badge ${state.badge}`}>{state.text}</span>
        {user.disabled ? (
          <div className="hint">
            since <Time iso={user.disabled_at} />
          </div>
        ) : null}
      </td>
      <td role="cell" data-label="Actions">
        <div className="row-actions">
          {user.disabled ? (
            <ConfirmButton
              label="Enable"
              title={`Enable ${label}?`}
              confirmLabel={`Enable ${label}`}
              danger={false}
              onConfirm={() => update.mutate({ id: user.id, disabled: false }, { onSuccess: () => onChanged(`${label} is enabled.`) })}
            >
              <p>Their password and API token work again.</p>
            </ConfirmButton>
          ) : (
            <ConfirmButton
              label="Disable"
              title={`Disable ${label}?`}
              confirmLabel={`Disable ${label}`}
              disabled={self}
              disabledReason={SELF_REASON}
              describedBy={self ? reasonId : undefined}
              onConfirm={() => update.mutate({ id: user.id, disabled: true }, { onSuccess: () => onChanged(`${label} is disabled.`) })}
            >
              <p>Their password and API token stop working at once. You can enable them again later.</p>
            </ConfirmButton>
          )}
          <button
            type="button"
            disabled={self || user.disabled || link.isPending}
            aria-describedby={self || user.disabled ? reasonId : undefined}
            title={self ? 'Change your own password on My Account.' : user.disabled ? 'Enable the user first.' : undefined}
            onClick={() => link.mutate(user.id, { onSuccess: onLink })}
          >
            {user.has_password ? 'Reset password' : 'New invitation link'}
          </button>
        </div>
        {self ? (
          <p id={reasonId} className="hint">
            {SELF_REASON} Change your password on My Account.
          </p>
        ) : user.disabled ? (
          <p id={reasonId} className="hint">
            Enable the user to make a reset link.
          </p>
        ) : null}
        <ErrorMessage error={update.error ?? link.error} />
      </td>
    </tr>
  );
}

export function UsersPage() {
  const { scope, customer } = useAdmin();
  const users = useUsers(scope);
  const [result, setResult] = useState<(Invited & { action: 'invited' | 'reset' }) | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  return (
    <>
      <PageHeader title="Users" description={customer ? `People of ${customer.name}: invite them, set their role, disable them or make a reset link.` : 'Invite people, set their role, disable them or make a reset link.'} />
      <NeedsCustomer>
        {result ? <LinkResult result={result} onDone={() => setResult(null)} /> : null}
        {message ? <Notice>{message}</Notice> : null}
        <InviteForm
          onInvited={(r) => {
            setMessage(null);
            setResult({ ...r, action: 'invited' });
          }}
        />
        <section aria-labelledby="users-heading">
          <h2 id="users-heading">People</h2>
          {users.isPending ? <Loading /> : null}
          <ErrorMessage error={users.error} />
          {users.data ? (
            <div className="table-wrap">
              <table className="admin-table stack" role="table">
                <thead role="rowgroup">
                  <tr role="row">
                    <th scope="col" role="columnheader">Name</th>
                    <th scope="col" role="columnheader">E-mail</th>
                    <th scope="col" role="columnheader">Role</th>
                    <th scope="col" role="columnheader">State</th>
                    <th scope="col" role="columnheader">Actions</th>
                  </tr>
                </thead>
                <tbody role="rowgroup">
                  {users.data.map((user) => (
                    <UserRow
                      key={user.id}
                      user={user}
                      onChanged={(m) => {
                        setResult(null);
                        setMessage(m);
                      }}
                      onLink={(r) => {
                        setMessage(null);
                        setResult({ ...r, action: 'reset' });
                      }}
                    />
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </section>
      </NeedsCustomer>
    </>
  );
}
