import { useId, useState, type ReactNode } from 'react';
import { ErrorMessage, Notice, OneTimeSecret } from '../../../components/ui/ui';
import { useDeleteEndpoint, useRotateSecret, useSendTest, useSetEnabled, type Kind } from '../api';
import { Confirm } from './confirm';
import { DeliveryLog } from './delivery-log';

export interface ShownSecret {
  id: number;
  secret: string;
  why: 'created' | 'rotated';
}

/**
 * One webhook endpoint or subscription: its state, the actions both kinds share (test event,
 * rotate secret, enable/disable, delete with confirmation), a secret shown once, and its
 * delivery log. `extra` holds kind-specific details and actions (a subscription's renewal).
 */
export function EndpointCard({
  kind,
  id,
  url,
  enabled,
  statusBadge,
  disabledReason,
  details,
  extraActions,
  canSend,
  shownSecret,
  onSecret,
  deleteLabel,
}: {
  kind: Kind;
  id: number;
  url: string;
  enabled: boolean;
  statusBadge: ReactNode;
  disabledReason: string | null;
  details: ReactNode;
  extraActions?: ReactNode;
  canSend: boolean;
  shownSecret: ShownSecret | null;
  onSecret: (secret: ShownSecret) => void;
  deleteLabel: string;
}) {
  const headingId = useId();
  const sendTest = useSendTest(kind);
  const rotate = useRotateSecret(kind);
  const setEnabled = useSetEnabled(kind);
  const remove = useDeleteEndpoint(kind);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [confirmRotate, setConfirmRotate] = useState(false);
  const noun = kind === 'flowcommand' ? 'endpoint' : 'subscription';

  return (
    <article className="card endpoint-card" aria-labelledby={headingId}>
      <div className="endpoint-head">
        <h3 id={headingId} className="mono endpoint-url">
          {url}
        </h3>
        {statusBadge}
      </div>
      {disabledReason ? (
        <div role="alert" className="alert alert-error">
          Disabled by the server: {disabledReason}
        </div>
      ) : null}
      {details}
      {shownSecret ? (
        <OneTimeSecret
          label={shownSecret.why === 'created' ? `Signing secret of ${noun} ${id}` : `New signing secret of ${noun} ${id}`}
          value={shownSecret.secret}
          note={
            shownSecret.why === 'rotated'
              ? 'Shown only this once. Deliveries from now on are signed with it; the old secret no longer verifies.'
              : 'Shown only this once: store it with your receiver now. Rotate it if it is lost.'
          }
        />
      ) : null}
      <div className="endpoint-actions">
        <button type="button" className="primary" onClick={() => sendTest.mutate(id)} disabled={!canSend || sendTest.isPending} title={canSend ? undefined : `Enable the ${noun} first`}>
          Send test event
        </button>
        {extraActions}
        <button type="button" onClick={() => setEnabled.mutate({ id, enabled: !enabled })} disabled={setEnabled.isPending}>
          {enabled ? 'Disable' : 'Enable'}
        </button>
        <button type="button" onClick={() => setConfirmRotate(true)} disabled={rotate.isPending}>
          Rotate secret
        </button>
        <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
          {deleteLabel}
        </button>
      </div>
      {sendTest.isSuccess ? <Notice>Test event {sendTest.data.delivery_id} queued: it appears in the delivery log below.</Notice> : null}
      {confirmRotate ? (
        <Confirm
          label="Confirm rotating the secret"
          confirmText="Rotate the secret"
          busy={rotate.isPending}
          onCancel={() => setConfirmRotate(false)}
          onConfirm={() =>
            rotate.mutate(id, {
              onSuccess: (data) => {
                setConfirmRotate(false);
                onSecret({ id, secret: data.secret, why: 'rotated' });
              },
            })
          }
        >
          A new secret replaces the current one at once: your receiver must switch to it, or it will reject the next deliveries.
        </Confirm>
      ) : null}
      {confirmDelete ? (
        <Confirm
          label={`Confirm: ${deleteLabel.toLowerCase()}`}
          confirmText={`Yes, ${deleteLabel.toLowerCase()}`}
          busy={remove.isPending}
          onCancel={() => setConfirmDelete(false)}
          onConfirm={() => remove.mutate(id)}
        >
          This removes the {noun} and its delivery log; nothing more is sent to {url}. It cannot be undone.
        </Confirm>
      ) : null}
      <ErrorMessage error={sendTest.error ?? rotate.error ?? setEnabled.error ?? remove.error} />
      <h4>Delivery log</h4>
      <DeliveryLog kind={kind} endpointId={id} label={url} live={remove.isIdle || remove.isError} />
    </article>
  );
}
