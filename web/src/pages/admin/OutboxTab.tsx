// The outbox: the newest emails with their delivery — failed ones first, with the relay's
// answer, so an admin sees at once whose invitation or code never arrived and why.
import { api, call } from '../../api/client';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { formatDateTime } from '../../lib/format';
import { outboxKindLabel, outboxStateLabel, sortOutbox } from './outbox';
import { useLoad } from './useLoad';
import { LoadFailed } from '../../components/LoadFailed';

const kLimit = 200;

function badge(state: string | undefined): string {
  if (state === 'failed') return 'badge badge-bad';
  if (state === 'sent') return 'badge badge-ok';
  return 'badge badge-warn';
}

export function OutboxTab() {
  const loaded = useLoad(async () => {
    const data = await call(api.GET('/api/v1/admin/outbox', { params: { query: { limit: kLimit } } }));
    return sortOutbox(data.messages ?? []);
  });
  if (loaded.loading && !loaded.data) return <Loading what="Loading the outbox" />;
  if (!loaded.data) {
    return (
      <LoadFailed title="The outbox could not be loaded." problem={loaded.problem} retry={loaded.reload} />
    );
  }
  const rows = loaded.data;
  const failed = rows.filter((m) => m.state === 'failed').length;
  const waiting = rows.filter((m) => m.state === 'queued').length;

  return (
    <>
      <p class="muted">
        Every email Vestibule sends — invitations, codes, notifications — is written here first and then handed to the
        mail relay, with retries. The newest {kLimit} are shown.
      </p>
      <div class="spread">
        {rows.length === 0 ? (
          <p>No email has been sent yet.</p>
        ) : failed > 0 ? (
          <Notice kind="error" title={`${failed} ${failed === 1 ? 'email' : 'emails'} could not be delivered.`}>
            <p>
              They are listed first, with the relay’s answer saying why. The person did not get them: check the address
              with whoever shared, or the mail relay’s settings.
            </p>
          </Notice>
        ) : (
          <p>
            No failed mail.{waiting > 0 ? ` ${waiting} waiting to be sent (retried with back-off).` : ''}
          </p>
        )}
        <button type="button" disabled={loaded.loading} onClick={() => void loaded.reload()}>
          {loaded.loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      {rows.length > 0 && (
        <div class="table-wrap" role="region" aria-label="Outbox messages" tabIndex={0}>
          <table class="stack-table">
            <thead>
              <tr>
                <th scope="col">State</th>
                <th scope="col">To</th>
                <th scope="col">Subject</th>
                <th scope="col">Relay’s answer</th>
                <th scope="col">Written</th>
                <th scope="col">Sent or next try</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => (
                <tr key={m.id} class={m.state === 'failed' ? 'row-failed' : undefined}>
                  <td data-label="State">
                    <span class={badge(m.state)}>{outboxStateLabel(m.state)}</span>
                    <span class="small muted block">
                      {outboxKindLabel(m.kind)}, {m.attempts ?? 0} {m.attempts === 1 ? 'attempt' : 'attempts'}
                    </span>
                  </td>
                  <th scope="row" data-label="To" class="cell-address">
                    {m.to}
                  </th>
                  <td data-label="Subject">{m.subject}</td>
                  <td data-label="Relay’s answer" class="cell-answer">
                    {m.last_error ? m.last_error : <span class="muted">—</span>}
                  </td>
                  <td data-label="Written">{formatDateTime(m.created_at)}</td>
                  <td data-label="Sent or next try">
                    {m.state === 'queued'
                      ? `next try ${formatDateTime(m.next_attempt_at)}`
                      : m.finished_at
                        ? formatDateTime(m.finished_at)
                        : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
