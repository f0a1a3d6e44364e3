// The audit log: every security-relevant event, newest first, filtered by event, person or
// target; a check of the whole chain that says in words whether the log is intact or where it
// was changed; the CSV of what the filter shows; and erasing one person's data on request.
import { useRef, useState } from 'preact/hooks';
import { api, call, problemOf, type Schemas } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { formatDateTime } from '../../lib/format';
import { auditActor, auditDetails, auditQuery, auditTarget, type AuditFilter } from './audit';
import { useLoad } from './useLoad';
import { LoadFailed } from '../../components/LoadFailed';

type Entry = Schemas['AuditEntry'];
type Verdict = Schemas['AuditVerdict'];
type Page = Schemas['AuditPage'];

const kEmpty: AuditFilter = { event: '', actor: '', target: '' };

export function AuditTab() {
  const [draft, setDraft] = useState<AuditFilter>(kEmpty);
  const [filter, setFilter] = useState<AuditFilter>(kEmpty);
  const [older, setOlder] = useState<{ entries: Entry[]; cursor: string | null }>({ entries: [], cursor: null });
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const [checking, setChecking] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [erasing, setErasing] = useState('');
  const [confirmErase, setConfirmErase] = useState(false);
  const [erased, setErased] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const verdictRef = useRef<HTMLDivElement>(null);

  const loaded = useLoad(async () => {
    // JSON without format=csv (the document also lists the CSV answer).
    const data = (await call(api.GET('/api/v1/admin/audit', { params: { query: auditQuery(filter) } }))) as Page;
    setOlder({ entries: [], cursor: data.next_cursor ?? null });
    return data.entries ?? [];
  }, [filter.event, filter.actor, filter.target]);

  const loadOlder = async () => {
    if (!older.cursor) return;
    try {
      const data = (await call(
        api.GET('/api/v1/admin/audit', { params: { query: { ...auditQuery(filter), cursor: older.cursor } } }),
      )) as Page;
      setOlder({ entries: [...older.entries, ...(data.entries ?? [])], cursor: data.next_cursor ?? null });
    } catch (err) {
      setProblem(problemOf(err).message);
    }
  };

  const verify = async () => {
    setChecking(true);
    setVerdict(null);
    try {
      setVerdict(await call(api.GET('/api/v1/admin/audit/verify')));
    } catch (err) {
      setProblem(problemOf(err).message);
    } finally {
      setChecking(false);
      window.setTimeout(() => verdictRef.current?.focus(), 0);
    }
  };

  const erase = async () => {
    const address = erasing.trim();
    setConfirmErase(false);
    try {
      const done = await call(
        api.POST('/api/v1/admin/external-identities/{address}/erase', { params: { path: { address } } }),
      );
      setErased({
        kind: 'success',
        text: `The personal data of ${address} is erased: its directory record, codes, mail and requests are gone, and ${done.audit_entries} audit ${done.audit_entries === 1 ? 'entry no longer names' : 'entries no longer name'} it. The log still verifies.`,
      });
      setErasing('');
      await loaded.reload();
    } catch (err) {
      setErased({ kind: 'error', text: `Nothing was erased. ${problemOf(err).message}` });
    }
  };

  const rows = [...(loaded.data ?? []), ...older.entries];
  const csv = `/api/v1/admin/audit?${new URLSearchParams({ ...auditQuery(filter), format: 'csv' }).toString()}`;

  return (
    <>
      <p class="muted">
        Every sign-in, code, share, change and download is written here with who did it, from where, and when. Each
        entry is sealed to the one before it, so a change to the stored log is found by the check below.
      </p>
      <div class="spread">
        <button type="button" onClick={() => void verify()} disabled={checking}>
          {checking ? 'Checking the log…' : 'Check the log is intact'}
        </button>
        <a class="button" href={csv} download>
          Download CSV
        </a>
      </div>
      <div ref={verdictRef} tabIndex={-1}>
        {verdict &&
          (verdict.ok ? (
            <Notice kind="success" title="The audit log is intact.">
              <p>All {verdict.entries} entries match their seals: nothing was changed, removed, added or reordered.</p>
            </Notice>
          ) : (
            <Notice kind="error" title={`The audit log was changed at entry ${verdict.first_bad}.`}>
              <p>{verdict.reason}.</p>
              <p>
                Entries from {verdict.first_bad} on cannot be trusted. Compare with a backup of the database and the
                head you kept (`vestibule audit head`), and find who could write the data folder.
              </p>
            </Notice>
          ))}
      </div>
      {problem && (
        <Notice kind="error" title="That did not work.">
          <p>{problem}</p>
        </Notice>
      )}
      <form
        class="filters card"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter({ ...draft });
        }}
      >
        <Field
          label="Event"
          hint="For example link.revoked, or link. for every link event"
          value={draft.event}
          onInput={(e) => setDraft({ ...draft, event: (e.target as HTMLInputElement).value })}
        />
        <Field
          label="Who did it"
          hint="An email address"
          value={draft.actor}
          onInput={(e) => setDraft({ ...draft, actor: (e.target as HTMLInputElement).value })}
        />
        <Field
          label="About"
          hint="An email address, or link:12"
          value={draft.target}
          onInput={(e) => setDraft({ ...draft, target: (e.target as HTMLInputElement).value })}
        />
        <button type="submit">Show</button>
      </form>
      {loaded.loading && !loaded.data ? (
        <Loading what="Loading the audit log" />
      ) : !loaded.data ? (
        <LoadFailed title="The audit log could not be loaded." problem={loaded.problem} retry={loaded.reload} />
      ) : rows.length === 0 ? (
        <p>No entries match.</p>
      ) : (
        <div class="table-wrap" role="region" aria-label="Audit log entries" tabIndex={0}>
          <table class="stack-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Who</th>
                <th scope="col">About</th>
                <th scope="col">From</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id}>
                  <td data-label="When">{formatDateTime(e.at)}</td>
                  <th scope="row" data-label="Event">
                    <code>{e.event}</code>
                  </th>
                  <td data-label="Who">{auditActor(e)}</td>
                  <td data-label="About">{auditTarget(e)}</td>
                  <td data-label="From">{e.client_ip || '—'}</td>
                  <td data-label="Details">
                    {auditDetails(e)}
                    {e.erased && (
                      <span class="muted">
                        {' '}
                        Erased on {formatDateTime(e.erased.at)}, by {e.erased.by}.
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {older.cursor && (
        <button type="button" onClick={() => void loadOlder()}>
          Show older entries
        </button>
      )}
      <h2>Erase one person’s data</h2>
      <p class="muted">
        When someone outside asks to be forgotten: their directory record, codes, mail and requests are deleted, and
        the audit log keeps its entries but no longer says who they were or where they connected from.
      </p>
      <form
        class="filters card"
        onSubmit={(e) => {
          e.preventDefault();
          if (erasing.trim()) setConfirmErase(true);
        }}
      >
        <Field
          label="Email address"
          type="email"
          value={erasing}
          onInput={(e) => setErasing((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="danger" disabled={!erasing.trim()}>
          Erase…
        </button>
      </form>
      {erased && (
        <Notice kind={erased.kind} title={erased.kind === 'success' ? 'Erased.' : 'Not erased.'}>
          <p>{erased.text}</p>
        </Notice>
      )}
      <Dialog title={`Erase ${erasing.trim()}?`} open={confirmErase} onClose={() => setConfirmErase(false)}>
        <p>
          Everything shared with <strong>{erasing.trim()}</strong> stops working at once, and what it did can no longer
          be traced to it. This cannot be undone.
        </p>
        <div class="form-actions">
          <button type="button" class="primary danger" onClick={() => void erase()}>
            Erase personal data
          </button>
          <button type="button" onClick={() => setConfirmErase(false)}>
            Cancel
          </button>
        </div>
      </Dialog>
    </>
  );
}
