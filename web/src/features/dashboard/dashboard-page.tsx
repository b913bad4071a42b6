import { PageHeader } from '../../components/ui/ui';

export function DashboardPage() {
  return <PageHeader title="Dashboard" />;
}
