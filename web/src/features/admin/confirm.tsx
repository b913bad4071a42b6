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
  className,
}: {
  label: string;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => unknown;
  danger?: boolean;
  disabled?: boolean;
  disabledReason?: string;
  className?: string;
}) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const reasonId = useId();
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
        aria-describedby={disabled && disabledReason ? reasonId : undefined}
        title={disabled ? disabledReason : undefined}
        onClick={() => setOpen(true)}
      >
        {label}
      </button>
      {disabled && disabledReason ? (
        <span id={reasonId} className="visually-hidden">
          {disabledReason}
        </span>
      ) : null}
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

/** A time as the reader's browser shows it, with the ISO time in a <time> element. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="muted">—</span>;
  return <time dateTime={iso}>{new Date(iso).toLocaleString()}</time>;
}
