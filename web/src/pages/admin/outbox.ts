// The outbox as an admin reads it: failed mail first (it needs someone to act), then mail still
// waiting, then the rest; newest first within each. Pure, unit-tested.

export interface OutboxRow {
  id?: number;
  state?: string;
  created_at?: string;
}

const kRank: Record<string, number> = { failed: 0, queued: 1, dropped: 2, sent: 3 };

export function sortOutbox<T extends OutboxRow>(rows: T[]): T[] {
  return [...rows].sort((a, b) => {
    const r = (kRank[a.state ?? ''] ?? 4) - (kRank[b.state ?? ''] ?? 4);
    if (r !== 0) return r;
    const t = (b.created_at ?? '').localeCompare(a.created_at ?? '');
    return t !== 0 ? t : (b.id ?? 0) - (a.id ?? 0);
  });
}

export function outboxStateLabel(state: string | undefined): string {
  switch (state) {
    case 'failed':
      return 'Failed';
    case 'queued':
      return 'Waiting to be sent';
    case 'dropped':
      return 'Dropped: its code expired first';
    case 'sent':
      return 'Sent';
    default:
      return state ?? 'Unknown';
  }
}

export function outboxKindLabel(kind: string | undefined): string {
  switch (kind) {
    case 'invitation':
      return 'Invitation';
    case 'code':
      return 'Code';
    case 'notification':
      return 'Notification';
    default:
      return kind ?? '';
  }
}
