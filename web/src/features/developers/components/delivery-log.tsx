import { ErrorMessage, Loading } from '../../../components/ui/ui';
import { useDeliveries, useResend, type DeliveryRow, type Kind } from '../api';
import { formatLocalTime as formatTime } from '../../../lib/time';

const STATUS_BADGE: Record<DeliveryRow['status'], string> = { delivered: 'badge badge-ok', pending: 'badge badge-warn', failed: 'badge badge-danger' };

/** An endpoint's deliveries, newest first, each with a re-send (same webhook-id). */
export function DeliveryLog({ kind, endpointId, label, live = true }: { kind: Kind; endpointId: number; label: string; live?: boolean }) {
  const log = useDeliveries(kind, endpointId, live);
  const resend = useResend(kind, endpointId);
  if (log.isPending) return <Loading label="Loading deliveries…" />;
  if (log.isError) return <ErrorMessage error={log.error} />;
  if (log.data.length === 0) return <p className="muted">No deliveries yet. Send a test event, or wait for the next event.</p>;
  return (
    <>
      {/* Focusable, so that a keyboard can scroll a log wider than a phone. */}
      <div className="table-wrap" tabIndex={0} role="region" aria-label={`Delivery log of ${label}`}>
        <table>
          <thead>
            <tr>
              <th scope="col">Delivery</th>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Attempts
              </th>
              <th scope="col" className="num">
                Response
              </th>
              <th scope="col">Created</th>
              <th scope="col">Next retry</th>
              <th scope="col">Last error</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {log.data.map((d) => (
              <tr key={d.id}>
                <td className="mono">{d.id}</td>
                <td className="mono">{d.eventType}</td>
                <td>
                  <span className={STATUS_BADGE[d.status]}>{d.status}</span>
                </td>
                <td className="num">{d.attempts}</td>
                <td className="num">{d.responseCode ?? '—'}</td>
                <td>{formatTime(d.createdAt)}</td>
                <td>{d.status === 'pending' ? formatTime(d.nextAttemptAt) : '—'}</td>
                <td className="delivery-error">{d.lastError ?? '—'}</td>
                <td>
                  <button type="button" onClick={() => resend.mutate(d.id)} disabled={resend.isPending} aria-label={`Re-send delivery ${d.id}`}>
                    Re-send
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ErrorMessage error={resend.error} />
      {resend.isSuccess ? (
        <p role="status" className="hint">
          Delivery queued again with the same webhook-id.
        </p>
      ) : null}
    </>
  );
}
