// One outside address in the admin center (`/admin/directory/{address}`): its record (state,
// aliases, when it proved itself, when a guest's access ends), everything it can open — through
// which link or team space, with what role, until when — and what an admin does about it: add or
// remove aliases, and "Revoke all", confirmed with what it will do and followed by what it did.
import { useRef, useState } from 'preact/hooks';
import { api, call, problemOf, type Schemas } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { formatDateTime } from '../../lib/format';
import { identityStateLabel, reachStateLabel, sentence } from './directory';
import { useLoad } from './useLoad';

type Record = Schemas['IdentityRecord'];
type Reach = Schemas['ReachEntry'];

function when(value: string | null | undefined, never = 'never'): string {
  return value ? formatDateTime(value) : never;
}

function ReachTable({ reach }: { reach: Reach[] }) {
  if (reach.length === 0) {
    return <p class="muted">This address can open nothing right now: no link lists it and it is in no team space.</p>;
  }
  return (
    <div class="table-wrap" role="region" aria-label="What this address can open" tabIndex={0}>
      <table class="stack-table">
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col">Through</th>
            <th scope="col">Access</th>
            <th scope="col">Until</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {reach.map((r) => (
            <tr key={`${r.via}-${r.link?.id ?? r.space?.id ?? 0}-${r.item.id}`}>
              <th scope="row" data-label="Item" class="cell-address">
                {r.item.name}
                <span class="small muted block">{r.item.kind === 'folder' ? 'Folder' : 'File'}</span>
              </th>
              <td data-label="Through">
                {r.link
                  ? `Specific link #${r.link.id}${r.link.created_by ? ` by ${r.link.created_by}` : ''}`
                  : r.space
                    ? `Team space (${r.space.role})`
                    : 'Direct grant'}
              </td>
              <td data-label="Access">{r.role === 'edit' ? 'Can edit' : r.role === 'manage' ? 'Can manage' : 'Can view'}</td>
              <td data-label="Until">{when(r.expires_at, 'no expiry')}</td>
              <td data-label="State">
                <span class={r.state === 'active' ? 'badge badge-ok' : 'badge badge-warn'}>{reachStateLabel(r.state)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AddressView({ address }: { address: string }) {
  const loaded = useLoad(
    async () =>
      (await call(
        api.GET('/api/v1/admin/external-identities/{address}', { params: { path: { address } } }),
      )) as Record,
    [address],
  );
  const [alias, setAlias] = useState('');
  const [aliasError, setAliasError] = useState<string | null>(null);
  const [result, setResult] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const resultRef = useRef<HTMLDivElement>(null);
  const announce = (r: { kind: 'success' | 'error'; text: string }) => {
    setResult(r);
    window.setTimeout(() => resultRef.current?.focus(), 0);
  };

  const back = (
    <p>
      <a href="/admin/directory">← All external addresses</a>
    </p>
  );
  if (loaded.loading && !loaded.data) return <Loading what={`Loading ${address}`} />;
  if (!loaded.data) {
    return (
      <>
        {back}
        <Notice kind="error" title={`${address} could not be shown.`}>
          <p>{sentence(loaded.problem?.message ?? '')}</p>
          <p>It may have been deleted, or its guest access may have expired. The list shows every address there is.</p>
        </Notice>
      </>
    );
  }
  const record = { ...loaded.data, address: loaded.data.address ?? address };
  const aliases = record.aliases ?? [];
  const active = record.reach.filter((r) => r.state === 'active');
  const links = record.reach.filter((r) => r.link).length;
  const spaces = record.reach.filter((r) => r.space).length;

  const saveAliases = async (next: string[], done: string) => {
    setBusy(true);
    setAliasError(null);
    try {
      await call(
        api.PATCH('/api/v1/admin/external-identities/{address}', {
          params: { path: { address: record.address } },
          body: { aliases: next },
        }),
      );
      setAlias('');
      announce({ kind: 'success', text: done });
      await loaded.reload();
    } catch (err) {
      setAliasError(`Nothing changed. ${sentence(problemOf(err).message)}`);
    } finally {
      setBusy(false);
    }
  };

  const revokeAll = async () => {
    setBusy(true);
    try {
      const r = await call(
        api.POST('/api/v1/admin/external-identities/{address}/revoke-all', {
          params: { path: { address: record.address } },
        }),
      );
      const parts = [
        `removed from ${r.links_changed} ${r.links_changed === 1 ? 'link' : 'links'}`,
        r.grants_removed ? `${r.grants_removed} other ${r.grants_removed === 1 ? 'grant' : 'grants'} removed` : '',
        r.spaces_left ? `taken out of ${r.spaces_left} team ${r.spaces_left === 1 ? 'space' : 'spaces'}` : '',
        `${r.sessions_ended} ${r.sessions_ended === 1 ? 'session' : 'sessions'} ended`,
      ].filter(Boolean);
      announce({
        kind: 'success',
        text: `${record.address} can open nothing any more: ${parts.join(', ')}. Its next click is refused. Sharing with it again works as for anyone.`,
      });
      await loaded.reload();
    } catch (err) {
      announce({ kind: 'error', text: `Nothing was revoked. ${sentence(problemOf(err).message)}` });
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <div class="address-view">
      {back}
      <h3 class="address-title">{record.address}</h3>
      <div ref={resultRef} tabIndex={-1} class="outcome">
        {result && <Notice kind={result.kind}>{result.text}</Notice>}
      </div>
      <dl class="facts">
        <div>
          <dt>State</dt>
          <dd>{identityStateLabel(record.state)}</dd>
        </div>
        <div>
          <dt>First verified</dt>
          <dd>{when(record.verified_at)}</dd>
        </div>
        <div>
          <dt>Last signed in</dt>
          <dd>{when(record.last_sign_in_at)}</dd>
        </div>
        {record.state === 'guest' && record.guest_since && (
          <div>
            <dt>Guest since</dt>
            <dd>{formatDateTime(record.guest_since)}</dd>
          </div>
        )}
        {record.state === 'guest' && (
          <div>
            <dt>Guest access ends</dt>
            <dd>
              {record.guest_expires_at
                ? `${formatDateTime(record.guest_expires_at)} unless they sign in again`
                : 'never (guest expiry is off)'}
            </dd>
          </div>
        )}
      </dl>

      <h3>What it can open</h3>
      <ReachTable reach={record.reach} />
      <p class="revoke-all">
        <button type="button" class="danger" disabled={busy || record.reach.length === 0} onClick={() => setConfirming(true)}>
          Revoke all access of {record.address}
        </button>
      </p>

      <h3>Aliases</h3>
      <p class="muted">
        Other addresses of the same person. Sharing with an alias reaches this record, and a code sent to an alias
        signs this person in.
      </p>
      {aliases.length === 0 ? (
        <p>No aliases.</p>
      ) : (
        <ul class="list alias-list">
          {aliases.map((a) => (
            <li key={a}>
              <span>{a}</span>{' '}
              <button
                type="button"
                disabled={busy}
                onClick={() =>
                  void saveAliases(
                    aliases.filter((x) => x !== a),
                    `${a} is no longer an alias of ${record.address}: it is a separate address again.`,
                  )
                }
              >
                Remove <span class="visually-hidden">alias {a}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          const a = alias.trim();
          if (!a) {
            setAliasError('Type the other address first, like ada.private@home.example.');
            return;
          }
          void saveAliases([...aliases, a], `${a} is now an alias of ${record.address}.`);
        }}
      >
        <Field
          label="Add an alias"
          type="email"
          name="alias"
          autoComplete="off"
          spellcheck={false}
          value={alias}
          error={aliasError ?? undefined}
          onInput={(e) => setAlias(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Add alias
        </button>
      </form>

      <Dialog title={`Revoke all access of ${record.address}?`} open={confirming} onClose={() => setConfirming(false)}>
        <p>
          <strong>{record.address}</strong> will be removed from{' '}
          {links > 0 ? `${links} ${links === 1 ? 'link' : 'links'}` : 'no link'}
          {spaces > 0 ? ` and ${spaces} team ${spaces === 1 ? 'space' : 'spaces'}` : ''}, and every session it has will
          end. {active.length > 0 ? `The ${active.length} ${active.length === 1 ? 'item' : 'items'} it can open now stop working on its next click.` : ''}
        </p>
        <p class="muted">
          The links stay for their other recipients, and their pages tell this address it was removed. The record stays
          in the directory ({identityStateLabel(record.state).toLowerCase()}), so something can be shared with it again
          later. To keep it from receiving anything, block it instead.
        </p>
        <div class="form-actions">
          <button type="button" class="primary danger" disabled={busy} onClick={() => void revokeAll()}>
            Revoke all
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      </Dialog>
    </div>
  );
}
