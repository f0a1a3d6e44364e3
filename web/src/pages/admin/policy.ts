// The admin's policy form as plain logic: every setting of SPEC §3 with its label, group and
// kind; the server's values turned into what the form shows (durations as typed text, domain
// lists one per line), and back into the PATCH of only what changed. Pure, unit-tested.
import { formatSeconds, parseDuration } from '../../lib/format';

export type SettingKind = 'duration' | 'count' | 'bool' | 'domains' | 'choice' | 'text';
export type GroupId = 'receive' | 'prove' | 'last' | 'organization';

export interface Setting {
  key: string;
  label: string;
  kind: SettingKind;
  group: GroupId;
  hint: string;
  options?: { value: string; label: string }[];
  min?: number;
  max?: number;
  // Only shown when the server returns the key (settings newer than some servers).
  optional?: boolean;
}

export const kGroups: { id: GroupId; title: string; intro: string }[] = [
  {
    id: 'receive',
    title: 'Who can receive',
    intro: 'How far outside the organization people can share, with which domains, and what a new link is by default.',
  },
  {
    id: 'prove',
    title: 'How they prove it',
    intro: 'People outside confirm that they own the invited address with a short code sent to it. Durations are written like 30d, 12h, 10m or 90s.',
  },
  {
    id: 'last',
    title: 'How long it lasts',
    intro: 'How long a confirmed address, a remembered device, a guest and a link stay valid. Durations are written like 30d, 12h, 10m or 90s; 0 where it says so.',
  },
  {
    id: 'organization',
    title: 'The organization',
    intro: 'What recipients see about who shares with them and whom to ask.',
  },
];

export const kSettings: Setting[] = [
  {
    key: 'external_sharing',
    label: 'External sharing',
    kind: 'choice',
    group: 'receive',
    hint: 'Checked when a link is made and again on every request: a stricter level ends the access it no longer allows.',
    options: [
      { value: 'anyone', label: 'Anyone, also with links that work for whoever holds them' },
      { value: 'new_and_existing_guests', label: 'New and existing guests: any outside address, confirmed by email code' },
      { value: 'existing_guests', label: 'Existing guests only' },
      { value: 'internal_only', label: 'Nobody outside the organization' },
    ],
  },
  {
    key: 'internal_domains',
    label: 'Internal domains',
    kind: 'domains',
    group: 'receive',
    hint: 'The organization’s own email domains, one per line or separated by commas. Sharing with an address there that no member has is refused.',
  },
  {
    key: 'allowed_domains',
    label: 'Allowed domains',
    kind: 'domains',
    group: 'receive',
    hint: 'When set, outside recipients must be in one of these domains (or below them). Leave empty to allow every domain. Not together with blocked domains.',
  },
  {
    key: 'blocked_domains',
    label: 'Blocked domains',
    kind: 'domains',
    group: 'receive',
    hint: 'Outside recipients in these domains (or below them) are refused. Not together with allowed domains.',
  },
  {
    key: 'default_link_kind',
    label: 'Default link type',
    kind: 'choice',
    group: 'receive',
    hint: 'What a new link is unless the sharer picks another type.',
    options: [
      { value: 'specific', label: 'Specific people' },
      { value: 'anyone', label: 'Anyone with the link' },
      { value: 'organization', label: 'People in the organization' },
      { value: 'existing', label: 'People who already have access' },
    ],
  },
  {
    key: 'default_link_role',
    label: 'Default access',
    kind: 'choice',
    group: 'receive',
    hint: 'What a new link allows unless the sharer picks otherwise.',
    options: [
      { value: 'view', label: 'Can view' },
      { value: 'edit', label: 'Can edit' },
    ],
  },
  {
    key: 'email_code_enabled',
    label: 'People outside confirm their address with an email code',
    kind: 'bool',
    group: 'prove',
    hint: 'Off: only members and guests can receive shares; outside addresses that are not guests lose access.',
  },
  { key: 'code_length', label: 'Code length (digits)', kind: 'count', group: 'prove', hint: 'From 6 to 10 digits.', min: 6, max: 10 },
  {
    key: 'code_lifetime',
    label: 'Code lifetime',
    kind: 'duration',
    group: 'prove',
    hint: 'How long a code works, from 1m to 1d.',
  },
  {
    key: 'code_max_tries',
    label: 'Wrong tries per code',
    kind: 'count',
    group: 'prove',
    hint: 'After this many wrong tries a code stops working and the person asks for a new one (1 to 10).',
    min: 1,
    max: 10,
  },
  {
    key: 'code_sends_per_address_per_hour',
    label: 'Codes per address per hour',
    kind: 'count',
    group: 'prove',
    hint: 'More requests are answered as usual, but no further code is sent (1 to 100).',
    min: 1,
    max: 100,
  },
  {
    key: 'code_sends_per_link_per_hour',
    label: 'Code requests per link per hour',
    kind: 'count',
    group: 'prove',
    hint: 'From one client address; past it the page asks to wait (1 to 1000).',
    min: 1,
    max: 1000,
  },
  {
    key: 'require_account_match',
    label: 'A sign-in must prove the invited address',
    kind: 'bool',
    group: 'prove',
    hint: 'A sign-in other than the email code must be for the invited address or one of its aliases. The email code always proves it.',
  },
  {
    key: 'reverify_after',
    label: 'Reverification period',
    kind: 'duration',
    group: 'last',
    hint: 'How long a confirmed address stays confirmed; after it, the person asks for a new code on their next click. 0: a code for every new session.',
  },
  {
    key: 'remember_device_for',
    label: 'Remember device for',
    kind: 'duration',
    group: 'last',
    hint: 'How long a device the person chose to remember stays signed in; never longer than the reverification period (shortening the period shortens this too).',
  },
  {
    key: 'guest_expiry',
    label: 'Guest expiry',
    kind: 'duration',
    group: 'last',
    hint: 'Guests expire this long after their last sign-in; 0: never.',
  },
  {
    key: 'promote_verified_to_guest',
    label: 'Promote verified addresses to guests',
    kind: 'bool',
    group: 'last',
    hint: 'A person who confirms their address becomes a guest: they can be added to spaces and picked in the people picker.',
  },
  {
    key: 'anyone_link_max_lifetime',
    label: 'Anyone-link maximum lifetime',
    kind: 'duration',
    group: 'last',
    hint: 'Counted from the link’s creation; a shorter value also shortens existing links. 0: no maximum.',
  },
  {
    key: 'anyone_link_require_password',
    label: 'Anyone links need a password',
    kind: 'bool',
    group: 'last',
    hint: 'Existing anyone links without a password stop working while this is on.',
  },
  {
    key: 'specific_link_default_lifetime',
    label: 'Specific-link default lifetime',
    kind: 'duration',
    group: 'last',
    hint: 'The expiry a link for specific people gets when the sharer sets none; 0: none.',
  },
  {
    key: 'specific_link_max_lifetime',
    label: 'Specific-link maximum lifetime',
    kind: 'duration',
    group: 'last',
    hint: 'Counted from the link’s creation; a shorter value also shortens existing links. 0: no maximum.',
  },
  {
    key: 'organization_name',
    label: 'Organization name',
    kind: 'text',
    group: 'organization',
    hint: 'Shown to recipients on the link’s page and in sign-in prompts.',
    optional: true,
  },
  {
    key: 'organization_contact',
    label: 'Organization contact',
    kind: 'text',
    group: 'organization',
    hint: 'An email address or web page recipients can turn to, for example when their access was turned off.',
    optional: true,
  },
];

export type PolicyValues = Record<string, unknown>;
export type FormValues = Record<string, string | boolean>;

// The settings this server has: all of SPEC §3, and the optional ones only when returned.
export function visibleSettings(policy: PolicyValues): Setting[] {
  return kSettings.filter((s) => !s.optional || s.key in policy);
}

export function splitDomains(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((d) => d.trim())
    .filter(Boolean);
}

// "30 d", " 12H " -> "30d", "12h"; anything else is left for the server to judge.
export function normalizeDuration(text: string): string {
  const t = text.trim().toLowerCase();
  const m = /^(\d+)\s*([smhd])$/.exec(t);
  return m ? `${m[1]}${m[2]}` : t;
}

// How the form reads a duration as it is typed: "30 days", or why it cannot be read.
export function durationReading(text: string): { ok: boolean; words: string } {
  const s = parseDuration(normalizeDuration(text));
  if (s === null) return { ok: false, words: 'Not a duration yet: write a number and a unit, like 30d, 12h, 10m or 90s.' };
  if (s === 0) return { ok: true, words: 'Reads as 0.' };
  return { ok: true, words: `Reads as ${formatSeconds(s)}.` };
}

export function toForm(policy: PolicyValues): FormValues {
  const form: FormValues = {};
  for (const s of visibleSettings(policy)) {
    const v = policy[s.key];
    if (s.kind === 'bool') form[s.key] = Boolean(v);
    else if (s.kind === 'domains') form[s.key] = Array.isArray(v) ? v.join('\n') : '';
    else form[s.key] = v === null || v === undefined ? '' : String(v);
  }
  return form;
}

function sameList(a: unknown, b: string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
}

export interface PatchPlan {
  patch: Record<string, unknown>;
  // Keys the form changed on the admin's behalf, with the sentence that says so.
  adjusted: { key: string; note: string }[];
  // A value the form cannot send as it is (e.g. letters in a count): key and message.
  invalid?: { key: string; message: string };
}

// Only what changed, in the server's types. Shortening the reverification period below the
// remembered-device time shortens that too (the server refuses remember > reverify), unless
// the admin set both.
export function planPatch(policy: PolicyValues, form: FormValues): PatchPlan {
  const patch: Record<string, unknown> = {};
  const adjusted: PatchPlan['adjusted'] = [];
  for (const s of visibleSettings(policy)) {
    const raw = form[s.key];
    const old = policy[s.key];
    if (s.kind === 'bool') {
      if (Boolean(raw) !== Boolean(old)) patch[s.key] = Boolean(raw);
    } else if (s.kind === 'domains') {
      const list = splitDomains(String(raw ?? ''));
      if (!sameList(old, list)) patch[s.key] = list;
    } else if (s.kind === 'count') {
      const text = String(raw ?? '').trim();
      if (text === String(old)) continue;
      if (!/^\d+$/.test(text)) {
        return {
          patch,
          adjusted,
          invalid: { key: s.key, message: `Write a whole number${s.min !== undefined ? ` from ${s.min} to ${s.max}` : ''}, like ${String(old)}.` },
        };
      }
      patch[s.key] = Number(text);
    } else if (s.kind === 'duration') {
      const text = normalizeDuration(String(raw ?? ''));
      if (text === String(old)) continue;
      if (text === '') {
        return { patch, adjusted, invalid: { key: s.key, message: `Write a duration, like ${String(old)}; 0 for none.` } };
      }
      patch[s.key] = text;
    } else {
      const text = String(raw ?? '').trim();
      if (text !== String(old ?? '')) patch[s.key] = text;
    }
  }
  if ('reverify_after' in patch && !('remember_device_for' in patch)) {
    const reverify = parseDuration(String(patch.reverify_after));
    const remember = parseDuration(String(policy.remember_device_for ?? ''));
    if (reverify !== null && remember !== null && remember > reverify) {
      patch.remember_device_for = patch.reverify_after;
      adjusted.push({
        key: 'remember_device_for',
        note: `“Remember device for” was shortened to ${String(patch.reverify_after)} as well: it can’t be longer than the reverification period.`,
      });
    }
  }
  return { patch, adjusted };
}

export function settingFor(key: string | undefined): Setting | undefined {
  return key ? kSettings.find((s) => s.key === key) : undefined;
}
