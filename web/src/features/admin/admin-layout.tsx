import { useId } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigate, useOutletContext, useSearchParams, type To } from 'react-router';
import { RequireAdmin } from '../../app/layout';
import { ErrorMessage, Loading } from '../../components/ui/ui';
import { paths } from '../../config/paths';
import { useSession } from '../../lib/session';
import { useCustomers, type Customer, type Scope } from './api';
import './admin.css';

/** The Fluxx face's documentation page (admins only); the server renders it. */
export const FLUXX_DOC_URL = '/api/rest/v2/doc';

export interface AdminContext {
  scope: Scope;
  /** The customer the pages act for (an operator's choice); null for a customer admin (their own). */
  customer: Customer | null;
  isOperator: boolean;
  /** A link inside admin that keeps the operator's chosen customer. */
  to(pathname: string): To;
}

export function useAdmin(): AdminContext {
  return useOutletContext<AdminContext>();
}

/**
 * The frame of every admin page: admins and operators only (anyone else sees "Not found").
 * An operator picks the customer (kept in `?customer=`, so a link or reload keeps it); a
 * customer admin acts for their own customer and sees no picker.
 */
export function AdminLayout() {
  return (
    <RequireAdmin>
      <AdminFrame />
    </RequireAdmin>
  );
}

function AdminFrame() {
  const { isOperator } = useSession();
  const [params, setParams] = useSearchParams();
  const customers = useCustomers(isOperator);
  const pickerId = useId();
  const location = useLocation();
  const navigate = useNavigate();

  if (!isOperator) {
    const context: AdminContext = { scope: { customerId: null }, customer: null, isOperator: false, to: (pathname) => pathname };
    return (
      <div className="admin">
        <AdminNav context={context} />
        <Outlet context={context} />
      </div>
    );
  }

  if (customers.isPending) return <Loading />;
  if (customers.isError) return <ErrorMessage error={customers.error} />;
  const list = [...customers.data].sort((x, y) => x.name.localeCompare(y.name));
  const wanted = Number(params.get('customer'));
  const customer = list.find((c) => c.id === wanted) ?? list[0] ?? null;
  const search = customer ? `?customer=${customer.id}` : '';
  const context: AdminContext = {
    scope: { customerId: customer?.id ?? null },
    customer,
    isOperator: true,
    to: (pathname) => ({ pathname, search }),
  };
  return (
    <div className="admin">
      <div className="admin-bar">
        <AdminNav context={context} />
        {list.length > 0 ? (
          <div className="customer-picker">
            <label htmlFor={pickerId}>Customer</label>
            <select
              id={pickerId}
              value={customer?.id ?? ''}
              onChange={(e) => {
                // A controller belongs to one customer: choosing another goes to that customer's sites.
                if (location.pathname.startsWith(paths.adminController(''))) {
                  navigate({ pathname: paths.adminSites, search: `?customer=${e.target.value}` });
                  return;
                }
                const next = new URLSearchParams(params);
                next.set('customer', e.target.value);
                setParams(next);
              }}
            >
              {list.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                  {c.disabled ? ' (disabled)' : ''}
                </option>
              ))}
            </select>
          </div>
        ) : null}
      </div>
      {customer === null ? (
        <p className="alert alert-info">
          There are no customers yet. <Link to={paths.adminCustomers}>Create the first customer</Link>, then invite its admin and register its sites.
        </p>
      ) : null}
      <Outlet context={context} />
    </div>
  );
}

function AdminNav({ context }: { context: AdminContext }) {
  return (
    <nav aria-label="Admin" className="admin-nav">
      <NavLink to={context.to(paths.admin)} end>
        Overview
      </NavLink>
      <NavLink to={context.to(paths.adminUsers)}>Users</NavLink>
      <NavLink to={context.to(paths.adminSites)}>Sites</NavLink>
      <NavLink to={context.to(paths.adminClients)}>API clients</NavLink>
      {context.isOperator ? <NavLink to={context.to(paths.adminCustomers)}>Customers</NavLink> : null}
      <a href={FLUXX_DOC_URL} target="_blank" rel="noreferrer">
        Fluxx API documentation<span className="visually-hidden"> (opens in a new tab)</span>
      </a>
    </nav>
  );
}

/** An operator acting without a chosen customer (none exist yet): the page has nothing to act on. */
export function NeedsCustomer({ children }: { children: React.ReactNode }) {
  const { isOperator, customer } = useAdmin();
  if (isOperator && customer === null) return null;
  return <>{children}</>;
}
