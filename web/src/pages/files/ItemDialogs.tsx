// The dialogs of a row's actions: open (the viewer), new folder, rename, move (a folder picker),
// versions (download, restore), delete (to the trash). Each says what happened in words and shows
// the server's refusal where it belongs (on the field when it names one).
import { useEffect, useRef, useState } from 'preact/hooks';
import { problemOf, type Problem } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { canView, Viewer } from '../../components/viewer/Viewer';
import { formatBytes, formatDateTime } from '../../lib/format';
import { toast } from '../../state/toasts';
import {
  contentUrl,
  createFolder,
  getItem,
  listChildren,
  listVersions,
  restoreVersion,
  trashItem,
  updateItem,
  versionUrl,
  viewUrl,
  type FileVersion,
  type Item,
} from './api';

// Files are shown through `…/view` (inline, sandboxed, allow-listed types). A server without that
// route yet answers 404 "no such endpoint"; then the member's own download route stands in.
function useViewUrl(item: Item, viewable: boolean): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!viewable) return;
    let live = true;
    fetch(viewUrl(item.id), { method: 'HEAD', credentials: 'same-origin' })
      .then((r) => live && setUrl(r.status === 404 ? contentUrl(item.id) : viewUrl(item.id)))
      .catch(() => live && setUrl(viewUrl(item.id)));
    return () => {
      live = false;
    };
  }, [item.id, viewable]);
  return url;
}

export function ViewDialog({ item, onClose }: { item: Item; onClose: () => void }) {
  const viewable = canView(item.name);
  const url = useViewUrl(item, viewable);
  return (
    <Dialog title={item.name} open onClose={onClose} wide>
      {viewable ? (
        url ? <Viewer url={url} name={item.name} size={item.size} /> : <Loading what="Opening the file" />
      ) : (
        <Notice title="This kind of file can't be shown in the browser">
          <p>Download it to open it with an app on your device.</p>
        </Notice>
      )}
      <p class="muted small">
        {formatBytes(item.size)} · modified {formatDateTime(item.modified_at)} by {item.modified_by.display_name}
      </p>
      <div class="row">
        <a class="button primary" href={contentUrl(item.id)} download={item.name}>
          Download
        </a>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

export function NewFolderDialog({ parent, onClose, onCreated }: { parent: Item; onClose: () => void; onCreated: (f: Item) => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Dialog title="New folder" open onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const f = await createFolder(parent.id, name.trim());
            onCreated(f);
          } catch (err) {
            setError(problemOf(err).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field
          label="Folder name"
          value={name}
          required
          autoFocus
          maxLength={255}
          error={error}
          hint={`It will be made in ${parent.parent_id === null ? 'the top folder' : `“${parent.name}”`}.`}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create'}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function RenameDialog({ item, onClose, onRenamed }: { item: Item; onClose: () => void; onRenamed: (i: Item) => void }) {
  const [name, setName] = useState(item.name);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Select the name without its extension, as file managers do.
    const el = input.current?.querySelector('input');
    if (!el) return;
    el.focus();
    const dot = item.kind === 'file' ? item.name.lastIndexOf('.') : -1;
    el.setSelectionRange(0, dot > 0 ? dot : item.name.length);
  }, []);
  return (
    <Dialog title={`Rename ${item.name}`} open onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (name === item.name) return onClose();
          setBusy(true);
          setError(null);
          try {
            onRenamed(await updateItem(item.id, { name }));
          } catch (err) {
            setError(problemOf(err).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <div ref={input}>
          <Field label="Name" value={name} required maxLength={255} error={error} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Renaming…' : 'Rename'}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

// Browses the folders of the item's space, from its root; "Move here" moves into the folder shown.
export function MoveDialog({
  items,
  rootId,
  rootName,
  startId,
  onClose,
  onMoved,
}: {
  items: Item[];
  rootId: number;
  rootName: string;
  startId: number;
  onClose: () => void;
  onMoved: (to: Item, moved: Item[]) => void;
}) {
  const [at, setAt] = useState<number>(startId);
  const [trail, setTrail] = useState<Item[]>([]);
  const [folders, setFolders] = useState<Item[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const moving = new Set(items.map((i) => i.id));
  const title = items.length === 1 ? `Move ${items[0]!.name}` : `Move ${items.length} items`;

  useEffect(() => {
    let live = true;
    setFolders(null);
    (async () => {
      const here = await getItem(at);
      const chain = [here];
      let p = here.parent_id;
      while (p !== null && chain[0]!.id !== rootId) {
        const up = await getItem(p);
        chain.unshift(up);
        p = up.parent_id;
      }
      const kids = (await listChildren(at)).filter((c) => c.kind === 'folder');
      if (live) {
        setTrail(chain);
        setFolders(kids);
      }
    })().catch((e) => live && setError(problemOf(e).message));
    return () => {
      live = false;
    };
  }, [at]);

  const here = trail[trail.length - 1];
  const alreadyHere = items.every((i) => i.parent_id === at);
  const intoItself = trail.some((t) => moving.has(t.id));
  return (
    <Dialog title={title} open onClose={onClose}>
      <p>Choose the folder to move {items.length === 1 ? 'it' : 'them'} into, then “Move here”.</p>
      <nav aria-label="Folder to move into" class="breadcrumbs">
        <ol>
          {trail.map((t, i) => (
            <li key={t.id}>
              {i < trail.length - 1 ? (
                <button type="button" class="link-button" onClick={() => setAt(t.id)}>
                  {t.id === rootId ? rootName : t.name}
                </button>
              ) : (
                <span aria-current="location">{t.id === rootId ? rootName : t.name}</span>
              )}
            </li>
          ))}
        </ol>
      </nav>
      {folders === null ? (
        <Loading what="Loading folders" />
      ) : folders.length === 0 ? (
        <p class="muted">No folders in here.</p>
      ) : (
        <ul class="list picker">
          {folders.map((f) => (
            <li key={f.id}>
              <button type="button" class="link-button" disabled={moving.has(f.id)} onClick={() => setAt(f.id)}>
                <span class="kind-icon kind-folder" aria-hidden="true" />
                {f.name}
              </button>
              {moving.has(f.id) && <span class="muted small"> (being moved)</span>}
            </li>
          ))}
        </ul>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      <div class="row">
        <button
          type="button"
          class="primary"
          disabled={busy || !here || alreadyHere || intoItself}
          onClick={async () => {
            if (!here) return;
            setBusy(true);
            setError(null);
            const moved: Item[] = [];
            try {
              for (const i of items) moved.push(await updateItem(i.id, { parent_id: here.id }));
              onMoved(here, moved);
            } catch (err) {
              const p: Problem = problemOf(err);
              setError(moved.length ? `${moved.length} moved; then: ${p.message}` : p.message);
            } finally {
              setBusy(false);
            }
          }}
        >
          {busy ? 'Moving…' : 'Move here'}
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
      {alreadyHere && <p class="hint">{items.length === 1 ? 'It is' : 'They are'} already in this folder.</p>}
      {intoItself && <p class="hint">A folder cannot move into itself.</p>}
    </Dialog>
  );
}

export function VersionsDialog({ item, canEdit, onClose, onRestored }: { item: Item; canEdit: boolean; onClose: () => void; onRestored: (i: Item) => void }) {
  const [versions, setVersions] = useState<FileVersion[] | null>(null);
  const [current, setCurrent] = useState(item.version);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const load = () =>
    listVersions(item.id)
      .then(setVersions)
      .catch((e) => setError(problemOf(e).message));
  useEffect(() => {
    void load();
  }, []);
  return (
    <Dialog title={`Versions of ${item.name}`} open onClose={onClose} wide>
      <p class="muted">Every upload of the same name makes a new version; the newest ones are kept.</p>
      {done && <Notice kind="success">{done}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      {versions === null ? (
        !error && <Loading what="Loading versions" />
      ) : (
        <ul class="list versions">
          {versions.map((v) => (
            <li key={v.version} class="spread">
              <div>
                <strong>Version {v.version}</strong>
                {v.version === current && (
                  <>
                    {' '}
                    <span class="badge badge-ok">current</span>
                  </>
                )}
                <div class="muted small">
                  {formatDateTime(v.created_at)} · {v.created_by.display_name} · {formatBytes(v.size)}
                </div>
              </div>
              <div class="row">
                <a class="button" href={versionUrl(item.id, v.version)} download={item.name}>
                  Download<span class="visually-hidden"> version {v.version}</span>
                </a>
                {canEdit && v.version !== current && (
                  <button
                    type="button"
                    disabled={busy !== null}
                    onClick={async () => {
                      setBusy(v.version);
                      setError(null);
                      setDone(null);
                      try {
                        const restored = await restoreVersion(item.id, v.version);
                        setCurrent(restored.version);
                        setDone(`Version ${v.version} is the current one again (saved as version ${restored.version}).`);
                        toast(`Version ${v.version} restored`);
                        onRestored(restored);
                        await load();
                      } catch (e) {
                        setError(problemOf(e).message);
                      } finally {
                        setBusy(null);
                      }
                    }}
                  >
                    {busy === v.version ? 'Restoring…' : 'Restore'}
                    <span class="visually-hidden"> version {v.version}</span>
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      <button type="button" onClick={onClose}>
        Close
      </button>
    </Dialog>
  );
}

export function DeleteDialog({ items, spaceName, onClose, onDeleted }: { items: Item[]; spaceName: string; onClose: () => void; onDeleted: (gone: Item[]) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const one = items.length === 1 ? items[0]! : null;
  const title = one ? `Delete ${one.name}?` : `Delete ${items.length} items?`;
  return (
    <Dialog title={title} open onClose={onClose}>
      <p>
        {one ? (one.kind === 'folder' ? 'The folder and everything in it move' : 'It moves') : 'They move'} to the trash of “{spaceName}”.
        You can restore {one ? 'it' : 'them'} from there until the trash is emptied. Links to {one ? 'it' : 'them'} stop working while{' '}
        {one ? 'it is' : 'they are'} in the trash.
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      <div class="row">
        <button
          type="button"
          class="primary danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError(null);
            const gone: Item[] = [];
            try {
              for (const i of items) {
                await trashItem(i.id);
                gone.push(i);
              }
              onDeleted(gone);
            } catch (e) {
              setError(problemOf(e).message);
              if (gone.length) onDeleted(gone);
            } finally {
              setBusy(false);
            }
          }}
        >
          {busy ? 'Moving to the trash…' : 'Move to trash'}
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
