import { Link } from 'react-router';
import { EmptyState, ErrorMessage, Loading, PageHeader } from '../../components/ui/ui';
import { paths } from '../../config/paths';
import { FLUXX_DOC_URL, NeedsCustomer, useAdmin } from './admin-layout';
import { useControllers, useFacilities, useUsers } from './api';
import { RegisterAlternatives } from './sites-page';

/** Where an admin starts: what the customer has, what to do next, and the way to each page. */
export function AdminOverviewPage() {
  const { scope, customer, to, isOperator } = useAdmin();
  const facilities = useFacilities(scope);
  const controllers = useControllers();
  const users = useUsers(scope);
  const facilityIds = new Set((facilities.data ?? []).map((f) => f.id));
  const mine = (controllers.data ?? []).filter((c) => facilityIds.has(c.facility_id));
  const pending = facilities.isPending || controllers.isPending || users.isPending;
  const empty = !pending && facilities.data !== undefined && mine.length === 0;
  return (
    <>
      <PageHeader title="Admin" description={customer ? `Managing ${customer.name}.` : 'Your customer’s people, sites and API access.'} />
      <NeedsCustomer>
        {pending ? <Loading /> : null}
        <ErrorMessage error={facilities.error ?? controllers.error ?? users.error} />
        {empty ? (
          <EmptyState title="No controllers yet">
            <p>
              {facilities.data!.length === 0 ? 'Add a facility, then register' : 'Register'} the first controller or flow sensor on the <Link to={to(paths.adminSites)}>Sites page</Link>: its serial
              number, model and channels. You get the ingest key the device sends its readings with.
            </p>
            <RegisterAlternatives />
          </EmptyState>
        ) : null}
        {!pending ? (
          <div className="grid admin-cards">
            <section className="card" aria-labelledby="ov-users">
              <h2 id="ov-users">Users</h2>
              <p>{users.data ? `${users.data.length} ${users.data.length === 1 ? 'person' : 'people'}` : '—'}</p>
              <Link to={to(paths.adminUsers)}>Invite and manage users</Link>
            </section>
            <section className="card" aria-labelledby="ov-sites">
              <h2 id="ov-sites">Sites</h2>
              <p>
                {facilities.data?.length ?? 0} facilit{facilities.data?.length === 1 ? 'y' : 'ies'}, {mine.length} controller{mine.length === 1 ? '' : 's'}
              </p>
              <Link to={to(paths.adminSites)}>Facilities, controllers and ingest keys</Link>
            </section>
            <section className="card" aria-labelledby="ov-api">
              <h2 id="ov-api">API access</h2>
              <p>{isOperator ? 'API clients are made by the customer’s admins.' : 'Client credentials for /oauth/token.'}</p>
              <p>
                <Link to={to(paths.adminClients)}>API clients</Link>
              </p>
              <a href={FLUXX_DOC_URL} target="_blank" rel="noreferrer">
                Fluxx API documentation<span className="visually-hidden"> (opens in a new tab)</span>
              </a>
            </section>
          </div>
        ) : null}
      </NeedsCustomer>
    </>
  );
}
