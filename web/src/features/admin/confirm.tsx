import { formatDateTime, formatLocalTime } from '../../lib/time';
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

/**
 * A button whose action is confirmed in a modal dialog (the native <dialog>: focus moves into
 * it, Escape cancels, the page behind is inert). `confirmLabel` names the confirming button.
 */
export function ConfirmButton({
  label,
  title,
  children,
  confirmLabel,
  onConfirm,
  danger = true,
  disabled,
  disabledReason,
  describedBy,
  className,
}: {
  label: string;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => unknown;
  danger?: boolean;
  disabled?: boolean;
  /** Shown as the button's tooltip while it is disabled. */
  disabledReason?: string;
  /** The id of visible text that says why the button is disabled. */
  describedBy?: string;
  className?: string;
}) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <>
      <button
        type="button"
        className={className ?? (danger ? 'danger' : undefined)}
        disabled={disabled}
        aria-describedby={describedBy}
        title={disabled ? disabledReason : undefined}
        onClick={() => setOpen(true)}
      >
        {label}
      </button>
      <dialog ref={ref} className="confirm-dialog" aria-labelledby={titleId} onClose={() => setOpen(false)}>
        <h2 id={titleId}>{title}</h2>
        <div>{children}</div>
        <div className="form-actions">
          <button
            type="button"
            className={danger ? 'danger' : 'primary'}
            onClick={() => {
              setOpen(false);
              void onConfirm();
            }}
          >
            {confirmLabel}
          </button>
          <button type="button" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </div>
      </dialog>
    </>
  );
}

/**
 * A time in a <time> element: in the facility's zone with its abbreviation when it belongs to
 * one (`timeZone`), otherwise in the reader's zone with its name (lib/time.ts, one format).
 */
export function Time({ iso, timeZone }: { iso: string | null | undefined; timeZone?: string | undefined }) {
  if (!iso) return <span className="muted">—</span>;
  return <time dateTime={iso}>{timeZone ? formatDateTime(iso, timeZone) : formatLocalTime(iso)}</time>;
}
