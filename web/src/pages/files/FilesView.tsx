// The member's files: spaces, breadcrumbs, the folder's list (name / modified / modified by /
// size / sharing), sorting, selection, each row's actions, new folder, and uploads by the button
// or by dropping files and folders anywhere over the list (the shared upload queue).
import { useEffect, useId, useMemo, useReducer, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { problemOf, type Problem } from '../../api/client';
import { Breadcrumbs, type Crumb } from '../../components/Breadcrumbs';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { UploadQueue } from '../../components/upload/UploadQueue';
import { enqueue, filesOfDrop, onUploaded, type Target } from '../../components/upload/uploads';
import { formatBytes, formatDateTime } from '../../lib/format';
import { toast } from '../../state/toasts';
import { ManageAccessDialog } from '../share/ManageAccess';
import { ShareDialog } from '../share/ShareDialog';
import {
  createFolder,
  getItem,
  listChildren,
  listSpaces,
  maxUploadBytes,
  myShares,
  restoreItem,
  type Item,
  type ListedItem,
  type Space,
} from './api';
import { DeleteDialog, MoveDialog, NewFolderDialog, RenameDialog, VersionsDialog, ViewDialog } from './ItemDialogs';
import { ItemMenu, type ItemAction } from './ItemMenu';
import { MemberPage } from './MemberHome';
import { nextSort, sortItems, type Sort, type SortKey } from './sort';

type DialogState =
  | { kind: 'open' | 'share' | 'access' | 'rename' | 'versions'; item: Item }
  | { kind: 'move' | 'delete'; items: Item[] }
  | { kind: 'new-folder' };

interface Place {
  space: Space | null;
  folder: Item;
  trail: Crumb[];
  selectedFile: number | null;
}

const uploadTarget = (): Target => ({
  fileUrl: (folderId, name) => `/api/v1/items/${folderId}/files/${encodeURIComponent(name)}`,
  async ensureFolder(parentId, name) {
    try {
      return (await createFolder(parentId, name)).id;
    } catch (e) {
      const p = problemOf(e);
      if (p.status !== 409) throw p;
      const existing = (await listChildren(parentId)).find((c) => c.kind === 'folder' && c.name === name);
      if (!existing) throw p;
      return existing.id;
    }
  },
  maxBytes: maxUploadBytes(),
});

// The sort column header: a button that says what it does, with aria-sort on the header cell.
function SortHeader({ label, col, sort, onSort, class: cls }: { label: string; col: SortKey; sort: Sort; onSort: (k: SortKey) => void; class?: string }) {
  const active = sort.key === col;
  return (
    <th scope="col" class={cls} aria-sort={active ? sort.dir : 'none'}>
      <button type="button" class="sort-button" onClick={() => onSort(col)}>
        {label}
        <span class="sort-mark" aria-hidden="true">
          {active ? (sort.dir === 'ascending' ? '▲' : '▼') : '↕'}
        </span>
        <span class="visually-hidden">{active ? `, sorted ${sort.dir}` : ', sort by this column'}</span>
      </button>
    </th>
  );
}

export function FilesView({ itemId }: { itemId: number | null }) {
  const { route } = useLocation();
  const [spaces, setSpaces] = useState<Space[] | null>(null);
  const [place, setPlace] = useState<Place | null>(null);
  const [items, setItems] = useState<ListedItem[] | null>(null);
  const [failure, setFailure] = useState<Problem | null>(null);
  const [sort, setSort] = useState<Sort>({ key: 'name', dir: 'ascending' });
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [dialog, setDialog] = useState<DialogState | null>(null);
  const [notice, setNotice] = useState<{ text: string; undo?: Item[] } | null>(null);
  const [shared, setShared] = useState<Map<number, number>>(new Map());
  const [dragging, setDragging] = useState(false);
  const [version, bump] = useReducer((n: number, _: void) => n + 1, 0);
  const reload = () => bump(undefined);
  const ids = useId();
  const returnFocus = useRef<string | null>(null);

  // Where we are: the folder (or a file's folder), its space and the path from the space's root.
  useEffect(() => {
    let live = true;
    setFailure(null);
    (async () => {
      const all = spaces ?? (await listSpaces());
      if (live && !spaces) setSpaces(all);
      const start = itemId ?? all[0]?.root_item_id;
      if (!start) throw new Error('no space');
      let folder = await getItem(start);
      let selectedFile: number | null = null;
      if (folder.kind === 'file' && folder.parent_id !== null) {
        selectedFile = folder.id;
        folder = await getItem(folder.parent_id);
      }
      const space = all.find((s) => s.id === folder.space_id) ?? null;
      const chain: Item[] = [folder];
      let up = folder.parent_id;
      while (up !== null) {
        try {
          const parent = await getItem(up);
          chain.unshift(parent);
          up = parent.parent_id;
        } catch {
          break; // reached through a grant: the folders above are not ours to see
        }
      }
      const trail = chain.map((c) => ({ id: c.id, name: c.parent_id === null && space ? space.name : c.name }));
      if (live) {
        setPlace({ space, folder, trail, selectedFile });
        setSelected(selectedFile ? new Set([selectedFile]) : new Set());
        setNotice(null);
      }
    })().catch((e) => live && setFailure(problemOf(e)));
    return () => {
      live = false;
    };
  }, [itemId]);

  // The folder's contents, and which of them this member shares.
  useEffect(() => {
    if (!place) return;
    let live = true;
    listChildren(place.folder.id)
      .then((list) => live && setItems(list))
      .catch((e) => live && setFailure(problemOf(e)));
    myShares()
      .then((links) => {
        if (!live || !links) return;
        const m = new Map<number, number>();
        for (const l of links) m.set(l.item.id, (m.get(l.item.id) ?? 0) + 1);
        setShared(m);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [place, version]);

  useEffect(() => {
    onUploaded(() => reload());
    return () => onUploaded(null);
  }, []);

  // The file named by the URL is shown selected, in view.
  useEffect(() => {
    if (!place?.selectedFile || !items) return;
    document.querySelector(`[data-row="${place.selectedFile}"]`)?.scrollIntoView({ block: 'center' });
  }, [items, place?.selectedFile]);

  const sorted = useMemo(() => (items ? sortItems(items, sort) : []), [items, sort]);
  const role = place?.space?.role;
  const canEdit = role !== 'visitor';
  const canShare = role === undefined || role === 'owner';
  const folderName = place ? place.trail[place.trail.length - 1]?.name ?? place.folder.name : 'My files';
  const selectedItems = sorted.filter((i) => selected.has(i.id));

  const closeDialog = () => {
    setDialog(null);
    const back = returnFocus.current;
    returnFocus.current = null;
    if (back) window.setTimeout(() => document.querySelector<HTMLElement>(back)?.focus(), 0);
  };

  const onAction = (action: ItemAction, item: Item) => {
    returnFocus.current = `[data-actions-for="${item.id}"]`;
    if (action === 'open' && item.kind === 'folder') {
      route(`/files/${item.id}`);
      return;
    }
    if (action === 'move' || action === 'delete') setDialog({ kind: action, items: [item] });
    else setDialog({ kind: action, item });
  };

  const upload = (files: { file: File; path: string }[]) => {
    if (!place || files.length === 0) return;
    enqueue(uploadTarget(), place.folder.id, files);
  };

  const undoDelete = async (gone: Item[]) => {
    try {
      for (const i of gone) await restoreItem(i.id);
      setNotice({ text: gone.length === 1 ? `${gone[0]!.name} is back.` : `${gone.length} items are back.` });
      reload();
    } catch (e) {
      setNotice({ text: `Could not restore: ${problemOf(e).message}` });
    }
  };

  if (failure) {
    return (
      <MemberPage title="My files" section="files">
        <h1>{failure.status === 404 ? 'This folder or file is not here' : 'Your files could not be loaded'}</h1>
        <Notice kind="error">
          <p>
            {failure.status === 404
              ? 'It may have been moved to the trash, or it was never shared with you.'
              : failure.message}
          </p>
        </Notice>
        <div class="row">
          <a class="button primary" href="/">
            Go to My files
          </a>
          <a class="button" href="/trash">
            Open the trash
          </a>
        </div>
      </MemberPage>
    );
  }

  if (!place) {
    return (
      <MemberPage title="My files" section="files">
        <Loading what="Loading your files" />
      </MemberPage>
    );
  }

  const multipleSpaces = (spaces?.length ?? 0) > 1;
  return (
    <MemberPage title={folderName} section="files">
      <div
        class={`files-drop ${dragging ? 'over' : ''}`}
        onDragEnter={(e) => {
          if (e.dataTransfer?.types.includes('Files') && canEdit) {
            e.preventDefault();
            setDragging(true);
          }
        }}
        onDragOver={(e) => {
          if (e.dataTransfer?.types.includes('Files') && canEdit) {
            e.preventDefault();
            e.dataTransfer.dropEffect = 'copy';
            if (!dragging) setDragging(true);
          }
        }}
        onDragLeave={(e) => {
          const to = e.relatedTarget as Node | null;
          if (!to || !(e.currentTarget as HTMLElement).contains(to)) setDragging(false);
        }}
        onDrop={(e) => {
          if (!e.dataTransfer || !canEdit) return;
          e.preventDefault();
          setDragging(false);
          void filesOfDrop(e.dataTransfer).then(upload);
        }}
      >
        {multipleSpaces && (
          <nav class="spaces" aria-label="Spaces">
            <ul>
              {spaces!.map((s) => (
                <li key={s.id}>
                  <a href={`/files/${s.root_item_id}`} aria-current={s.id === place.space?.id ? 'true' : undefined} class="space-link">
                    {s.kind === 'personal' ? 'Personal: ' : 'Team: '}
                    {s.name}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <Breadcrumbs trail={place.trail} onOpen={(id) => route(`/files/${id}`)} />
        <div class="spread files-head">
          <h1>{folderName}</h1>
          <div class="row toolbar">
            {canEdit && (
              <>
                {/* The file inputs themselves take the focus and the keys (Enter, Space open the
                    picker); their visible labels look like buttons and show that focus. */}
                <input
                  id={`upload-files-${ids}`}
                  type="file"
                  multiple
                  class="file-input visually-hidden"
                  onChange={(e) => {
                    const list = Array.from(e.currentTarget.files ?? []);
                    upload(list.map((file) => ({ file, path: file.name })));
                    e.currentTarget.value = '';
                  }}
                />
                <label for={`upload-files-${ids}`} class="button primary">
                  Upload files
                </label>
                <input
                  id={`upload-folder-${ids}`}
                  type="file"
                  multiple
                  class="file-input visually-hidden"
                  {...({ webkitdirectory: '' } as Record<string, string>)}
                  onChange={(e) => {
                    const list = Array.from(e.currentTarget.files ?? []);
                    upload(list.map((file) => ({ file, path: file.webkitRelativePath || file.name })));
                    e.currentTarget.value = '';
                  }}
                />
                <label for={`upload-folder-${ids}`} class="button">
                  Upload a folder
                </label>
                <button
                  type="button"
                  data-return-focus="new-folder"
                  onClick={() => {
                    returnFocus.current = '[data-return-focus="new-folder"]';
                    setDialog({ kind: 'new-folder' });
                  }}
                >
                  New folder
                </button>
              </>
            )}
            <a class="button" href="/trash">
              Trash
            </a>
          </div>
        </div>
        <UploadQueue />
        {notice && (
          <div class="notice notice-success page-notice" role="status">
            <span>{notice.text}</span>
            <div class="row">
              {notice.undo && (
                <button type="button" onClick={() => void undoDelete(notice.undo!)}>
                  Undo
                </button>
              )}
              {notice.undo && (
                <a class="button" href="/trash">
                  Open the trash
                </a>
              )}
              <button type="button" class="link-button" onClick={() => setNotice(null)}>
                Dismiss
              </button>
            </div>
          </div>
        )}
        {selectedItems.length > 0 && (
          <div class="selection-bar" role="region" aria-label="Selection">
            <span>
              {selectedItems.length} selected
            </span>
            {canEdit && (
              <>
                <button type="button" onClick={() => setDialog({ kind: 'move', items: selectedItems })}>
                  Move selected
                </button>
                <button type="button" class="danger" onClick={() => setDialog({ kind: 'delete', items: selectedItems })}>
                  Delete selected
                </button>
              </>
            )}
            <button type="button" class="link-button" onClick={() => setSelected(new Set())}>
              Clear selection
            </button>
          </div>
        )}
        <section class="file-list" aria-label={`Contents of ${folderName}`}>
          {items === null ? (
            <Loading what="Loading the folder" />
          ) : items.length === 0 ? (
            <div class="empty">
              <p>
                <strong>This folder is empty.</strong>
              </p>
              {canEdit && <p>Drag files or folders here, or use “Upload files” or “New folder”.</p>}
            </div>
          ) : (
            <table class="files">
              <caption class="visually-hidden">
                Contents of {folderName}, sorted by {sort.key} {sort.dir}. Folders come first.
              </caption>
              <thead>
                <tr>
                  <th scope="col" class="col-select">
                    <label class="select-box">
                      <input
                        type="checkbox"
                        checked={selected.size > 0 && selected.size === items.length}
                        onChange={(e) => setSelected(e.currentTarget.checked ? new Set(items.map((i) => i.id)) : new Set())}
                      />
                      <span class="visually-hidden">Select all</span>
                    </label>
                  </th>
                  <SortHeader label="Name" col="name" sort={sort} onSort={(k) => setSort(nextSort(sort, k))} />
                  <SortHeader label="Modified" col="modified" sort={sort} onSort={(k) => setSort(nextSort(sort, k))} class="col-modified" />
                  <th scope="col" class="col-by">
                    Modified by
                  </th>
                  <SortHeader label="Size" col="size" sort={sort} onSort={(k) => setSort(nextSort(sort, k))} class="col-size" />
                  <th scope="col" class="col-sharing">
                    Sharing
                  </th>
                  <th scope="col" class="col-actions">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {sorted.map((i) => {
                  const links = shared.get(i.id) ?? 0;
                  // `shared`: an active link or a direct grant on the item, by anyone; `links`: this
                  // member's own active links on it.
                  const isShared = i.shared || links > 0;
                  const isSel = selected.has(i.id);
                  return (
                    <tr key={i.id} data-row={i.id} class={isSel ? 'selected' : undefined}>
                      <td class="col-select">
                        <label class="select-box">
                          <input
                            type="checkbox"
                            checked={isSel}
                            onChange={(e) => {
                              const next = new Set(selected);
                              if (e.currentTarget.checked) next.add(i.id);
                              else next.delete(i.id);
                              setSelected(next);
                            }}
                          />
                          <span class="visually-hidden">Select {i.name}</span>
                        </label>
                      </td>
                      <th scope="row" class="col-name">
                        <span class="name-line">
                          <span class={`kind-icon kind-${i.kind}`} aria-hidden="true" />
                          {i.kind === 'folder' ? (
                            <a href={`/files/${i.id}`} class="item-name">
                              {i.name}
                            </a>
                          ) : (
                            <button
                              type="button"
                              class="link-button item-name"
                              data-open-for={i.id}
                              onClick={() => {
                                returnFocus.current = `[data-open-for="${i.id}"]`;
                                setDialog({ kind: 'open', item: i });
                              }}
                            >
                              {i.name}
                            </button>
                          )}
                        </span>
                        <span class="row-meta muted small">
                          {formatDateTime(i.modified_at)}
                          {i.kind === 'file' ? ` · ${formatBytes(i.size)}` : ''}
                          {isShared ? ' · shared' : ''}
                        </span>
                      </th>
                      <td class="col-modified">{formatDateTime(i.modified_at)}</td>
                      <td class="col-by">{i.modified_by.display_name}</td>
                      <td class="col-size">{i.kind === 'file' ? formatBytes(i.size) : <span class="muted">folder</span>}</td>
                      <td class="col-sharing">
                        {isShared && (
                          <span
                            class="badge badge-shared"
                            title={links > 0 ? `${links} active link${links === 1 ? '' : 's'} of yours` : 'Shared by someone with access'}
                          >
                            Shared
                          </span>
                        )}
                      </td>
                      <td class="col-actions">
                        <ItemMenu item={i} canEdit={canEdit} canShare={canShare} onAction={onAction} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          {canEdit && (
            <p class={`dropzone ${dragging ? 'over' : ''}`} aria-hidden={dragging ? undefined : 'true'}>
              {dragging ? `Drop to upload to “${folderName}”` : 'Drag files or folders anywhere over the list to upload them here.'}
            </p>
          )}
        </section>
      </div>

      {dialog?.kind === 'open' && <ViewDialog item={dialog.item} onClose={closeDialog} />}
      {dialog?.kind === 'new-folder' && (
        <NewFolderDialog
          parent={place.folder}
          onClose={closeDialog}
          onCreated={(f) => {
            closeDialog();
            toast(`Folder “${f.name}” created`);
            reload();
          }}
        />
      )}
      {dialog?.kind === 'rename' && (
        <RenameDialog
          item={dialog.item}
          onClose={closeDialog}
          onRenamed={(i) => {
            closeDialog();
            toast(`Renamed to “${i.name}”`);
            reload();
          }}
        />
      )}
      {dialog?.kind === 'move' && (
        <MoveDialog
          items={dialog.items}
          rootId={place.trail[0]?.id ?? place.folder.id}
          rootName={place.trail[0]?.name ?? 'My files'}
          startId={place.folder.id}
          onClose={closeDialog}
          onMoved={(to, moved) => {
            setDialog(null);
            setSelected(new Set());
            setNotice({ text: `${moved.length === 1 ? moved[0]!.name : `${moved.length} items`} moved to “${to.parent_id === null ? place.trail[0]?.name ?? to.name : to.name}”.` });
            reload();
          }}
        />
      )}
      {dialog?.kind === 'versions' && (
        <VersionsDialog item={dialog.item} canEdit={canEdit} onClose={closeDialog} onRestored={() => reload()} />
      )}
      {dialog?.kind === 'delete' && (
        <DeleteDialog
          items={dialog.items}
          spaceName={place.space?.name ?? 'this space'}
          onClose={closeDialog}
          onDeleted={(gone) => {
            setDialog(null);
            setSelected(new Set());
            setNotice({
              text: gone.length === 1 ? `${gone[0]!.name} was moved to the trash.` : `${gone.length} items were moved to the trash.`,
              undo: gone,
            });
            reload();
            window.setTimeout(() => document.querySelector<HTMLElement>('.page-notice button')?.focus(), 0);
          }}
        />
      )}
      {dialog?.kind === 'share' && (
        <ShareDialog
          item={dialog.item}
          onClose={() => {
            closeDialog();
            reload();
          }}
          onManage={() => setDialog({ kind: 'access', item: dialog.item })}
        />
      )}
      {dialog?.kind === 'access' && (
        <ManageAccessDialog
          item={dialog.item}
          onClose={() => {
            closeDialog();
            reload();
          }}
          onShare={() => setDialog({ kind: 'share', item: dialog.item })}
        />
      )}
    </MemberPage>
  );
}
