import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * An inline confirmation (no window.confirm): announced as an alert dialog, its confirming
 * button focused when it opens, Escape or Cancel closes it.
 */
export function Confirm({ label, children, confirmText, onConfirm, onCancel, busy }: { label: string; children: ReactNode; confirmText: string; onConfirm: () => void; onCancel: () => void; busy?: boolean }) {
  const confirmRef = useRef<HTMLButtonElement>(null);
  const textId = useId();
  useEffect(() => confirmRef.current?.focus(), []);
  return (
    <div
      role="alertdialog"
      aria-label={label}
      aria-describedby={textId}
      className="alert alert-error confirm"
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
    >
      <p id={textId}>{children}</p>
      <button ref={confirmRef} type="button" className="danger" onClick={onConfirm} disabled={busy}>
        {confirmText}
      </button>{' '}
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
