import { useState, type FormEvent } from 'react';
import { EmptyState, ErrorMessage, Field, Loading } from '../../../components/ui/ui';
import { useCreateHook, useHooks } from '../api';
import { formatLocalTime as formatTime } from '../../../lib/time';
import { EndpointCard, type ShownSecret } from './endpoint-card';
import { SigningHelp } from './signing-help';

/** FlowCommand webhook endpoints: a POST of `ping_received` for every ping of your flow sensors. */
export function FlowCommandSection() {
  const hooks = useHooks();
  const create = useCreateHook();
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState<ShownSecret | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(url.trim(), {
      onSuccess: (created) => {
        setUrl('');
        setSecret({ id: created.id, secret: created.secret, why: 'created' });
      },
    });
  };

  return (
    <section className="card" aria-labelledby="fc-heading">
      <h2 id="fc-heading">FlowCommand webhook endpoints</h2>
      <p>
        Each endpoint receives a POST for every ping (flow reading) of your flow sensors: <code>{'{"type": "ping_received", "api_version": "1", "data": {…}}'}</code>, with the
        endpoint’s secret in the <code>FC-Signature</code> header.
      </p>
      <SigningHelp kind="flowcommand" />
      <form onSubmit={submit} aria-label="Add a webhook endpoint">
        <Field label="Endpoint URL" hint="An http(s) URL that accepts POST requests; https is strongly advised.">
          {(props) => <input {...props} type="url" inputMode="url" required placeholder="https://example.com/flowcommand-hook" value={url} onChange={(e) => setUrl(e.currentTarget.value)} />}
        </Field>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={create.isPending || url.trim() === ''}>
            Add endpoint
          </button>
        </div>
        <ErrorMessage error={create.error} />
      </form>
      {hooks.isPending ? <Loading /> : null}
      <ErrorMessage error={hooks.error} />
      {hooks.data && hooks.data.results.length === 0 ? (
        <EmptyState title="No webhook endpoints yet">
          <p>Add the URL of your receiver above; its signing secret is shown once, then send it a test event.</p>
        </EmptyState>
      ) : null}
      <div className="endpoint-list">
        {hooks.data?.results.map((hook) => (
          <EndpointCard
            key={hook.id}
            kind="flowcommand"
            id={hook.id}
            url={hook.url}
            enabled={hook.enabled}
            statusBadge={<span className={hook.enabled ? 'badge badge-ok' : 'badge badge-muted'}>{hook.enabled ? 'Enabled' : 'Disabled'}</span>}
            disabledReason={hook.disabled_reason}
            canSend={hook.enabled}
            shownSecret={secret?.id === hook.id ? secret : null}
            onSecret={setSecret}
            deleteLabel="Delete endpoint"
            details={
              <dl className="endpoint-facts">
                <dt>Id</dt>
                <dd>{hook.id}</dd>
                <dt>Events</dt>
                <dd>{hook.event_types.join(', ')}</dd>
                <dt>Added</dt>
                <dd>{formatTime(hook.created_at)}</dd>
                {hook.failing_since ? (
                  <>
                    <dt>Failing since</dt>
                    <dd>{formatTime(hook.failing_since)}</dd>
                  </>
                ) : null}
              </dl>
            }
          />
        ))}
      </div>
    </section>
  );
}
