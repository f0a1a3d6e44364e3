// Searching and filtering the external directory in the browser (the list is one answer), and
// the words for each state. Pure, unit-tested.

export interface IdentityRow {
  address?: string;
  state?: string;
  codes_blocked?: boolean;
  consecutive_failures?: number;
  verified_at?: string | null;
  // Newer servers may say when the address last proved itself.
  last_verified_at?: string | null;
}

export type IdentityFilter = 'all' | 'pending' | 'verified' | 'guest' | 'blocked' | 'codes_blocked';

export function filterIdentities<T extends IdentityRow>(rows: T[], query: string, state: IdentityFilter): T[] {
  const q = query.trim().toLowerCase();
  return rows.filter((r) => {
    if (q && !(r.address ?? '').toLowerCase().includes(q)) return false;
    if (state === 'all') return true;
    if (state === 'codes_blocked') return Boolean(r.codes_blocked);
    return r.state === state;
  });
}

export function identityStateLabel(state: string | undefined): string {
  switch (state) {
    case 'pending':
      return 'Pending: never opened';
    case 'verified':
      return 'Verified';
    case 'guest':
      return 'Guest';
    case 'blocked':
      return 'Blocked';
    default:
      return state ?? 'Unknown';
  }
}

// The server writes its messages as clauses ("setting 'code_length': must be …"); shown alone
// they read better as a sentence.
export function sentence(message: string): string {
  const t = message.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?)]$/.test(first) ? first : `${first}.`;
}
