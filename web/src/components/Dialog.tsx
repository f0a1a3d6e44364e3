// A modal dialog on the native <dialog>: showModal() makes the rest of the page inert (focus
// stays inside) and Esc closes it. The title labels the dialog for screen readers.
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

export function Dialog({
  title,
  open,
  onClose,
  children,
  wide,
}: {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      class={`dialog ${wide ? 'dialog-wide' : ''}`}
      aria-labelledby={`d-${titleId}`}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <div class="dialog-head">
        <h2 id={`d-${titleId}`}>{title}</h2>
        <button type="button" class="icon-button" onClick={onClose} aria-label={`Close ${title}`}>
          Close
        </button>
      </div>
      {open && <div class="dialog-body">{children}</div>}
    </dialog>
  );
}
