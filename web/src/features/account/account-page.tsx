import { ErrorMessage, Loading, PageHeader } from '../../components/ui/ui';
import { useAccountDetails, useCustomerName } from './api';
import { PasswordSection } from './components/password-section';
import { TokenSection } from './components/token-section';
import './account.css';

function Profile({ name, email, role, operator, customerId }: { name: string; email: string; role: string; operator: boolean; customerId: number | null }) {
  const customer = useCustomerName(customerId);
  return (
    <section className="card" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <dl className="definition-list">
        <dt>Name</dt>
        <dd>{name || '—'}</dd>
        <dt>E-mail</dt>
        <dd>{email}</dd>
        <dt>Role</dt>
        <dd>{operator ? 'Platform operator' : role === 'admin' ? 'Administrator' : 'User'}</dd>
        <dt>Customer</dt>
        <dd>{customerId === null ? 'None (operators see every customer)' : customer.data ?? (customer.isError ? `Customer ${customerId}` : '…')}</dd>
      </dl>
    </section>
  );
}

/** My Account: profile, password, and the Client API Authentication Token (seed 000). */
export function AccountPage() {
  const account = useAccountDetails();
  return (
    <>
      <PageHeader title="My Account" description="Your profile, your password and your API token." />
      {account.isPending ? <Loading /> : null}
      <ErrorMessage error={account.error} />
      {account.data ? (
        <div className="account-sections">
          <Profile name={account.data.name} email={account.data.email} role={account.data.role} operator={account.data.operator} customerId={account.data.customer_id} />
          <PasswordSection />
          <TokenSection
            email={account.data.email}
            hasToken={account.data.has_api_token}
            tokenCreatedAt={account.data.api_token_created_at}
            termsAcceptedAt={account.data.api_terms_accepted_at}
          />
        </div>
      ) : null}
    </>
  );
}
