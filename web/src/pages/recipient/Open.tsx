// The item, once the link opens: the file in the viewer with "Download" (unless the owner allows
// viewing only), or the folder to browse, open files in, and — with an edit link — upload into,
// add folders to, rename and delete in. Any call answered 401/410 (revoked, reverification due)
// hands back to the page, which reloads the link's state.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { problemOf, type Problem } from '../../api/client';
import { Breadcrumbs, type Crumb } from '../../components/Breadcrumbs';
import { Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { UploadQueue } from '../../components/upload/UploadQueue';
import { enqueue, filesOfDrop, onUploaded, uploads, type Target } from '../../components/upload/uploads';
import { canView, Viewer } from '../../components/viewer/Viewer';
import { formatBytes } from '../../lib/format';
import { toast } from '../../state/toasts';
import { serverNow, type LinkApi, type SharedItem, type Summary } from './api';
import { formatDay, openUntil, sentence } from './machine';
import { Message } from './States';

interface Props {
  api: LinkApi;
  summary: Summary;
  onLost: () => void;
}

// 401 (needs something again), 404 on the link, 410 (gone): the page's state changed.
function isLost(p: Problem) {
  return p.status === 401 || p.status === 410;
}

export function OpenItem({ api, summary, onLost }: Props) {
  const item = summary.item as SharedItem;
  const until = openUntil(summary);
  const sharer = summary.shared_by.display_name;
  return (
    <article class="rcp-item" aria-labelledby="state-h">
      <h1 id="state-h" tabIndex={-1} class="rcp-item-name">
        {item.name}
      </h1>
      <p class="rcp-item-meta">
        {item.kind === 'folder' ? 'Folder' : formatBytes(item.size)} · Shared by {sharer}
        {summary.role === 'edit' ? ' · You can change it' : ''}
      </p>
      {until && <p class="rcp-item-until">You can open this until {formatDay(until, serverNow())}.</p>}
      <Message summary={summary} />
      {item.kind === 'folder' ? (
        <Folder api={api} summary={summary} root={item} onLost={onLost} />
      ) : (
        <FileView api={api} file={item} rootId={item.id} blocked={summary.block_download} onLost={onLost} />
      )}
    </article>
  );
}

// `download` carries the name: an empty one would read as false to the router's link handling,
// which would then take the click for a page of the app.
function DownloadLink({ api, url, name, onLost }: { api: LinkApi; url: string; name: string; onLost: () => void }) {
  return (
    <a
      class="button primary wide"
      href={url}
      download={name}
      onClick={async (e) => {
        // Ask first, so a link revoked meanwhile shows its page rather than a downloaded error.
        e.preventDefault();
        const problem = await api.canDownload(url).catch((err: unknown) => problemOf(err));
        if (!problem) {
          const a = document.createElement('a');
          a.href = url;
          a.download = name;
          document.body.appendChild(a);
          a.click();
          a.remove();
        } else if (isLost(problem) || problem.status === 403 || problem.status === 404) {
          onLost();
        } else {
          toast(sentence(problem.message), 'error');
        }
      }}
    >
      Download
    </a>
  );
}

function FileView({
  api,
  file,
  rootId,
  blocked,
  onLost,
}: {
  api: LinkApi;
  file: SharedItem;
  rootId: number;
  blocked: boolean;
  onLost: () => void;
}) {
  const viewable = canView(file.name);
  return (
    <div class="rcp-file">
      {viewable ? (
        <Viewer key={file.id} url={api.viewUrl(file.id, rootId)} name={file.name} size={file.size} />
      ) : (
        <p class="viewer-note">
          {blocked
            ? "This kind of file can't be shown in the browser."
            : "This kind of file can't be shown in the browser. Download it to open it."}
        </p>
      )}
      {blocked ? (
        <Notice kind="info">The owner allows viewing only.</Notice>
      ) : (
        <div class="rcp-actions">
          <DownloadLink api={api} url={api.contentUrl(file.id, rootId)} name={file.name} onLost={onLost} />
        </div>
      )}
    </div>
  );
}

// "Changed 29 Nov by eve@partner.example" (an external editor shows as their address).
function changed(it: SharedItem): string {
  return `Changed ${formatDay(it.modified_at, serverNow())} by ${it.modified_by.display_name}`;
}

type DialogState =
  | { kind: 'actions'; item: SharedItem }
  | { kind: 'rename'; item: SharedItem }
  | { kind: 'delete'; item: SharedItem }
  | { kind: 'folder' }
  | null;

function Folder({ api, summary, root, onLost }: { api: LinkApi; summary: Summary; root: SharedItem; onLost: () => void }) {
  const canEdit = summary.role === 'edit';
  const blocked = summary.block_download;
  const [trail, setTrail] = useState<Crumb[]>([{ id: root.id, name: root.name }]);
  const [file, setFile] = useState<SharedItem | null>(null);
  const [items, setItems] = useState<SharedItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<DialogState>(null);
  const [over, setOver] = useState(false);
  const folderId = trail[trail.length - 1]!.id;
  const folderName = trail[trail.length - 1]!.name;
  const seq = useRef(0);

  const fail = (e: unknown) => {
    const p = problemOf(e);
    if (isLost(p)) onLost();
    return p;
  };

  async function list(id = folderId) {
    const mine = ++seq.current;
    try {
      const r = await api.children(id);
      if (mine !== seq.current) return;
      const sorted = [...r.items].sort(
        (a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'folder' ? -1 : 1),
      );
      setItems(sorted);
      setError(null);
    } catch (e) {
      const p = fail(e);
      if (mine === seq.current && !isLost(p)) setError(sentence(p.message));
    }
  }

  // Listed again whenever it comes back on screen, so what it shows (and whether the link still
  // opens) is current.
  useEffect(() => setItems(null), [folderId]);
  useEffect(() => {
    if (!file) void list(folderId);
  }, [folderId, file]);

  // Uploads into this folder list it again; a refused upload may mean the link changed.
  const target: Target = useMemo(
    () => ({
      fileUrl: (id, name) => api.fileUrl(id, name),
      ensureFolder: async (parentId, name) => {
        try {
          return (await api.createFolder(parentId, name)).id;
        } catch (e) {
          const p = problemOf(e);
          if (p.status !== 409) throw p;
          const found = (await api.children(parentId)).items.find((i) => i.name === name && i.kind === 'folder');
          if (!found) throw p;
          return found.id;
        }
      },
    }),
    [api],
  );
  useEffect(() => {
    onUploaded(() => void list());
    return () => onUploaded(null);
  }, [folderId]);
  const failures = uploads.value.filter((u) => u.state === 'failed').length;
  useEffect(() => {
    if (failures > 0) onLost(); // the page re-reads the link; it stays here if nothing changed
  }, [failures]);

  const openFolder = (it: SharedItem) => {
    setFile(null);
    setTrail([...trail, { id: it.id, name: it.name }]);
  };
  const openItem = (it: SharedItem) => (it.kind === 'folder' ? openFolder(it) : setFile(it));
  const crumbs: Crumb[] = file ? [...trail, { id: file.id, name: file.name }] : trail;

  return (
    <div
      class={`rcp-folder ${over ? 'rcp-drop-over' : ''}`}
      onDragOver={(e) => {
        if (!canEdit || file) return;
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={async (e) => {
        if (!canEdit || file || !e.dataTransfer) return;
        e.preventDefault();
        setOver(false);
        enqueue(target, folderId, await filesOfDrop(e.dataTransfer));
      }}
    >
      {crumbs.length > 1 && (
        <Breadcrumbs
          trail={crumbs}
          onOpen={(id) => {
            setFile(null);
            const at = trail.findIndex((c) => c.id === id);
            if (at >= 0) setTrail(trail.slice(0, at + 1));
          }}
        />
      )}
      {file ? (
        <section aria-labelledby="file-h">
          <h2 id="file-h" class="rcp-item-name">
            {file.name}
          </h2>
          <p class="rcp-item-meta">
            {formatBytes(file.size)} · {changed(file)}
          </p>
          <FileView api={api} file={file} rootId={root.id} blocked={blocked} onLost={onLost} />
          <button type="button" class="wide" onClick={() => setFile(null)}>
            Back to {folderName}
          </button>
        </section>
      ) : (
        <>
          {canEdit && (
            <div class="rcp-folder-tools">
              <label class="button primary rcp-upload-button">
                Upload files
                <input
                  type="file"
                  multiple
                  class="visually-hidden"
                  onChange={(e) => {
                    const input = e.currentTarget;
                    const files = Array.from(input.files ?? []).map((f) => ({ file: f, path: f.name }));
                    if (files.length) enqueue(target, folderId, files);
                    input.value = '';
                  }}
                />
              </label>
              <button type="button" onClick={() => setDialog({ kind: 'folder' })}>
                New folder
              </button>
              <p class="muted small rcp-drop-hint">Or drop files here to upload them to {folderName}.</p>
            </div>
          )}
          {canEdit && <UploadQueue />}
          {blocked && <Notice kind="info">The owner allows viewing only.</Notice>}
          {error && (
            <Notice kind="error">
              <p>{error}</p>
              <button type="button" onClick={() => void list()}>
                Try again
              </button>
            </Notice>
          )}
          {items === null && !error && <Loading what="Opening the folder" />}
          {items !== null && items.length === 0 && (
            <p class="muted rcp-empty">
              {folderName} is empty.{canEdit ? ' Upload files or add a folder.' : ''}
            </p>
          )}
          {items !== null && items.length > 0 && (
            <ul class="list rcp-item-list" aria-label={`Contents of ${folderName}`}>
              {items.map((it) => (
                <li key={it.id} class="rcp-item-row">
                  <button type="button" class="rcp-item-open" onClick={() => openItem(it)}>
                    <span class={`rcp-item-icon rcp-item-icon-${it.kind}`} aria-hidden="true" />
                    <span class="rcp-item-open-name">{it.name}</span>
                  </button>
                  <span class="rcp-item-row-meta muted small">
                    {it.kind === 'folder' ? 'Folder' : formatBytes(it.size)} · {changed(it)}
                  </span>
                  <button
                    type="button"
                    class="icon-button rcp-item-actions"
                    aria-label={`Actions for ${it.name}`}
                    onClick={() => setDialog({ kind: 'actions', item: it })}
                  >
                    Actions
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <ItemDialog
        api={api}
        state={dialog}
        canEdit={canEdit}
        blocked={blocked}
        rootId={root.id}
        folderId={folderId}
        sharer={summary.shared_by.display_name}
        onState={setDialog}
        onOpen={openItem}
        onChanged={() => void list()}
        onLost={onLost}
      />
    </div>
  );
}

function ItemDialog({
  api,
  state,
  canEdit,
  blocked,
  rootId,
  folderId,
  sharer,
  onState,
  onOpen,
  onChanged,
  onLost,
}: {
  api: LinkApi;
  state: DialogState;
  canEdit: boolean;
  blocked: boolean;
  rootId: number;
  folderId: number;
  sharer: string;
  onState: (s: DialogState) => void;
  onOpen: (it: SharedItem) => void;
  onChanged: () => void;
  onLost: () => void;
}) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const close = () => {
    setError(null);
    onState(null);
  };

  useEffect(() => {
    setError(null);
    if (state?.kind === 'rename') setName(state.item.name);
    if (state?.kind === 'folder') setName('');
  }, [state]);

  async function run(what: () => Promise<unknown>, done: string) {
    setBusy(true);
    setError(null);
    try {
      await what();
      close();
      toast(done);
      onChanged();
    } catch (e) {
      const p = problemOf(e);
      if (isLost(p)) {
        close();
        onLost();
      } else {
        setError(sentence(p.message));
      }
    } finally {
      setBusy(false);
    }
  }

  let title = '';
  let body = null;
  if (state?.kind === 'actions') {
    const it = state.item;
    title = it.name;
    body = (
      <div class="rcp-dialog-actions">
        <button
          type="button"
          class="wide"
          onClick={() => {
            close();
            onOpen(it);
          }}
        >
          Open
        </button>
        {it.kind === 'file' && !blocked && (
          <DownloadLink api={api} url={api.contentUrl(it.id, rootId)} name={it.name} onLost={onLost} />
        )}
        {canEdit && (
          <>
            <button type="button" class="wide" onClick={() => onState({ kind: 'rename', item: it })}>
              Rename
            </button>
            <button type="button" class="wide danger" onClick={() => onState({ kind: 'delete', item: it })}>
              Delete
            </button>
          </>
        )}
      </div>
    );
  } else if (state?.kind === 'rename') {
    const it = state.item;
    title = `Rename ${it.name}`;
    body = (
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const n = name.trim();
          if (!n) return setError('Type a name.');
          if (n === it.name) return close();
          void run(() => api.rename(it.id, n), `Renamed to ${n}`);
        }}
      >
        <Field label="New name" value={name} error={error} autoFocus onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit" class="primary wide" disabled={busy}>
          Rename
        </button>
      </form>
    );
  } else if (state?.kind === 'delete') {
    const it = state.item;
    title = `Delete ${it.name}?`;
    body = (
      <>
        <p>
          {it.kind === 'folder' ? `${it.name} and everything in it` : it.name} will go to {sharer}'s trash, where they
          can restore it.
        </p>
        {error && <Notice kind="error">{error}</Notice>}
        <div class="rcp-dialog-actions">
          <button type="button" class="primary danger wide" disabled={busy} onClick={() => void run(() => api.remove(it.id), `Deleted ${it.name}`)}>
            Delete
          </button>
          <button type="button" class="wide" onClick={close}>
            Cancel
          </button>
        </div>
      </>
    );
  } else if (state?.kind === 'folder') {
    title = 'New folder';
    body = (
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const n = name.trim();
          if (!n) return setError('Type a name for the folder.');
          void run(() => api.createFolder(folderId, n), `Created ${n}`);
        }}
      >
        <Field label="Folder name" value={name} error={error} autoFocus onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit" class="primary wide" disabled={busy}>
          Create
        </button>
      </form>
    );
  }
  return (
    <Dialog title={title || 'Item'} open={state !== null} onClose={close}>
      {body}
    </Dialog>
  );
}
