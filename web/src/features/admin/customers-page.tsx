import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { NotFound } from '../../app/layout';
import { ErrorMessage, Field, Loading, Notice, PageHeader } from '../../components/ui/ui';
import { paths } from '../../config/paths';
import { useAdmin } from './admin-layout';
import { useCreateCustomer, useCustomers, useSetCustomerDisabled } from './api';
import { ConfirmButton, Time } from './confirm';

/** Platform operators: every customer, create one, disable or enable it. */
export function CustomersPage() {
  const { isOperator } = useAdmin();
  const customers = useCustomers(isOperator);
  const create = useCreateCustomer();
  const setDisabled = useSetCustomerDisabled();
  const [name, setName] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  if (!isOperator) return <NotFound />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(name.trim(), {
      onSuccess: (c) => {
        setName('');
        setMessage(`Customer “${c.name}” created. Next: add its facilities and invite its admin.`);
      },
    });
  };
  const list = [...(customers.data ?? [])].sort((x, y) => x.name.localeCompare(y.name));
  return (
    <>
      <PageHeader title="Customers" description="Every customer on this Flowline (platform operators only). Choose one in the Customer picker to manage its users and sites." />
      {message ? <Notice>{message}</Notice> : null}
      <section className="card" aria-labelledby="new-customer">
        <h2 id="new-customer">New customer</h2>
        <form onSubmit={submit} className="form-row">
          <Field label="Customer name">{(p) => <input {...p} required value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}</Field>
          <div className="field">
            <button type="submit" className="primary" disabled={create.isPending}>
              Create customer
            </button>
          </div>
        </form>
        <ErrorMessage error={create.error} />
      </section>
      <section aria-labelledby="customers-heading">
        <h2 id="customers-heading">All customers</h2>
        {customers.isPending ? <Loading /> : null}
        <ErrorMessage error={customers.error ?? setDisabled.error} />
        {list.length > 0 ? (
          <div className="table-wrap">
            <table className="admin-table stack" role="table">
              <thead role="rowgroup">
                <tr role="row">
                  <th scope="col" role="columnheader">Name</th>
                  <th scope="col" role="columnheader">State</th>
                  <th scope="col" role="columnheader">Created</th>
                  <th scope="col" role="columnheader">Actions</th>
                </tr>
              </thead>
              <tbody role="rowgroup">
                {list.map((c) => (
                  <tr role="row" key={c.id}>
                    <th scope="row" role="rowheader">
                      <Link to={{ pathname: paths.adminSites, search: `?customer=${c.id}` }}>{c.name}</Link>
                    </th>
                    <td role="cell" data-label="State">{c.disabled ? <span className="badge badge-danger">Disabled</span> : <span className="badge badge-ok">Active</span>}</td>
                    <td role="cell" data-label="Created">
                      <Time iso={c.created_at} />
                    </td>
                    <td role="cell" data-label="Actions">
                      <div className="row-actions">
                        <Link className="button" to={{ pathname: paths.adminUsers, search: `?customer=${c.id}` }}>
                          Users<span className="visually-hidden"> of {c.name}</span>
                        </Link>
                        {c.disabled ? (
                          <ConfirmButton
                            label="Enable"
                            title={`Enable ${c.name}?`}
                            confirmLabel={`Enable ${c.name}`}
                            danger={false}
                            onConfirm={() => setDisabled.mutate({ id: c.id, disabled: false }, { onSuccess: () => setMessage(`${c.name} is enabled.`) })}
                          >
                            <p>Its users, API clients and ingest keys work again; held webhook deliveries are sent.</p>
                          </ConfirmButton>
                        ) : (
                          <ConfirmButton
                            label="Disable"
                            title={`Disable ${c.name}?`}
                            confirmLabel={`Disable ${c.name}`}
                            onConfirm={() => setDisabled.mutate({ id: c.id, disabled: true }, { onSuccess: () => setMessage(`${c.name} is disabled.`) })}
                          >
                            <p>Every credential of {c.name} stops at once: its users' passwords and tokens, its API clients and its devices' ingest keys. Its data is kept, and its webhooks wait.</p>
                          </ConfirmButton>
                        )}
                      </div>
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
