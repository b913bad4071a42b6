import { useState, type FormEvent } from 'react';
import { EmptyState, ErrorMessage, Field, Loading, Notice, OneTimeSecret, PageHeader } from '../../components/ui/ui';
import { FLUXX_DOC_URL, useAdmin } from './admin-layout';
import { useApiClients, useCreateApiClient, useDeleteApiClient, type CreatedClient } from './api';
import { ConfirmButton, Time } from './confirm';

type Role = 'admin' | 'user';

/** The one-line exchange of a client's credentials for a two-hour bearer token. */
export function tokenCurl(origin: string, clientId: string, secret: string): string {
  return `curl -X POST ${origin}/oauth/token -d grant_type=client_credentials -d client_id=${clientId} -d client_secret=${secret}`;
}

function Created({ created, onDone }: { created: CreatedClient; onDone: () => void }) {
  return (
    <section className="card" aria-labelledby="created-heading">
      <h2 id="created-heading">API client “{created.name}” created</h2>
      <OneTimeSecret label="Client ID" value={created.client_id} note="The client ID is not secret; it is listed below too." />
      <OneTimeSecret label="Client secret" value={created.client_secret} />
      <OneTimeSecret
        label="Get a token (curl)"
        value={tokenCurl(window.location.origin, created.client_id, created.client_secret)}
        note="The answer's access_token works for two hours on every face as Authorization: Bearer <token>. This line holds the secret: it is shown only now."
      />
      <button type="button" onClick={onDone}>
        Done
      </button>
    </section>
  );
}

export function ApiClientsPage() {
  const { isOperator, customer } = useAdmin();
  const clients = useApiClients(!isOperator);
  const create = useCreateApiClient();
  const remove = useDeleteApiClient();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('user');
  const [created, setCreated] = useState<CreatedClient | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const description = (
    <>
      OAuth client credentials for scripts and integrations: exchange them at <code>POST /oauth/token</code> for a two-hour token. See the{' '}
      <a href={FLUXX_DOC_URL} target="_blank" rel="noreferrer">
        Fluxx API documentation<span className="visually-hidden"> (opens in a new tab)</span>
      </a>
      .
    </>
  );

  if (isOperator) {
    return (
      <>
        <PageHeader title="API clients" description={description} />
        <EmptyState title="Made by the customer's admins">
          <p>
            An API client acts for one customer, so an admin of {customer ? customer.name : 'the customer'} makes it (Flowline refuses platform operators here). Invite an admin on the Users
            page if the customer has none.
          </p>
        </EmptyState>
      </>
    );
  }

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      { name: name.trim(), role },
      {
        onSuccess: (c) => {
          setName('');
          setRole('user');
          setMessage(null);
          setCreated(c);
        },
      },
    );
  };

  return (
    <>
      <PageHeader title="API clients" description={description} />
      {created ? <Created created={created} onDone={() => setCreated(null)} /> : null}
      {message ? <Notice>{message}</Notice> : null}
      <section className="card" aria-labelledby="new-client">
        <h2 id="new-client">New API client</h2>
        <form onSubmit={submit}>
          <div className="form-row">
            <Field label="Client name" hint="What uses it, e.g. “SCADA export”.">
              {(p) => <input {...p} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}
            </Field>
            <Field label="Client role">
              {(p) => (
                <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                  <option value="user">User (reads)</option>
                  <option value="admin">Admin (also changes)</option>
                </select>
              )}
            </Field>
          </div>
          <ErrorMessage error={create.error} />
          <div className="form-actions">
            <button type="submit" className="primary" disabled={create.isPending}>
              Create API client
            </button>
          </div>
        </form>
      </section>
      <section aria-labelledby="clients-heading">
        <h2 id="clients-heading">Clients</h2>
        {clients.isPending ? <Loading /> : null}
        <ErrorMessage error={clients.error ?? remove.error} />
        {clients.data && clients.data.length === 0 ? <p className="muted">No API clients yet. Create one above for each script or integration, so each can be removed on its own.</p> : null}
        {clients.data && clients.data.length > 0 ? (
          <div className="table-wrap">
            <table className="admin-table stack" role="table">
              <thead role="rowgroup">
                <tr role="row">
                  <th scope="col" role="columnheader">Name</th>
                  <th scope="col" role="columnheader">Client ID</th>
                  <th scope="col" role="columnheader">Role</th>
                  <th scope="col" role="columnheader">Created</th>
                  <th scope="col" role="columnheader">Actions</th>
                </tr>
              </thead>
              <tbody role="rowgroup">
                {clients.data.map((c) => (
                  <tr role="row" key={c.id}>
                    <th scope="row" role="rowheader">{c.name}</th>
                    <td role="cell" data-label="Client ID" className="mono break">{c.client_id}</td>
                    <td role="cell" data-label="Role">{c.role}</td>
                    <td role="cell" data-label="Created">
                      <Time iso={c.created_at} />
                    </td>
                    <td role="cell" data-label="Actions">
                      <ConfirmButton
                        label="Delete"
                        title={`Delete API client “${c.name}”?`}
                        confirmLabel={`Delete ${c.name}`}
                        onConfirm={() => remove.mutate(c.id, { onSuccess: () => setMessage(`API client “${c.name}” deleted; its tokens no longer work.`) })}
                      >
                        <p>Its secret and every token it holds stop working at once.</p>
                      </ConfirmButton>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}
