// The external-sharing report's filters: what the form holds (and the page's address keeps, so
// a filtered report can be bookmarked), and the API query made from it. Pure, unit-tested.

export interface ReportFilters {
  owner: string;
  domain: string;
  kind: '' | 'anyone' | 'specific';
  // A day, "2030-01-31": rows whose access ends before the start of that day (local time).
  ends_before: string;
}

export const kNoFilters: ReportFilters = { owner: '', domain: '', kind: '', ends_before: '' };

export function filtersFromQuery(query: Record<string, string | undefined>): ReportFilters {
  const kind = query.kind === 'anyone' || query.kind === 'specific' ? query.kind : '';
  return {
    owner: query.owner ?? '',
    domain: query.domain ?? '',
    kind,
    ends_before: query.ends_before ?? '',
  };
}

// The page's own query string ("" when nothing is filtered).
export function pageQuery(f: ReportFilters): string {
  const q = new URLSearchParams();
  if (f.owner.trim()) q.set('owner', f.owner.trim());
  if (f.domain.trim()) q.set('domain', f.domain.trim());
  if (f.kind) q.set('kind', f.kind);
  if (f.ends_before.trim()) q.set('ends_before', f.ends_before.trim());
  return q.toString();
}

// "2030-01-31" -> the RFC 3339 instant of local midnight that day; other text goes to the
// server as typed so that its message says what is wrong with it.
export function endsBeforeInstant(day: string): string {
  const t = day.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (!m) return t;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(d.getTime()) ? t : d.toISOString().replace(/\.000Z$/, 'Z');
}

export function apiQuery(f: ReportFilters, format: 'json' | 'csv' = 'json'): string {
  const q = new URLSearchParams();
  if (f.owner.trim()) q.set('owner', f.owner.trim());
  if (f.domain.trim()) q.set('domain', f.domain.trim());
  if (f.kind) q.set('kind', f.kind);
  if (f.ends_before.trim()) q.set('expires_before', endsBeforeInstant(f.ends_before));
  if (format === 'csv') q.set('format', 'csv');
  return q.toString();
}

// The server names its parameters; the form names its fields.
export function formFieldOf(apiField: string | undefined): keyof ReportFilters | null {
  switch (apiField) {
    case 'owner':
    case 'domain':
    case 'kind':
      return apiField;
    case 'expires_before':
      return 'ends_before';
    default:
      return null;
  }
}

export function statusLabel(status: string): string {
  switch (status) {
    case 'active':
      return 'Works now';
    case 'in_trash':
      return 'In the trash';
    case 'expired':
      return 'Expired';
    case 'blocked':
      return 'Address blocked';
    case 'off_by_policy':
      return 'Off by policy';
    default:
      return status;
  }
}
