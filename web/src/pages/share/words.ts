// What the sharing pages say about links, recipients and their emails, in the words of SPEC and
// UX.md ("pending — never opened", "verified outside (last seen 3 Dec)", "failed: <relay's
// answer>"). Pure functions, unit-tested beside (words.test.ts).
import { formatDate, formatDateTime, parseDuration, toDate } from '../../lib/format';
import type { ExpiryLimits, LinkKind, LinkRecipient, LinkRole, RecipientCheck } from '../files/api';

export const kKindWords: Record<LinkKind, string> = {
  specific: 'Only the people you add',
  anyone: 'Anyone with the link',
  organization: 'People in the organization',
  existing: 'People who already have access',
};

export const kKindShort: Record<LinkKind, string> = {
  specific: 'Specific people',
  anyone: 'Anyone with the link',
  organization: 'Organization',
  existing: 'Existing access',
};

export const kRoleWords: Record<LinkRole, string> = { view: 'Can view', edit: 'Can edit' };

export function roleWords(role: string): string {
  if (role === 'manage') return 'Can share';
  return kRoleWords[role as LinkRole] ?? role;
}

// Addresses typed into "Add people": split on commas, semicolons, spaces and new lines.
export function splitAddresses(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((a) => a.trim().replace(/^<|>$/g, ''))
    .filter(Boolean);
}

export type ChipTone = 'ok' | 'info' | 'refused' | 'checking';

// What a recipient chip says while the address is being typed: who this is, or why it is refused.
export function chipWords(check: RecipientCheck | null | undefined, locale?: string): { text: string; tone: ChipTone } {
  if (!check) return { text: 'checking…', tone: 'checking' };
  switch (check.status) {
    case 'member':
      return { text: check.display_name ? `member: ${check.display_name}` : 'member', tone: 'ok' };
    case 'guest':
      return { text: check.display_name ? `guest: ${check.display_name}` : 'guest', tone: 'ok' };
    case 'verified': {
      const seen = formatDate(check.last_seen_at ?? null, locale);
      return { text: seen ? `verified outside (last seen ${seen})` : 'verified outside', tone: 'ok' };
    }
    case 'pending':
      return { text: 'outside, invited before but never opened: will confirm by email code', tone: 'info' };
    case 'new':
      return { text: 'new outside: will confirm by email code', tone: 'info' };
    case 'invalid':
      return { text: check.reason || 'this is not a valid email address', tone: 'refused' };
    case 'blocked':
      return { text: check.reason || 'access for this address has been turned off by the organization', tone: 'refused' };
    case 'refused':
    default:
      return { text: check.reason || 'sharing with this address is not allowed', tone: 'refused' };
  }
}

export function isRefused(check: RecipientCheck | null | undefined): boolean {
  return !!check && (check.status === 'refused' || check.status === 'blocked' || check.status === 'invalid');
}

// A recipient's state on a link: "pending — never opened", "verified · last opened 5 Dec", …
export function recipientStateWords(r: Pick<LinkRecipient, 'state' | 'first_used_at' | 'last_used_at'> & { verified_at?: string | null; reverify_at?: string | null }, locale?: string): string {
  const last = formatDate(r.last_used_at, locale);
  const opened = last ? `last opened ${last}` : 'never opened';
  switch (r.state) {
    case 'pending':
      return last ? `pending — ${opened}` : 'pending — never opened';
    case 'verified': {
      const parts = [r.verified_at ? `verified ${formatDate(r.verified_at, locale)}` : 'verified'];
      if (last) parts.push(opened);
      if (r.reverify_at) parts.push(`reverification due ${formatDate(r.reverify_at, locale)}`);
      return parts.join(' · ');
    }
    case 'guest':
      return last ? `guest · ${opened}` : 'guest · never opened';
    case 'member':
      return last ? `member · ${opened}` : 'member · never opened';
    case 'blocked':
      return 'blocked by the organization: cannot open it';
    default:
      return r.state;
  }
}

export type DeliveryTone = 'ok' | 'info' | 'bad' | 'none';

// The invitation email's delivery: "sending", "sent", "failed: 550 no such user".
export function deliveryWords(r: Pick<LinkRecipient, 'delivery' | 'delivery_error'>): { text: string; tone: DeliveryTone } {
  switch (r.delivery) {
    case 'queued':
      return { text: r.delivery_error ? `sending (retrying: ${r.delivery_error})` : 'sending', tone: 'info' };
    case 'sent':
      return { text: 'sent', tone: 'ok' };
    case 'failed':
      return { text: `failed: ${r.delivery_error || 'the mail relay refused it'}`, tone: 'bad' };
    case 'dropped':
      return { text: 'not sent (dropped)', tone: 'bad' };
    case 'none':
    default:
      return { text: 'no invitation email', tone: 'none' };
  }
}

export function linkStateWords(state: string, effectiveExpiry: string | null | undefined, locale?: string): string {
  switch (state) {
    case 'active':
      return effectiveExpiry ? `active until ${formatDateTime(effectiveExpiry, locale)}` : 'active, no expiry';
    case 'expired':
      return `expired ${formatDateTime(effectiveExpiry ?? null, locale)}`.trim();
    case 'revoked':
      return 'revoked';
    case 'off_by_policy':
      return 'turned off by the organization’s policy';
    default:
      return state;
  }
}

// Links that end soonest first; links with no end last; then newest first.
export function byExpirySoonest<T extends { effective_expires_at: string | null; created_at: string }>(a: T, b: T): number {
  const ea = toDate(a.effective_expires_at)?.getTime() ?? Number.POSITIVE_INFINITY;
  const eb = toDate(b.effective_expires_at)?.getTime() ?? Number.POSITIVE_INFINITY;
  if (ea !== eb) return ea < eb ? -1 : 1;
  return (toDate(b.created_at)?.getTime() ?? 0) - (toDate(a.created_at)?.getTime() ?? 0);
}

// "2026-12-31" (the value of <input type=date>) ↔ the end of that day, UTC.
export function dateInputToExpiry(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  return `${value}T23:59:59Z`;
}

export function expiryToDateInput(value: string | null | undefined): string {
  const d = toDate(value);
  return d ? d.toISOString().slice(0, 10) : '';
}

// A date `seconds` from `now` as an <input type=date> value.
export function dateInputIn(seconds: number, now = new Date()): string {
  return new Date(now.getTime() + seconds * 1000).toISOString().slice(0, 10);
}

// The last day the policy allows (max_at is the server's "now + maximum").
export function maxDateOf(limits: ExpiryLimits | undefined): string {
  if (!limits) return '';
  if (limits.max_at) return expiryToDateInput(limits.max_at);
  const s = parseDuration(limits.max);
  return s ? dateInputIn(s) : '';
}

// The expiry a link gets when nothing is chosen (already capped by the maximum).
export function defaultDateOf(limits: ExpiryLimits | undefined): string {
  return expiryToDateInput(limits?.default ?? null) || maxDateOf(limits);
}

// The end of the chosen day, but never past the policy's latest moment.
export function expiryOf(date: string, limits: ExpiryLimits | undefined): string | null {
  const end = dateInputToExpiry(date);
  if (!end) return null;
  const max = toDate(limits?.max_at ?? null);
  return max && max.getTime() < Date.parse(end) ? max.toISOString().replace(/\.\d{3}Z$/, 'Z') : end;
}
