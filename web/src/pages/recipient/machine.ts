// The recipient page's state machine and its wording helpers: pure functions of the link's
// summary (GET …/shares/{token}) and the clock, unit-tested in machine.test.ts.
import { toDate } from '../../lib/format';
import type { GoneLink, Summary } from './api';

export type Step =
  | { step: 'open' }
  | { step: 'verify' }
  | { step: 'password' }
  | { step: 'sign_in' }
  | { step: 'not_invited'; email: string }
  | { step: 'reverify'; email: string; days: number | null }
  | { step: 'removed'; email: string }
  | { step: 'blocked'; email: string };

const kDay = 86_400_000;

// What the page shows for a link that opens: driven by `needs`, then by `reason` when a session is
// there but does not reach the item.
export function stepOf(s: Summary, now: number): Step {
  switch (s.needs) {
    case 'none':
      return { step: 'open' };
    case 'password':
      return { step: 'password' };
    case 'sign_in':
      return { step: 'sign_in' };
    default:
      break;
  }
  const email = s.signed_in_as?.email ?? '';
  switch (s.reason) {
    case 'reverification_due':
      return { step: 'reverify', email, days: daysSince(s.proved_at, now) };
    case 'removed':
      return { step: 'removed', email };
    case 'blocked':
      return { step: 'blocked', email };
    case 'not_invited':
      return { step: 'not_invited', email };
    default:
      // A server without `reason`: a signed-in browser that still needs a code is someone else.
      return email ? { step: 'not_invited', email } : { step: 'verify' };
  }
}

// Whole days from `then` to `now`; null when unknown or not in the past.
export function daysSince(then: string | null | undefined, now: number): number | null {
  const d = toDate(then);
  if (!d) return null;
  const days = Math.floor((now - d.getTime()) / kDay);
  return days >= 1 ? days : null;
}

// The earlier of the link's and the recipient's expiry.
export function openUntil(s: Pick<Summary, 'expires_at' | 'recipient_expires_at'>): Date | null {
  const dates = [toDate(s.expires_at), toDate(s.recipient_expires_at)].filter((d): d is Date => d !== null);
  if (dates.length === 0) return null;
  return dates.reduce((a, b) => (a.getTime() <= b.getTime() ? a : b));
}

// "28 Nov" this year, "28 Nov 2027" otherwise.
export function formatDay(value: Date | string | null | undefined, now: number, locale?: string): string {
  const d = toDate(value);
  if (!d) return '';
  const sameYear = d.getUTCFullYear() === new Date(now).getUTCFullYear();
  // No break inside a date ("1 Dec" never splits over two lines).
  return d
    .toLocaleDateString(locale, { day: 'numeric', month: 'short', ...(sameYear ? {} : { year: 'numeric' }) })
    .replace(/ /g, '\u00a0');
}

// A code as typed or pasted ("1234 5678", "1234-5678", "Code: 12345678") → its digits.
export function digitsOf(text: string, max = 12): string {
  return text.replace(/\D/g, '').slice(0, max);
}

// A live countdown: 25 → "0:25", 125 → "2:05", 3725 → "1:02:05".
export function clock(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

// The server's messages are lower-case clauses ("that is not the link's password"); on a page
// they read as sentences.
export function sentence(text: string | null | undefined): string {
  const t = (text ?? '').trim();
  if (!t) return '';
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

export type GoneState = GoneLink['state'] | 'unknown_reason';

// Why a link no longer opens, from its 410 `link` object, or (a server without it) its message.
export function goneStateOf(link: GoneLink | null, message: string): GoneState {
  if (link?.state) return link.state;
  if (/expire/i.test(message)) return 'expired';
  if (/revoke/i.test(message)) return 'revoked';
  if (/polic/i.test(message)) return 'off_by_policy';
  if (/delete|trash/i.test(message)) return 'deleted';
  return 'unknown_reason';
}
