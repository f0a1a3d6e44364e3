// "Shared with me": everything shared with the signed-in address (GET /api/v1/shared-with-me),
// each entry opening its link's page (`/shared/{link_id}`, or a member's own `/files/{id}`).
// The page is what a verified external recipient or a guest sees at `/` (a guest also sees the
// team spaces it was put in, GuestSpaces); SharedWithMeList is the list alone, which the member's
// app shows at `/shared-with-me`.
import { useEffect, useState } from 'preact/hooks';
import { problemOf, rawJson } from '../../api/client';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { Page } from '../../components/Page';
import { formatBytes, toDate } from '../../lib/format';
import { me, signOut } from '../../state/session';
import './account.css';

export interface SharedWithMeEntry {
  item: { id: number; name: string; kind: 'file' | 'folder'; size: number; modified_at?: string };
  shared_by: { display_name: string };
  link_id?: number | null;
  url: string;
  role: 'view' | 'edit' | string;
  expires_at?: string | null;
  block_download?: boolean;
}

// The path of an entry's page in this app (the server gives a full URL with its public address).
export function entryPath(e: SharedWithMeEntry, origin = globalThis.location?.origin ?? 'http://localhost'): string {
  try {
    const u = new URL(e.url, origin);
    if (u.pathname.startsWith('/shared/') || u.pathname.startsWith('/files/')) return u.pathname;
  } catch {
    /* fall through */
  }
  return e.link_id ? `/shared/${e.link_id}` : `/files/${e.item.id}`;
}

function day(value: string | null | undefined): string {
  const d = toDate(value);
  if (!d) return '';
  const sameYear = d.getFullYear() === new Date().getFullYear();
  return d
    .toLocaleDateString(undefined, { day: 'numeric', month: 'short', ...(sameYear ? {} : { year: 'numeric' }) })
    .replace(/ /g, '\u00a0');
}

export function SharedWithMeList({ emptyText }: { emptyText?: string }) {
  const [entries, setEntries] = useState<SharedWithMeEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async () => {
    setError(null);
    try {
      const r = await rawJson<{ items: SharedWithMeEntry[] }>('/api/v1/shared-with-me');
      setEntries(r.items ?? []);
    } catch (e) {
      const p = problemOf(e);
      setError(
        p.status === 401
          ? 'Your session has ended. Open the link from your email again to confirm your address.'
          : `The list could not be loaded. ${p.message}`,
      );
    }
  };
  useEffect(() => {
    void load();
  }, []);
  if (error) {
    return (
      <Notice kind="error">
        <p>{error}</p>
        <button type="button" onClick={() => void load()}>
          Try again
        </button>
      </Notice>
    );
  }
  if (entries === null) return <Loading what="Loading what is shared with you" />;
  if (entries.length === 0) {
    return (
      <p class="muted rcp-empty">
        {emptyText ??
          'Nothing is shared with you right now. When someone shares a file with you, the email they send has a link to it.'}
      </p>
    );
  }
  return (
    <ul class="list rcp-shared-list">
      {entries.map((e) => {
        const until = day(e.expires_at);
        return (
          <li key={`${e.link_id ?? 'g'}-${e.item.id}`} class="rcp-shared-entry">
            <a class="rcp-shared-open" href={entryPath(e)}>
              <span class={`rcp-item-icon rcp-item-icon-${e.item.kind}`} aria-hidden="true" />
              <span class="rcp-item-open-name">{e.item.name}</span>
            </a>
            <span class="muted small rcp-shared-meta">
              {e.item.kind === 'folder' ? 'Folder' : formatBytes(e.item.size)} · Shared by {e.shared_by.display_name}
              {until ? ` · Until ${until}` : ''}
            </span>
            <span class="rcp-shared-badges">
              {e.role === 'edit' && <span class="badge badge-ok">Can edit</span>}
              {e.block_download && <span class="badge">View only</span>}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

interface SpaceRow {
  id: number;
  name: string;
  root_item_id: number;
  role?: string;
}

interface ItemRow {
  id: number;
  name: string;
  kind: 'file' | 'folder';
  size: number;
}

// The team spaces a guest is in, each browsable folder by folder (read with the members' item
// routes, which let a guest into its spaces); files download.
function GuestSpaces() {
  const [spaces, setSpaces] = useState<SpaceRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<{ space: SpaceRow; trail: ItemRow[]; items: ItemRow[] } | null>(null);
  useEffect(() => {
    rawJson<{ spaces: SpaceRow[] }>('/api/v1/spaces')
      .then((r) => setSpaces(r.spaces ?? []))
      .catch((e) => setError(`Your team spaces could not be loaded. ${problemOf(e).message}`));
  }, []);
  const browse = async (space: SpaceRow, trail: ItemRow[]) => {
    const folder = trail.length ? trail[trail.length - 1]!.id : space.root_item_id;
    try {
      const r = await rawJson<{ items: ItemRow[] }>(`/api/v1/items/${folder}/children`);
      setOpen({ space, trail, items: r.items ?? [] });
      setError(null);
    } catch (e) {
      setError(`This folder could not be opened. ${problemOf(e).message}`);
    }
  };
  if (error) return <Notice kind="error">{error}</Notice>;
  if (spaces === null || spaces.length === 0) return null;
  return (
    <section aria-labelledby="guest-spaces-h">
      <h2 id="guest-spaces-h">Your team spaces</h2>
      {open ? (
        <>
          <nav aria-label="Where you are" class="small">
            <button type="button" class="link-button" onClick={() => setOpen(null)}>
              All spaces
            </button>
            {' / '}
            <button type="button" class="link-button" onClick={() => void browse(open.space, [])}>
              {open.space.name}
            </button>
            {open.trail.map((f, i) => (
              <span key={f.id}>
                {' / '}
                <button type="button" class="link-button" onClick={() => void browse(open.space, open.trail.slice(0, i + 1))}>
                  {f.name}
                </button>
              </span>
            ))}
          </nav>
          {open.items.length === 0 ? (
            <p class="muted rcp-empty">This folder is empty.</p>
          ) : (
            <ul class="list rcp-shared-list">
              {open.items.map((it) => (
                <li key={it.id} class="rcp-shared-entry">
                  {it.kind === 'folder' ? (
                    <button type="button" class="link-button rcp-shared-open" onClick={() => void browse(open.space, [...open.trail, it])}>
                      <span class="rcp-item-icon rcp-item-icon-folder" aria-hidden="true" />
                      <span class="rcp-item-open-name">{it.name}</span>
                    </button>
                  ) : (
                    <a class="rcp-shared-open" href={`/api/v1/items/${it.id}/content`} download={it.name}>
                      <span class="rcp-item-icon rcp-item-icon-file" aria-hidden="true" />
                      <span class="rcp-item-open-name">{it.name}</span>
                      <span class="visually-hidden">: download</span>
                    </a>
                  )}
                  <span class="muted small rcp-shared-meta">{it.kind === 'folder' ? 'Folder' : formatBytes(it.size)}</span>
                </li>
              ))}
            </ul>
          )}
        </>
      ) : (
        <ul class="list rcp-shared-list">
          {spaces.map((sp) => (
            <li key={sp.id} class="rcp-shared-entry">
              <button type="button" class="link-button rcp-shared-open" onClick={() => void browse(sp, [])}>
                <span class="rcp-item-icon rcp-item-icon-folder" aria-hidden="true" />
                <span class="rcp-item-open-name">{sp.name}</span>
              </button>
              <span class="muted small rcp-shared-meta">
                Team space · {sp.role === 'member' ? 'you can add files' : 'you can view and download'}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export default function SharedWithMe() {
  const who = me.value;
  return (
    <Page
      title="Shared with me"
      narrow
      account={
        <div class="rcp-account">
          {who && (
            <span class="rcp-who" title={who.email}>
              {who.email}
            </span>
          )}
          <a href="/sessions">Sessions</a>
          <button type="button" class="link-button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      }
    >
      <h1>Shared with me</h1>
      <p class="muted">
        Everything shared with {who ? <strong>{who.email}</strong> : 'your address'}. Open one to view or download it.
        {who?.kind === 'guest' && ' You are a guest of the organization: sign in with a code to this address any time.'}
      </p>
      <SharedWithMeList />
      {who?.kind === 'guest' && <GuestSpaces />}
    </Page>
  );
}
