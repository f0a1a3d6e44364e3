// The external-sharing report: every way an item can be reached from outside, filtered by who
// shared it, the recipient's domain, the link type and when access ends; the same rows as CSV.
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { rawJson, type Schemas } from '../../api/client';
import { Field, Select } from '../../components/Field';
import { Loading } from '../../components/Loading';
import { Notice } from '../../components/Notice';
import { formatDateTime } from '../../lib/format';
import {
  apiQuery,
  filtersFromQuery,
  formFieldOf,
  kNoFilters,
  pageQuery,
  statusLabel,
  type ReportFilters,
} from './report';
import { identityStateLabel, sentence } from './directory';
import { useLoad } from './useLoad';
import { LoadFailed } from '../../components/LoadFailed';

const kEndpoint = '/api/v1/admin/reports/external-sharing';

const kFieldIds: Record<keyof ReportFilters, string> = {
  owner: 'report-owner',
  domain: 'report-domain',
  kind: 'report-kind',
  ends_before: 'report-ends-before',
};

export function ReportTab() {
  const { query, route } = useLocation();
  const applied = filtersFromQuery(query);
  const appliedKey = pageQuery(applied);
  const [form, setForm] = useState<ReportFilters>(applied);
  useEffect(() => setForm(applied), [appliedKey]);

  const loaded = useLoad(async () => {
    const q = apiQuery(applied);
    return (await rawJson<Schemas['ExternalShareList']>(`${kEndpoint}${q ? `?${q}` : ''}`)).items;
  }, [appliedKey]);

  const problem = loaded.problem;
  const badField = problem ? formFieldOf(problem.field) : null;
  useEffect(() => {
    if (badField) document.getElementById(kFieldIds[badField])?.focus();
  }, [problem, badField]);

  const apply = (f: ReportFilters) => {
    const q = pageQuery(f);
    route(`/admin/report${q ? `?${q}` : ''}`);
  };
  const csvQuery = apiQuery(applied, 'csv');
  const filtered = appliedKey !== '';
  const rows = loaded.data;

  return (
    <>
      <p class="muted">
        One row per way an item can be reached from outside the organization: each anyone link and each outside recipient
        of a link for specific people. Revoked links are not listed; a row that does not work right now says why.
      </p>
      <form
        class="filters card"
        noValidate
        aria-label="Filter the report"
        onSubmit={(e) => {
          e.preventDefault();
          apply(form);
        }}
      >
        <Field
          id={kFieldIds.owner}
          label="Shared by"
          hint="The member’s email address."
          type="email"
          name="owner"
          autoComplete="off"
          value={form.owner}
          error={badField === 'owner' && problem ? sentence(problem.message) : null}
          onInput={(e) => setForm({ ...form, owner: e.currentTarget.value })}
        />
        <Field
          id={kFieldIds.domain}
          label="Recipient domain"
          hint="Like partner.example; includes the domains below it."
          type="text"
          name="domain"
          autoComplete="off"
          autoCapitalize="none"
          spellcheck={false}
          value={form.domain}
          error={badField === 'domain' && problem ? sentence(problem.message) : null}
          onInput={(e) => setForm({ ...form, domain: e.currentTarget.value })}
        />
        <Select
          id={kFieldIds.kind}
          label="Link type"
          name="kind"
          value={form.kind}
          error={badField === 'kind' && problem ? sentence(problem.message) : null}
          onChange={(e) => setForm({ ...form, kind: e.currentTarget.value as ReportFilters['kind'] })}
        >
          <option value="">Any type</option>
          <option value="specific">Specific people</option>
          <option value="anyone">Anyone with the link</option>
        </Select>
        <Field
          id={kFieldIds.ends_before}
          label="Access ends before"
          hint="Rows that end before this day, already ended ones included."
          type="date"
          name="ends_before"
          value={form.ends_before}
          error={badField === 'ends_before' && problem ? sentence(problem.message) : null}
          onInput={(e) => setForm({ ...form, ends_before: e.currentTarget.value })}
        />
        <div class="form-actions">
          <button type="submit" class="primary">
            Show report
          </button>
          {filtered && (
            <button type="button" onClick={() => apply(kNoFilters)}>
              Clear filters
            </button>
          )}
        </div>
      </form>

      {problem && !badField && (
        <LoadFailed
          title="The report could not be loaded."
          problem={problem}
          message={sentence(problem.message)}
          retry={loaded.reload}
        />
      )}
      {problem && badField && (
        <Notice kind="error">The report was not made: check the highlighted filter.</Notice>
      )}
      {loaded.loading && <Loading what="Making the report" />}

      {rows && !problem && (
        <>
          <div class="spread report-head">
            <p class="report-count" aria-live="polite">
              {rows.length === 0
                ? filtered
                  ? 'Nothing shared outside matches these filters.'
                  : 'Nothing is shared outside the organization.'
                : `${rows.length} ${rows.length === 1 ? 'way' : 'ways'} in from outside${filtered ? ' match these filters' : ''}.`}
            </p>
            <a class="button" href={`${kEndpoint}?${csvQuery}`} download>
              Download CSV
            </a>
          </div>
          {rows.length > 0 && (
            <div class="table-wrap" role="region" aria-label="Externally shared items" tabIndex={0}>
              <table class="stack-table">
                <thead>
                  <tr>
                    <th scope="col">Item</th>
                    <th scope="col">Shared by</th>
                    <th scope="col">Link</th>
                    <th scope="col">Recipient</th>
                    <th scope="col">Access ends</th>
                    <th scope="col">Used</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={`${r.link_id}-${r.recipient ?? ''}`}>
                      <th scope="row" data-label="Item">
                        {r.item_name}
                        <span class="small muted block">{r.item_path}</span>
                      </th>
                      <td data-label="Shared by">
                        {r.shared_by_name}
                        <span class="small muted block">{r.shared_by_email}</span>
                      </td>
                      <td data-label="Link">
                        {r.kind === 'anyone' ? 'Anyone with the link' : 'Specific people'}
                        <span class="small muted block">
                          {r.role === 'edit' ? 'Can edit' : 'Can view'}
                          {r.block_download ? ', no download' : ''}
                          {r.has_password ? ', password' : ''}
                        </span>
                      </td>
                      <td data-label="Recipient">
                        {r.recipient ?? 'whoever holds the link'}
                        {r.recipient_state && <span class="small muted block">{identityStateLabel(r.recipient_state)}</span>}
                      </td>
                      <td data-label="Access ends">{r.expires_at ? formatDateTime(r.expires_at) : 'never'}</td>
                      <td data-label="Used">
                        {r.last_used_at ? `last ${formatDateTime(r.last_used_at)}` : 'never opened'}
                        {r.first_used_at && r.first_used_at !== r.last_used_at && (
                          <span class="small muted block">first {formatDateTime(r.first_used_at)}</span>
                        )}
                      </td>
                      <td data-label="Status">
                        <span class={r.status === 'active' ? 'badge badge-ok' : 'badge badge-warn'}>
                          {statusLabel(r.status)}
                        </span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </>
  );
}

