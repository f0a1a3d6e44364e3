// The trash (`/trash`): what was deleted in each of the member's spaces, newest first, with
// Restore (back into its folder) and "Delete for ever" (after a confirmation).
import { useEffect, useState } from 'preact/hooks';
import { problemOf } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { formatBytes, formatDateTime } from '../../lib/format';
import { getItem, listSpaces, listTrash, purgeItem, restoreItem, type Item, type Space } from './api';
import { MemberPage } from './MemberHome';

interface SpaceTrash {
  space: Space;
  items: Item[];
  from: Map<number, string>; // parent folder id → where it was ("in a deleted folder" when gone)
}

async function originsOf(space: Space, items: Item[]): Promise<Map<number, string>> {
  const from = new Map<number, string>();
  for (const id of new Set(items.map((i) => i.parent_id).filter((p): p is number => p !== null))) {
    if (id === space.root_item_id) from.set(id, `“${space.name}”`);
    else from.set(id, await getItem(id).then((f) => `“${f.name}”`, () => 'a folder that is in the trash too'));
  }
  return from;
}

export function TrashPage() {
  const [trash, setTrash] = useState<SpaceTrash[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<{ text: string; kind: 'success' | 'error'; folder?: number } | null>(null);
  const [purging, setPurging] = useState<Item | null>(null);
  const [busy, setBusy] = useState(false);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let live = true;
    (async () => {
      const spaces = await listSpaces();
      const all = await Promise.all(
        spaces.map(async (space) => {
          const items = await listTrash(space.id).catch(() => [] as Item[]);
          return { space, items, from: await originsOf(space, items) };
        }),
      );
      if (live) setTrash(all);
    })().catch((e) => live && setError(problemOf(e).message));
    return () => {
      live = false;
    };
  }, [version]);

  const many = (trash?.length ?? 0) > 1;
  const empty = trash !== null && trash.every((t) => t.items.length === 0);
  return (
    <MemberPage title="Trash" section="files">
      <p>
        <a href="/">← Back to My files</a>
      </p>
      <h1>Trash</h1>
      <p class="muted">Deleted files and folders stay here until you delete them for ever. Restoring puts them back in their folder.</p>
      {note && (
        <Notice kind={note.kind}>
          <p>
            {note.text}{' '}
            {note.folder !== undefined && <a href={`/files/${note.folder}`}>Open its folder</a>}
          </p>
        </Notice>
      )}
      {error && (
        <Notice kind="error" title="The trash could not be loaded">
          <p>{error}</p>
        </Notice>
      )}
      {!error && trash === null && <Loading what="Loading the trash" />}
      {empty && (
        <div class="empty">
          <p>
            <strong>The trash is empty.</strong>
          </p>
          <p>
            <a href="/">Back to My files</a>
          </p>
        </div>
      )}
      {trash?.map(
        ({ space, items, from }) =>
          items.length > 0 && (
            <section key={space.id} aria-label={`Trash of ${space.name}`}>
              {many && <h2>{space.name}</h2>}
              <ul class="list trash-list">
                {items.map((i) => (
                  <li key={i.id} class="spread" data-item={i.id}>
                    <div>
                      <span class={`kind-icon kind-${i.kind}`} aria-hidden="true" />
                      <strong>{i.name}</strong>
                      <div class="muted small">
                        Deleted {formatDateTime(i.trashed_at ?? null)}
                        {i.parent_id !== null && from.get(i.parent_id) ? ` from ${from.get(i.parent_id)}` : ''}
                        {i.kind === 'file' ? ` · ${formatBytes(i.size)}` : ' · folder with everything in it'}
                      </div>
                    </div>
                    <div class="row">
                      <button
                        type="button"
                        disabled={busy}
                        onClick={async () => {
                          setBusy(true);
                          try {
                            const back = await restoreItem(i.id);
                            setNote({ text: `${back.name} is back in its folder.`, kind: 'success', folder: back.parent_id ?? undefined });
                            setVersion((v) => v + 1);
                          } catch (e) {
                            setNote({ text: problemOf(e).message, kind: 'error' });
                          } finally {
                            setBusy(false);
                          }
                        }}
                      >
                        Restore<span class="visually-hidden"> {i.name}</span>
                      </button>
                      <button type="button" class="danger" disabled={busy} onClick={() => setPurging(i)}>
                        Delete for ever<span class="visually-hidden"> {i.name}</span>
                      </button>
                    </div>
                  </li>
                ))}
              </ul>
            </section>
          ),
      )}
      {purging && (
        <Dialog title={`Delete ${purging.name} for ever?`} open onClose={() => setPurging(null)}>
          <p>
            {purging.kind === 'folder' ? 'The folder, everything in it and all their versions' : 'The file and all its versions'} will be
            gone for good. This cannot be undone.
          </p>
          <div class="row">
            <button
              type="button"
              class="primary danger"
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                try {
                  await purgeItem(purging.id);
                  setNote({ text: `${purging.name} was deleted for ever.`, kind: 'success' });
                  setPurging(null);
                  setVersion((v) => v + 1);
                } catch (e) {
                  setNote({ text: problemOf(e).message, kind: 'error' });
                  setPurging(null);
                } finally {
                  setBusy(false);
                }
              }}
            >
              Delete for ever
            </button>
            <button type="button" onClick={() => setPurging(null)}>
              Keep it
            </button>
          </div>
        </Dialog>
      )}
    </MemberPage>
  );
}
