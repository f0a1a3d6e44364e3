// The external directory: every outside address anything was shared with, its state, when it
// proved itself, its run of wrong codes; and what an admin can do to it — block or unblock,
// promote to guest or end guest access, lift a code block, delete — each followed by what it
// did, in words. Each
// address opens its own view (AddressView): what it reaches, aliases, revoke all.
import { useRef, useState } from 'preact/hooks';
import { api, call, problemOf, type Schemas } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { Field, Select } from '../../components/Field';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { formatDateTime } from '../../lib/format';
import {
  addressPath,
  filterIdentities,
  identityStateLabel,
  sentence,
  type IdentityFilter,
  type IdentityRow,
} from './directory';
import { useLoad } from './useLoad';
import { LoadFailed } from '../../components/LoadFailed';

type Identity = Schemas['ExternalIdentity'] & IdentityRow;
type Action = 'block' | 'unblock' | 'promote' | 'demote' | 'lift' | 'delete';

function badgeClass(state: string | undefined): string {
  if (state === 'blocked') return 'badge badge-bad';
  if (state === 'verified' || state === 'guest') return 'badge badge-ok';
  return 'badge badge-warn';
}

export function DirectoryTab() {
  const loaded = useLoad(async () => {
    const data = await call(api.GET('/api/v1/admin/external-identities'));
    return (data.identities ?? []) as Identity[];
  });
  const [query, setQuery] = useState('');
  const [state, setState] = useState<IdentityFilter>('all');
  const [result, setResult] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<Identity | null>(null);
  const resultRef = useRef<HTMLDivElement>(null);

  const act = async (who: Identity, action: Action) => {
    const address = who.address ?? '';
    const path = { params: { path: { address } } };
    setBusy(address);
    setResult(null);
    try {
      if (action === 'delete') {
        await call(api.DELETE('/api/v1/admin/external-identities/{address}', path));
      } else {
        const body =
          action === 'block'
            ? { state: 'blocked' as const }
            : action === 'unblock'
              ? { state: who.verified_at ? ('verified' as const) : ('pending' as const) }
              : action === 'promote'
                ? { state: 'guest' as const }
                : action === 'demote'
                  ? { state: who.verified_at ? ('verified' as const) : ('pending' as const) }
                  : { lift_block: true };
        await call(api.PATCH('/api/v1/admin/external-identities/{address}', { ...path, body }));
      }
      const words: Record<Action, string> = {
        block: `${address} is blocked: it can no longer open anything shared with it, from its very next click, and no codes are sent to it.`,
        unblock: `${address} is unblocked: what is still shared with it works again${who.verified_at ? '' : ' once it confirms the address with a code'}.`,
        promote: `${address} is now a guest: it signs in at the front page with a code sent to it, and can be added to team spaces.`,
        demote: `${address} is no longer a guest: it was signed out everywhere, and its team spaces stay closed to it unless it is made a guest again. What is shared with it opens once it confirms the address with a new code.`,
        lift: `The code block on ${address} is lifted: its wrong tries are forgotten and codes are sent to it again.`,
        delete: `${address} was deleted from the directory: everything shared with it stopped working, and its codes and sessions ended.`,
      };
      setResult({ kind: 'success', text: words[action] });
      await loaded.reload();
    } catch (err) {
      setResult({ kind: 'error', text: `Nothing changed for ${address}. ${sentence(problemOf(err).message)}` });
    } finally {
      setBusy(null);
      setConfirmDelete(null);
      window.setTimeout(() => resultRef.current?.focus(), 0);
    }
  };

  if (loaded.loading && !loaded.data) return <Loading what="Loading the external directory" />;
  if (!loaded.data) {
    return (
      <LoadFailed title="The external directory could not be loaded." problem={loaded.problem} retry={loaded.reload} />
    );
  }
  const all = loaded.data;
  const shown = filterIdentities(all, query, state);

  return (
    <>
      <p class="muted">
        Every address outside the organization that something was shared with. Blocking or deleting an address ends its
        access on its very next request.
      </p>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field
          label="Search addresses and aliases"
          type="search"
          name="q"
          autoComplete="off"
          spellcheck={false}
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <Select
          label="State"
          name="state"
          value={state}
          onChange={(e) => setState(e.currentTarget.value as IdentityFilter)}
        >
          <option value="all">All states</option>
          <option value="pending">Pending: never opened</option>
          <option value="verified">Verified</option>
          <option value="guest">Guest</option>
          <option value="blocked">Blocked</option>
          <option value="codes_blocked">Codes blocked</option>
        </Select>
      </form>
      <div ref={resultRef} tabIndex={-1} class="outcome">
        {result && <Notice kind={result.kind}>{result.text}</Notice>}
      </div>
      <p class="small muted" aria-live="polite">
        {all.length === 0
          ? 'Nothing has been shared outside the organization yet.'
          : shown.length === all.length
            ? `${all.length} ${all.length === 1 ? 'address' : 'addresses'}.`
            : `${shown.length} of ${all.length} addresses match.`}
      </p>
      {all.length > 0 && shown.length === 0 && (
        <p>
          No address matches.{' '}
          <button
            type="button"
            class="link-button"
            onClick={() => {
              setQuery('');
              setState('all');
            }}
          >
            Show all addresses
          </button>
        </p>
      )}
      {shown.length > 0 && (
        <div class="table-wrap" role="region" aria-label="External addresses" tabIndex={0}>
          <table class="stack-table">
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">State</th>
                <th scope="col">First verified</th>
                <th scope="col">Last signed in</th>
                <th scope="col">Wrong codes</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((who) => {
                const address = who.address ?? '';
                const disabled = busy !== null;
                return (
                  <tr key={address}>
                    <th scope="row" data-label="Address" class="cell-address">
                      <a href={addressPath(address)}>
                        {address}
                        <span class="visually-hidden">: what it can open, aliases, revoke all</span>
                      </a>
                      {(who.aliases ?? []).length > 0 && (
                        <span class="small muted block">also {(who.aliases ?? []).join(', ')}</span>
                      )}
                      {typeof who.shares === 'number' && (
                        <span class="small muted block">
                          on {who.shares} {who.shares === 1 ? 'link' : 'links'}
                        </span>
                      )}
                    </th>
                    <td data-label="State">
                      <span class={badgeClass(who.state)}>{identityStateLabel(who.state)}</span>
                    </td>
                    <td data-label="First verified">{who.verified_at ? formatDateTime(who.verified_at) : 'never'}</td>
                    <td data-label="Last signed in">
                      {who.last_sign_in_at
                        ? formatDateTime(who.last_sign_in_at)
                        : who.verified_at
                          ? '—'
                          : 'never'}
                    </td>
                    <td data-label="Wrong codes">
                      {who.consecutive_failures ?? 0} in a row
                      {who.codes_blocked && (
                        <span class="block">
                          <span class="badge badge-bad">Codes blocked</span>
                        </span>
                      )}
                    </td>
                    <td data-label="Actions">
                      <div class="row-actions">
                        {who.state === 'blocked' ? (
                          <button type="button" disabled={disabled} onClick={() => void act(who, 'unblock')}>
                            Unblock <span class="visually-hidden">{address}</span>
                          </button>
                        ) : (
                          <button
                            type="button"
                            class="danger"
                            disabled={disabled}
                            onClick={() => void act(who, 'block')}
                          >
                            Block <span class="visually-hidden">{address}</span>
                          </button>
                        )}
                        {who.state !== 'guest' && who.state !== 'blocked' && (
                          <button type="button" disabled={disabled} onClick={() => void act(who, 'promote')}>
                            Promote to guest <span class="visually-hidden">{address}</span>
                          </button>
                        )}
                        {who.state === 'guest' && (
                          <button type="button" disabled={disabled} onClick={() => void act(who, 'demote')}>
                            End guest access <span class="visually-hidden">of {address}</span>
                          </button>
                        )}
                        {who.codes_blocked && (
                          <button type="button" disabled={disabled} onClick={() => void act(who, 'lift')}>
                            Lift code block <span class="visually-hidden">for {address}</span>
                          </button>
                        )}
                        <button
                          type="button"
                          class="danger"
                          disabled={disabled}
                          onClick={() => setConfirmDelete(who)}
                        >
                          Delete <span class="visually-hidden">{address}</span>
                        </button>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <Dialog
        title={`Delete ${confirmDelete?.address ?? ''}?`}
        open={confirmDelete !== null}
        onClose={() => setConfirmDelete(null)}
      >
        {confirmDelete && (
          <>
            <p>
              This removes <strong>{confirmDelete.address}</strong> from the external directory, with everything shared
              with it: it can no longer open any item, from its very next request, and its codes and sessions end.
            </p>
            <p class="muted">
              The links stay for their other recipients. If someone shares with this address again, it starts over as
              pending and must confirm the address with a new code. To stop access for now but keep the record, block it
              instead.
            </p>
            <div class="form-actions">
              <button
                type="button"
                class="primary danger"
                disabled={busy !== null}
                onClick={() => void act(confirmDelete, 'delete')}
              >
                Delete address
              </button>
              <button type="button" onClick={() => setConfirmDelete(null)}>
                Cancel
              </button>
            </div>
          </>
        )}
      </Dialog>
    </>
  );
}
