// Sessions: find anyone's live sessions — members' and external recipients' or guests' — by
// person (email or address) or client address (GET /api/v1/admin/sessions), and end one
// (DELETE /api/v1/admin/sessions/{id}): that browser is refused from its next request.
import { useState } from 'preact/hooks';
import { api, call, problemOf, type Schemas } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { Field, Select } from '../../components/Field';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { formatDateTime } from '../../lib/format';
import { describeAgent } from '../account/agent';
import { sentence } from './directory';
import { useLoad } from './useLoad';
import { LoadFailed } from '../../components/LoadFailed';

type Session = Schemas['SessionInfo'];
interface Filter {
  principal: string;
  client: string;
  kind: '' | 'member' | 'recipient';
}

export function SessionsTab() {
  const [draft, setDraft] = useState<Filter>({ principal: '', client: '', kind: '' });
  const [filter, setFilter] = useState<Filter>(draft);
  const loaded = useLoad(async () => {
    const query: { principal?: string; client?: string; kind?: 'member' | 'recipient' } = {};
    if (filter.principal.trim()) query.principal = filter.principal.trim();
    if (filter.client.trim()) query.client = filter.client.trim();
    if (filter.kind) query.kind = filter.kind;
    return (await call(api.GET('/api/v1/admin/sessions', { params: { query } }))).sessions;
  }, [filter]);
  const [ending, setEnding] = useState<Session | null>(null);
  const [result, setResult] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const end = async (s: Session) => {
    setBusy(true);
    try {
      await call(api.DELETE('/api/v1/admin/sessions/{id}', { params: { path: { id: s.id } } }));
      setResult({
        kind: 'success',
        text: `Ended the session of ${s.principal.email} on ${describeAgent(s.user_agent)} (${s.client}). That browser is refused from its next request.`,
      });
      await loaded.reload();
    } catch (err) {
      setResult({ kind: 'error', text: `The session was not ended. ${sentence(problemOf(err).message)}` });
    } finally {
      setBusy(false);
      setEnding(null);
    }
  };

  return (
    <>
      <p class="muted">
        Everyone who is signed in: members with a password, and people outside the organization with an email code.
        Ending a session signs that browser out at once; to keep someone out, also disable the member or block the
        address.
      </p>
      <form
        class="filters"
        role="search"
        aria-label="Find sessions"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter({ ...draft });
        }}
      >
        <Field
          id="sessions-principal"
          label="Person"
          hint="Part of a member's email or a recipient's address."
          type="search"
          value={draft.principal}
          onInput={(e) => setDraft({ ...draft, principal: e.currentTarget.value })}
        />
        <Field
          id="sessions-client"
          label="Client address"
          hint="Part of the IP address the session signed in from."
          type="search"
          value={draft.client}
          onInput={(e) => setDraft({ ...draft, client: e.currentTarget.value })}
        />
        <Select
          id="sessions-kind"
          label="Kind"
          value={draft.kind}
          onChange={(e) => setDraft({ ...draft, kind: e.currentTarget.value as Filter['kind'] })}
        >
          <option value="">Members and people outside</option>
          <option value="member">Members</option>
          <option value="recipient">People outside (email code)</option>
        </Select>
        <div class="form-actions">
          <button type="submit" class="primary">
            Find sessions
          </button>
        </div>
      </form>
      <div class="outcome" aria-live="polite">
        {result && <Notice kind={result.kind}>{result.text}</Notice>}
      </div>
      {loaded.loading && !loaded.data ? (
        <Loading what="Loading the sessions" />
      ) : !loaded.data ? (
        <LoadFailed title="The sessions could not be loaded." problem={loaded.problem} retry={loaded.reload} />
      ) : loaded.data.length === 0 ? (
        <p class="muted">No session matches.</p>
      ) : (
        <>
          <p class="muted">
            {loaded.data.length} {loaded.data.length === 1 ? 'session' : 'sessions'}, newest first.
          </p>
          <div class="table-wrap" role="region" aria-label="Sessions found" tabIndex={0}>
            <table class="stack-table">
              <thead>
                <tr>
                  <th scope="col">Person</th>
                  <th scope="col">Device</th>
                  <th scope="col">Client address</th>
                  <th scope="col">Signed in</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Ends</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {loaded.data.map((s) => (
                  <tr key={s.id} data-session={s.id}>
                    <th scope="row" data-label="Person" class="cell-address">
                      {s.principal.email}
                      <span class="block small muted">
                        {s.kind === 'member' ? 'Member, password' : 'Outside, email code'}
                        {s.current ? ' · this browser' : ''}
                      </span>
                    </th>
                    <td data-label="Device" title={s.user_agent}>
                      {describeAgent(s.user_agent)}
                    </td>
                    <td data-label="Client address" class="cell-address">
                      {s.client || 'Unknown'}
                    </td>
                    <td data-label="Signed in">{formatDateTime(s.created_at)}</td>
                    <td data-label="Last used">{s.last_seen_at ? formatDateTime(s.last_seen_at) : 'Not recorded'}</td>
                    <td data-label="Ends">{formatDateTime(s.expires_at)}</td>
                    <td data-label="Actions">
                      <div class="row-actions">
                        <button type="button" class="danger" disabled={busy} onClick={() => setEnding(s)}>
                          End session <span class="visually-hidden">of {s.principal.email}</span>
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <Dialog title="End this session?" open={ending !== null} onClose={() => setEnding(null)}>
        {ending && (
          <>
            <p>
              <strong>{ending.principal.email}</strong> on {describeAgent(ending.user_agent)} ({ending.client}) is signed
              out at once{ending.current ? ' — this is your own browser, so you will be signed out too' : ''}. They can
              sign in again{ending.kind === 'member' ? ' with their password' : ' with a new code'}.
            </p>
            <div class="form-actions">
              <button type="button" class="primary danger" disabled={busy} onClick={() => void end(ending)}>
                End session
              </button>
              <button type="button" onClick={() => setEnding(null)}>
                Cancel
              </button>
            </div>
          </>
        )}
      </Dialog>
    </>
  );
}
