import { useState, type FormEvent } from 'react';
import { EmptyState, ErrorMessage, Field, Loading, Notice } from '../../../components/ui/ui';
import { useCreateSubscription, useRenewSubscription, useSubscriptions } from '../api';
import { formatLocalTime as formatTime } from '../../../lib/time';
import { EndpointCard, type ShownSecret } from './endpoint-card';
import { SigningHelp } from './signing-help';

const EVENT_TYPES = [
  { value: 'data-change', label: 'Data changes (every reading)' },
  { value: 'alarm', label: 'Alarms (raised and cleared)' },
] as const;

const STATUS_BADGE: Record<string, string> = { active: 'badge badge-ok', expired: 'badge badge-warn', disabled: 'badge badge-muted' };

function RenewButton({ id }: { id: number }) {
  const renew = useRenewSubscription();
  return (
    <>
      <button type="button" onClick={() => renew.mutate(id)} disabled={renew.isPending}>
        Renew
      </button>
      {renew.isSuccess ? <Notice>Renewed: it now expires {formatTime(renew.data['expires-at'])}.</Notice> : null}
      <ErrorMessage error={renew.error} />
    </>
  );
}

/** Fluent subscriptions: data-change and alarm events pushed for 10 days from creation or renewal. */
export function FluentSection() {
  const subscriptions = useSubscriptions();
  const create = useCreateSubscription();
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState<string[]>(['data-change', 'alarm']);
  const [serials, setSerials] = useState('');
  const [secret, setSecret] = useState<ShownSecret | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const serialNumbers = serials
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    create.mutate(
      { 'callback-url': url.trim(), 'event-types': types, ...(serialNumbers.length > 0 ? { 'serial-numbers': serialNumbers } : {}) },
      {
        onSuccess: (created) => {
          setUrl('');
          setSerials('');
          setSecret({ id: created['subscription-id'], secret: created.secret, why: 'created' });
        },
      },
    );
  };

  return (
    <section className="card" aria-labelledby="fluent-heading">
      <h2 id="fluent-heading">Fluent subscriptions</h2>
      <p>
        A subscription pushes data-change and alarm events of your controllers to a callback URL. It expires 10 days after it is created or last renewed; renew it before
        then.
      </p>
      <SigningHelp kind="fluent" />
      <form onSubmit={submit} aria-label="Create a subscription">
        <Field label="Callback URL" hint="An http(s) URL that accepts POST requests.">
          {(props) => <input {...props} type="url" inputMode="url" required placeholder="https://example.com/fluent-events" value={url} onChange={(e) => setUrl(e.currentTarget.value)} />}
        </Field>
        <fieldset className="event-types">
          <legend>Event types</legend>
          {EVENT_TYPES.map((t) => (
            <label key={t.value} className="checkbox">
              <input
                type="checkbox"
                checked={types.includes(t.value)}
                onChange={(e) => {
                  const checked = e.currentTarget.checked;
                  setTypes((now) => (checked ? [...now, t.value] : now.filter((v) => v !== t.value)));
                }}
              />
              {t.label}
            </label>
          ))}
        </fieldset>
        <Field label="Controller serial numbers (optional)" hint="Separated by commas or spaces; leave empty for all your controllers.">
          {(props) => <input {...props} type="text" value={serials} onChange={(e) => setSerials(e.currentTarget.value)} />}
        </Field>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={create.isPending || url.trim() === '' || types.length === 0}>
            Create subscription
          </button>
        </div>
        <ErrorMessage error={create.error} />
      </form>
      {subscriptions.isPending ? <Loading /> : null}
      <ErrorMessage error={subscriptions.error} />
      {subscriptions.data && subscriptions.data.length === 0 ? (
        <EmptyState title="No subscriptions yet">
          <p>Create one above with your callback URL; its signing secret is shown once.</p>
        </EmptyState>
      ) : null}
      <div className="endpoint-list">
        {subscriptions.data?.map((s) => {
          const id = s['subscription-id'];
          const expired = s.status === 'expired';
          return (
            <EndpointCard
              key={id}
              kind="fluent"
              id={id}
              url={s['callback-url']}
              enabled={s.status !== 'disabled'}
              statusBadge={<span className={STATUS_BADGE[s.status] ?? 'badge badge-muted'}>{s.status[0]!.toUpperCase() + s.status.slice(1)}</span>}
              disabledReason={s['disabled-reason'] ?? null}
              canSend={s.status === 'active'}
              shownSecret={secret?.id === id ? secret : null}
              onSecret={setSecret}
              deleteLabel="Cancel subscription"
              extraActions={expired ? null : <RenewButton id={id} />}
              details={
                <dl className="endpoint-facts">
                  <dt>Subscription id</dt>
                  <dd>{id}</dd>
                  <dt>Events</dt>
                  <dd>{s['event-types'].join(', ')}</dd>
                  <dt>Controllers</dt>
                  <dd>{s['serial-numbers'].length > 0 ? s['serial-numbers'].join(', ') : s['process-ids'].length > 0 ? `Processes ${s['process-ids'].join(', ')}` : 'All yours'}</dd>
                  <dt>{expired ? 'Expired' : 'Expires'}</dt>
                  <dd>{formatTime(s['expires-at'])}</dd>
                </dl>
              }
            />
          );
        })}
      </div>
    </section>
  );
}
