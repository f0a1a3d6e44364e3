// A block of text that says what happened: info, success, warning or error. Errors are
// announced at once (role=alert), the others politely.
import type { ComponentChildren } from 'preact';

export function Notice({
  kind = 'info',
  title,
  children,
}: {
  kind?: 'info' | 'success' | 'warning' | 'error';
  title?: ComponentChildren;
  children?: ComponentChildren;
}) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {title && <p class="notice-title">{title}</p>}
      {children}
    </div>
  );
}
