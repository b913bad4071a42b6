import { PageHeader } from '../../components/ui/ui';
import { FlowCommandSection } from './components/flowcommand-section';
import { FluentSection } from './components/fluent-section';
import './developers.css';

/** The webhook configuration tool the FlowCommand document points at (/app/developers), with Fluent subscriptions beside it. */
export function DevelopersPage() {
  return (
    <>
      <PageHeader title="Developers" description="Webhook endpoints and subscriptions: where your events are pushed, how they are signed, and what was delivered." />
      <div className="developer-sections">
        <FlowCommandSection />
        <FluentSection />
      </div>
    </>
  );
}
