// "Shared by me": every link this member made that still exists, with its item, recipients and
// their states, links that end soonest first, and "Manage access" for each item.
import { useEffect, useState } from 'preact/hooks';
import { problemOf } from '../../api/client';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { formatDate, formatRelative, toDate } from '../../lib/format';
import { ManageAccessDialog } from '../share/ManageAccess';
import { byExpirySoonest, deliveryWords, kKindShort, linkStateWords, recipientStateWords, roleWords } from '../share/words';
import { myShares, type SharedLink } from './api';
import { MemberPage } from './MemberHome';

const kSoonMs = 7 * 86400 * 1000;

export function SharedByMePage() {
  const [links, setLinks] = useState<SharedLink[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [managing, setManaging] = useState<{ id: number; name: string } | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let live = true;
    myShares()
      .then((l) => live && setLinks([...l].sort(byExpirySoonest)))
      .catch((e) => live && setError(problemOf(e).message));
    return () => {
      live = false;
    };
  }, [version]);

  const now = Date.now();
  return (
    <MemberPage title="Shared by me" section="shared-by-me">
      <h1>Shared by me</h1>
      <p class="muted">Everything you share, the links that end soonest first. Open “Manage access” to change or stop sharing.</p>
      {error ? (
        <Notice kind="error" title="What you share could not be loaded">
          <p>{error}</p>
        </Notice>
      ) : links === null ? (
        <Loading what="Loading what you share" />
      ) : links.length === 0 ? (
        <div class="empty">
          <p>
            <strong>You don't share anything yet.</strong>
          </p>
          <p>
            In <a href="/">My files</a>, open a file's actions and choose “Share”.
          </p>
        </div>
      ) : (
        <ul class="list shares">
          {links.map((l) => {
            const end = toDate(l.effective_expires_at)?.getTime();
            const soon = end !== undefined && end - now < kSoonMs && l.state === 'active';
            return (
              <li key={l.id} class="share-entry" data-link={l.id}>
                <div class="spread">
                  <h2 class="share-item">
                    <span class={`kind-icon kind-${l.item.kind}`} aria-hidden="true" />
                    <a href={`/files/${l.item.id}`}>{l.item.name}</a>
                  </h2>
                  <button type="button" onClick={() => setManaging({ id: l.item.id, name: l.item.name })}>
                    Manage access<span class="visually-hidden"> for {l.item.name}</span>
                  </button>
                </div>
                <p class="small">
                  {kKindShort[l.kind]} · {roleWords(l.role)} · {linkStateWords(l.state, l.effective_expires_at)}
                  {soon && (
                    <>
                      {' '}
                      <span class="badge badge-warn">ends {formatRelative(l.effective_expires_at)}</span>
                    </>
                  )}
                  {' · '}shared {formatDate(l.created_at)}
                </p>
                {l.kind === 'specific' && l.recipients.length > 0 && (
                  <ul class="list recipients compact" aria-label={`Recipients of ${l.item.name}`}>
                    {l.recipients.map((r) => {
                      const d = deliveryWords(r);
                      return (
                        <li key={r.address} data-address={r.address}>
                          <strong>{r.address}</strong> <span class="badge">{recipientStateWords(r)}</span>{' '}
                          <span class={`badge badge-${d.tone === 'ok' ? 'ok' : d.tone === 'bad' ? 'bad' : 'warn'}`}>Invitation {d.text}</span>
                        </li>
                      );
                    })}
                  </ul>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {managing && (
        <ManageAccessDialog
          item={managing}
          onClose={() => {
            setManaging(null);
            setVersion((v) => v + 1);
          }}
        />
      )}
    </MemberPage>
  );
}
