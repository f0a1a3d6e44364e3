// Short confirmations and failures shown at the bottom of the screen ("Link copied",
// "Could not rename: …"), announced to screen readers by the Toasts component.
import { signal } from '@preact/signals';

export interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

export const toasts = signal<Toast[]>([]);
let next = 1;

export function toast(text: string, kind: Toast['kind'] = 'info', ms = 5000): void {
  const id = next++;
  toasts.value = [...toasts.value, { id, text, kind }];
  window.setTimeout(() => dismiss(id), ms);
}

export function dismiss(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}
