// "Shared with me" for a member: the recipient engineer's SharedWithMeList (pages/account) when it
// exists, otherwise a simple list from GET /api/v1/shared-with-me.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { rawJson } from '../../api/client';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { formatBytes, formatDate } from '../../lib/format';
import * as account from '../account/SharedWithMe';
import { missingRoute } from './api';
import { MemberPage } from './MemberHome';

interface SharedEntry {
  item: { id: number; name: string; kind: 'file' | 'folder'; size: number; modified_at: string };
  shared_by: { display_name: string };
  link_id: number | null;
  url: string;
  role: string;
  expires_at: string | null;
  block_download?: boolean;
}

function SimpleList() {
  const [entries, setEntries] = useState<SharedEntry[] | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    rawJson<{ items: SharedEntry[] }>('/api/v1/shared-with-me')
      .then((r) => setEntries(r.items))
      .catch((e) => (missingRoute(e) ? setEntries(null) : setError((e as Error).message)));
  }, []);
  if (error) return <Notice kind="error">{error}</Notice>;
  if (entries === undefined) return <Loading what="Loading what is shared with you" />;
  if (entries === null) {
    return (
      <Notice title="This list is not available on this server yet">
        <p>Open what others share with you from the link in their email.</p>
      </Notice>
    );
  }
  if (entries.length === 0) return <p>Nothing is shared with you yet. When someone shares a file with you, it appears here.</p>;
  return (
    <ul class="list">
      {entries.map((e) => (
        <li key={`${e.link_id}-${e.item.id}`}>
          <a href={new URL(e.url, location.origin).pathname}>{e.item.name}</a>
          <div class="muted small">
            from {e.shared_by.display_name}
            {e.item.kind === 'file' ? ` · ${formatBytes(e.item.size)}` : ' · folder'}
            {e.expires_at ? ` · until ${formatDate(e.expires_at)}` : ''}
          </div>
        </li>
      ))}
    </ul>
  );
}

export function SharedWithMePage() {
  const Provided = (account as unknown as Record<string, ComponentType | undefined>).SharedWithMeList;
  return (
    <MemberPage title="Shared with me" section="shared-with-me">
      <h1>Shared with me</h1>
      {Provided ? <Provided /> : <SimpleList />}
    </MemberPage>
  );
}
