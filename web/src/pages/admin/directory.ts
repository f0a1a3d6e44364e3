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
  last_sign_in_at?: string | null;
  aliases?: string[];
}

export type IdentityFilter = 'all' | 'pending' | 'verified' | 'guest' | 'blocked' | 'codes_blocked';

export function filterIdentities<T extends IdentityRow>(rows: T[], query: string, state: IdentityFilter): T[] {
  const q = query.trim().toLowerCase();
  return rows.filter((r) => {
    if (q && ![r.address ?? '', ...(r.aliases ?? [])].some((a) => a.toLowerCase().includes(q))) return false;
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

// What a reach entry's state means for the address.
export function reachStateLabel(state: string | undefined): string {
  switch (state) {
    case 'active':
      return 'Opens now';
    case 'expired':
      return 'Expired';
    case 'revoked':
      return 'Link revoked';
    case 'off_by_policy':
      return 'Off by policy';
    case 'trashed':
      return 'In the trash';
    case 'inactive':
      return 'Not a guest now';
    default:
      return state ?? 'Unknown';
  }
}

// The address of an address view's path (`/admin/directory/{address}`), or null.
export function addressInPath(path: string): string | null {
  const m = /^\/admin\/directory\/([^/]+)\/?$/.exec(path);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

export function addressPath(address: string): string {
  return `/admin/directory/${encodeURIComponent(address)}`;
}
