import { PageHeader } from '../../components/ui/ui';
import { useAccount } from '../../lib/session';

export function AccountPage() {
  const account = useAccount();
  return <PageHeader title="My Account" description={account.email} />;
}
