// A row's actions: a button "Actions for <name>" that opens a short list of buttons (disclosure
// pattern, so Tab, arrows, Enter and Space all work). Focus moves to the first action when it
// opens; Esc closes it and puts focus back on the button; leaving it closes it.
import { useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { contentUrl, type Item } from './api';

export type ItemAction = 'open' | 'share' | 'access' | 'rename' | 'move' | 'versions' | 'delete';

const kLabels: Record<ItemAction, string> = {
  open: 'Open',
  share: 'Share',
  access: 'Manage access',
  rename: 'Rename',
  move: 'Move',
  versions: 'Versions',
  delete: 'Delete',
};

export function ItemMenu({
  item,
  canEdit,
  canShare,
  onAction,
}: {
  item: Item;
  canEdit: boolean;
  canShare: boolean;
  onAction: (action: ItemAction, item: Item) => void;
}) {
  const [open, setOpen] = useState(false);
  const wrap = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menuId = `menu-${useId()}`;
  const isFile = item.kind === 'file';

  // In the render's own task: a deferred effect could run after the user's next Tab and pull the
  // focus back to the first action.
  useLayoutEffect(() => {
    if (open) wrap.current?.querySelector<HTMLElement>('.menu a, .menu button')?.focus();
  }, [open]);
  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => {
      if (!wrap.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open]);

  const choose = (action: ItemAction) => {
    setOpen(false);
    onAction(action, item);
  };
  const actions: ItemAction[] = ['open'];
  if (canShare) actions.push('share', 'access');
  if (canEdit) actions.push('rename', 'move');
  if (isFile) actions.push('versions');
  if (canEdit) actions.push('delete');

  return (
    <div
      class="item-menu"
      ref={wrap}
      onKeyDown={(e) => {
        if (!open) return;
        const entries = Array.from(wrap.current?.querySelectorAll<HTMLElement>('.menu a, .menu button') ?? []);
        const at = entries.indexOf(document.activeElement as HTMLElement);
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          setOpen(false);
          button.current?.focus();
        } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          const next = e.key === 'ArrowDown' ? (at + 1) % entries.length : (at - 1 + entries.length) % entries.length;
          entries[next]?.focus();
        } else if (e.key === 'Home' || e.key === 'End') {
          e.preventDefault();
          entries[e.key === 'Home' ? 0 : entries.length - 1]?.focus();
        }
      }}
      onFocusOut={(e) => {
        const to = e.relatedTarget as Node | null;
        if (open && to && !wrap.current?.contains(to)) setOpen(false);
      }}
    >
      <button
        ref={button}
        type="button"
        class="menu-button"
        aria-expanded={open}
        aria-controls={menuId}
        data-actions-for={item.id}
        onClick={() => setOpen(!open)}
      >
        Actions<span class="visually-hidden"> for {item.name}</span>
        <span class="caret" aria-hidden="true" />
      </button>
      {open && (
        <ul class="menu" id={menuId} aria-label={`Actions for ${item.name}`}>
          {actions.slice(0, 1).map((a) => (
            <li key={a}>
              <button type="button" onClick={() => choose(a)}>
                {kLabels[a]}
              </button>
            </li>
          ))}
          {isFile && (
            <li>
              <a href={contentUrl(item.id)} download={item.name} onClick={() => setOpen(false)}>
                Download
              </a>
            </li>
          )}
          {actions.slice(1).map((a) => (
            <li key={a}>
              <button type="button" class={a === 'delete' ? 'danger-text' : undefined} onClick={() => choose(a)}>
                {kLabels[a]}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
