// Words for the audit log's entries: who acted, what it was about, what changed.
import type { Schemas } from '../../api/client';

type Entry = Schemas['AuditEntry'];

export interface AuditFilter {
  event: string;
  actor: string;
  target: string;
}

// The query of a filter: only the fields that are set, trimmed.
export function auditQuery(filter: AuditFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['event', 'actor', 'target'] as const) {
    const value = filter[key].trim();
    if (value) out[key] = value;
  }
  return out;
}

const kKinds: Record<string, string> = {
  member: 'Member',
  guest: 'Guest',
  external: 'Outside person',
  anonymous: 'Someone not signed in',
  cli: 'Command line',
  system: 'Vestibule',
};

export function auditActor(e: Entry): string {
  const kind = kKinds[e.actor.kind] ?? e.actor.kind;
  if (e.actor.address) return e.actor.kind === 'member' ? e.actor.address : `${kind}: ${e.actor.address}`;
  if (e.erased && e.actor.kind !== 'member') return `${kind} (erased)`;
  return kind;
}

export function auditTarget(e: Entry): string {
  if (typeof e.target === 'string') return e.target || '—';
  return e.target.ref ? `${e.target.address} (${e.target.ref})` : e.target.address;
}

// The details as "key: value" pairs; a setting's change as "key: old → new".
export function auditDetails(e: Entry): string {
  const details = (e.details ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  for (const [key, value] of Object.entries(details)) {
    if (key === 'changes' && value && typeof value === 'object') {
      for (const [name, change] of Object.entries(value as Record<string, { old?: unknown; new?: unknown }>)) {
        parts.push(`${name}: ${JSON.stringify(change.old)} → ${JSON.stringify(change.new)}`);
      }
    } else if (key !== 'keys') {
      parts.push(`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    }
  }
  return parts.join(', ');
}
