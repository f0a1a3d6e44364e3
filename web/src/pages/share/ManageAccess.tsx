// Manage access ("Who can open <name>"): everything GET /api/v1/items/{id}/access returns —
// people through the space (and from where), direct grants, every link with its kind, role, state,
// expiry and recipients (state and invitation delivery) — with the actions: approve or decline
// pending requests (at the top), change a link's access or expiry, resend an invitation, remove a
// recipient, revoke a link (after a confirmation).
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { problemOf } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { Field, Select } from '../../components/Field';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { formatDate, formatDateTime } from '../../lib/format';
import {
  accessOf,
  decideRequest,
  itemAccessRequests,
  removeGrant,
  removeRecipient,
  resendInvitation,
  revokeLink,
  updateLink,
  type AccessGrant,
  type AccessReport,
  type AccessRequest,
  type Link,
  type LinkRecipient,
  type LinkRole,
  type LinkUpdate,
} from '../files/api';
import {
  dateInputIn,
  dateInputToExpiry,
  deliveryWords,
  expiryToDateInput,
  kKindShort,
  kRoleWords,
  linkStateWords,
  recipientStateWords,
  roleWords,
} from './words';

type Say = (text: string, kind?: 'success' | 'error') => void;

function grantOrigin(g: AccessGrant): string {
  if (g.source === 'space') {
    const role = g.space_role ? `${g.space_role} of the space` : 'member of the space';
    return `${role} “${g.from.name}”`;
  }
  return g.inherited ? `shared on the folder “${g.from.name}”` : 'shared directly';
}

// One pending (or just decided) request for access, with Approve / Decline and the outcome.
export function RequestRow({ request, itemName, onDecided }: { request: AccessRequest; itemName?: string; onDecided?: (r: AccessRequest, words: string) => void }) {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ text: string; ok: boolean } | null>(null);
  const name = itemName ?? request.item?.name ?? 'this item';
  const decide = async (decision: 'approve' | 'decline') => {
    setBusy(true);
    try {
      await decideRequest(request.id, decision);
      const text =
        decision === 'approve'
          ? `Approved: ${request.address} can open ${name} and gets an invitation by email.`
          : `Declined: ${request.address} will not get access to ${name}.`;
      setOutcome({ text, ok: true });
      onDecided?.(request, text);
    } catch (e) {
      const p = problemOf(e);
      setOutcome({ text: p.status === 409 ? `This request was already answered. ${p.message}` : p.message, ok: false });
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class="request" data-address={request.address}>
      <p>
        <strong>{request.address}</strong> asked for access
        {itemName ? (
          ''
        ) : (
          <>
            {' '}
            to <a href={`/files/${request.item_id}`}>{name}</a>
          </>
        )}{' '}
        on {formatDateTime(request.created_at)}.
      </p>
      {request.message ? <blockquote class="request-message">{request.message}</blockquote> : <p class="muted small">No message.</p>}
      {outcome ? (
        <p class={outcome.ok ? 'outcome-ok' : 'field-error'} role="status">
          {outcome.text}
        </p>
      ) : request.state !== 'pending' ? (
        <p class="muted">{request.state === 'approved' ? 'Approved' : 'Declined'} {formatDate(request.decided_at)}.</p>
      ) : (
        <div class="row">
          <button type="button" class="primary" disabled={busy} onClick={() => void decide('approve')}>
            Approve<span class="visually-hidden"> {request.address}</span>
          </button>
          <button type="button" disabled={busy} onClick={() => void decide('decline')}>
            Decline<span class="visually-hidden"> {request.address}</span>
          </button>
        </div>
      )}
    </li>
  );
}

function RecipientRow({ link, r, active, say, reload }: { link: Link; r: LinkRecipient; active: boolean; say: Say; reload: () => void }) {
  const [busy, setBusy] = useState(false);
  const d = deliveryWords(r);
  return (
    <li class="recipient" data-address={r.address}>
      <div class="recipient-who">
        <strong class="recipient-address">{r.address}</strong>
        <span class="muted small"> {r.kind === 'member' ? 'member' : 'outside the organization'}</span>
      </div>
      <div class="recipient-state">
        <span class="badge">{recipientStateWords(r as LinkRecipient & { verified_at?: string | null; reverify_at?: string | null })}</span>{' '}
        <span class={`badge badge-${d.tone === 'ok' ? 'ok' : d.tone === 'bad' ? 'bad' : d.tone === 'info' ? 'warn' : ''} delivery-state`}>
          Invitation {d.text}
        </span>
        {r.expires_at && <span class="muted small"> · until {formatDate(r.expires_at)}</span>}
      </div>
      {active && (
        <div class="row">
          {r.delivery !== 'none' && (
            <button
              type="button"
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                try {
                  await resendInvitation(link.id, r.address);
                  say(`The invitation to ${r.address} is being sent again.`);
                  reload();
                } catch (e) {
                  say(problemOf(e).message, 'error');
                } finally {
                  setBusy(false);
                }
              }}
            >
              Resend invitation<span class="visually-hidden"> to {r.address}</span>
            </button>
          )}
          <button
            type="button"
            class="danger"
            aria-label={`Remove ${r.address}`}
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              try {
                await removeRecipient(link.id, r.address);
                say(`${r.address} can no longer open it through this link.`);
                reload();
              } catch (e) {
                say(problemOf(e).message, 'error');
                setBusy(false);
              }
            }}
          >
            Remove
          </button>
        </div>
      )}
    </li>
  );
}

function LinkCard({ link, say, reload }: { link: AccessReport['links'][number]; say: Say; reload: () => void }) {
  const ids = useId();
  const [role, setRole] = useState<LinkRole>(link.role);
  const [expires, setExpires] = useState(expiryToDateInput(link.expires_at));
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const revokeButton = useRef<HTMLButtonElement>(null);
  const revokeNow = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  useEffect(() => {
    // Keyboard focus follows the question: onto "Revoke now", and back to "Revoke link".
    if (confirming) revokeNow.current?.focus();
    else if (asked.current) revokeButton.current?.focus();
    asked.current = confirming;
  }, [confirming]);
  const active = link.state === 'active';
  const editable = link.state !== 'revoked' && link.kind !== 'existing';
  const changed = role !== link.role || expires !== expiryToDateInput(link.expires_at);
  const facts: string[] = [];
  if (link.has_password) facts.push('password protected');
  if (link.block_download) facts.push('view only, no download');
  if (link.kind !== 'specific' && link.last_used_at) facts.push(`last opened ${formatDate(link.last_used_at)}`);
  if (link.kind !== 'specific' && !link.last_used_at && link.kind !== 'existing') facts.push('never opened');

  return (
    <article class={`link-card link-${link.state}`} aria-labelledby={`lh-${ids}`} data-link={link.id}>
      <div class="spread">
        <h4 id={`lh-${ids}`}>
          {kKindShort[link.kind]} · {roleWords(link.role)}
        </h4>
        <span class={`badge ${active ? 'badge-ok' : 'badge-bad'}`}>{linkStateWords(link.state, link.effective_expires_at)}</span>
      </div>
      <p class="muted small">
        Created by {link.created_by.display_name} on {formatDate(link.created_at)}
        {facts.length ? ` · ${facts.join(' · ')}` : ''}
        {link.inherited ? ` · on the folder “${link.from.name}”, so it opens everything inside it` : ''}
      </p>
      {link.message && <blockquote class="request-message">{link.message}</blockquote>}
      {link.kind === 'specific' && (
        <ul class="list recipients" aria-label="Recipients">
          {link.recipients.length === 0 && <li class="muted">Nobody is left on this link.</li>}
          {link.recipients.map((r) => (
            <RecipientRow key={r.address} link={link} r={r} active={link.state !== 'revoked'} say={say} reload={reload} />
          ))}
        </ul>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      {editable && (
        <form
          class="link-edit"
          onSubmit={async (e) => {
            e.preventDefault();
            const change: LinkUpdate = {};
            if (role !== link.role) change.role = role;
            if (expires !== expiryToDateInput(link.expires_at)) change.expires_at = expires ? dateInputToExpiry(expires) : null;
            if (Object.keys(change).length === 0) return;
            setBusy(true);
            setError(null);
            try {
              await updateLink(link.id, change);
              say('The link was changed. It applies from the next time someone opens it.');
              reload();
            } catch (err) {
              setError(problemOf(err).message);
            } finally {
              setBusy(false);
            }
          }}
        >
          <details>
            <summary>Change access or expiry</summary>
            <div class="share-grid">
              <Select label="Access" value={role} onChange={(e) => setRole(e.currentTarget.value as LinkRole)}>
                <option value="view">{kRoleWords.view}</option>
                <option value="edit">{kRoleWords.edit}</option>
              </Select>
              <Field
                label="Expires on"
                type="date"
                value={expires}
                min={dateInputIn(0)}
                hint="Empty: no expiry (if the organization allows it)."
                onInput={(e) => setExpires(e.currentTarget.value)}
              />
            </div>
            <button type="submit" disabled={busy || !changed}>
              Save changes
            </button>
          </details>
        </form>
      )}
      {link.state !== 'revoked' &&
        (confirming ? (
          <div class="confirm" role="group" aria-label="Confirm revoking the link">
            <p>
              <strong>Revoke this link?</strong> Nobody can open {link.from.name} through it any more, including the people on it.
              This cannot be undone.
            </p>
            <div class="row">
              <button
                ref={revokeNow}
                type="button"
                class="primary danger"
                disabled={busy}
                onClick={async () => {
                  setBusy(true);
                  try {
                    await revokeLink(link.id);
                    say('The link was revoked. Nobody can open the item through it any more.');
                    reload();
                  } catch (e) {
                    setError(problemOf(e).message);
                    setBusy(false);
                  }
                }}
              >
                Revoke now
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Keep the link
              </button>
            </div>
          </div>
        ) : (
          <button ref={revokeButton} type="button" class="danger" onClick={() => setConfirming(true)}>
            Revoke link
          </button>
        ))}
    </article>
  );
}

export function AccessPanel({ itemId, onShare }: { itemId: number; onShare?: () => void }) {
  const [report, setReport] = useState<AccessReport | null>(null);
  const [requests, setRequests] = useState<AccessRequest[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<{ text: string; kind: 'success' | 'error'; at: number } | null>(null);
  const [version, setVersion] = useState(0);
  const noteRef = useRef<HTMLDivElement>(null);
  const reload = () => setVersion((v) => v + 1);
  const say: Say = (text, kind = 'success') => setNote({ text, kind, at: Date.now() });

  // What an action did is said where the focus goes (the button that did it may be gone).
  useEffect(() => {
    if (note) noteRef.current?.focus();
  }, [note]);

  useEffect(() => {
    let live = true;
    accessOf(itemId)
      .then((r) => live && setReport(r))
      .catch((e) => live && setError(problemOf(e).message));
    itemAccessRequests(itemId)
      .then((list) => live && setRequests(list.filter((r) => r.state === 'pending')))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [itemId, version]);

  if (error) return <Notice kind="error" title="Who has access could not be loaded">{error}</Notice>;
  if (!report) return <Loading what="Loading who has access" />;

  const live = report.links.filter((l) => l.state !== 'revoked');
  const revoked = report.links.filter((l) => l.state === 'revoked');
  return (
    <div class="access-panel">
      {note && (
        <div ref={noteRef} tabIndex={-1} class="access-note">
          <Notice kind={note.kind}>
            <p>{note.text}</p>
          </Notice>
        </div>
      )}
      {requests.length > 0 && (
        <section class="requests-here">
          <h3>Asking for access ({requests.length})</h3>
          <ul class="list">
            {requests.map((r) => (
              <RequestRow key={r.id} request={r} itemName={report.item.name} onDecided={() => window.setTimeout(reload, 1500)} />
            ))}
          </ul>
        </section>
      )}
      <section>
        <h3>People with access</h3>
        <ul class="list grants">
          {report.grants.map((g) => (
            <li key={`${g.source}-${g.id ?? g.principal.id}-${g.from.item_id}`} class="spread">
              <div>
                <strong>{g.principal.display_name}</strong> <span class="muted small">{g.principal.email}</span>
                <div class="small">
                  {roleWords(g.role)} · {grantOrigin(g)}
                </div>
              </div>
              {g.source === 'grant' && !g.inherited && g.id !== undefined && (
                <button
                  type="button"
                  class="danger"
                  onClick={async () => {
                    try {
                      await removeGrant(g.id!);
                      say(`${g.principal.display_name} no longer has access through this share.`);
                      reload();
                    } catch (e) {
                      say(problemOf(e).message, 'error');
                    }
                  }}
                >
                  Remove access<span class="visually-hidden"> for {g.principal.email}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      </section>
      <section>
        <div class="spread">
          <h3>Links ({live.length})</h3>
          {onShare && (
            <button type="button" onClick={onShare}>
              Share again
            </button>
          )}
        </div>
        {live.length === 0 && <p class="muted">No link opens this. Use “Share” to make one.</p>}
        {live.map((l) => (
          <LinkCard key={`${l.id}-${version}`} link={l} say={say} reload={reload} />
        ))}
        {revoked.length > 0 && (
          <details class="revoked">
            <summary>Revoked links ({revoked.length})</summary>
            {revoked.map((l) => (
              <LinkCard key={`${l.id}-${version}`} link={l} say={say} reload={reload} />
            ))}
          </details>
        )}
      </section>
    </div>
  );
}

export function ManageAccessDialog({ item, onClose, onShare }: { item: { id: number; name: string }; onClose: () => void; onShare?: () => void }) {
  return (
    <Dialog title={`Who can open ${item.name}`} open onClose={onClose} wide>
      <AccessPanel itemId={item.id} onShare={onShare} />
      <button type="button" onClick={onClose}>
        Close
      </button>
    </Dialog>
  );
}
