import { describe, expect, it } from 'vitest';
import { durationReading, normalizeDuration, planPatch, splitDomains, toForm, visibleSettings } from './policy';

const policy = {
  external_sharing: 'new_and_existing_guests',
  internal_domains: ['example.org'],
  allowed_domains: [],
  blocked_domains: [],
  email_code_enabled: true,
  code_length: 8,
  code_lifetime: '10m',
  code_max_tries: 5,
  code_sends_per_address_per_hour: 5,
  code_sends_per_link_per_hour: 20,
  reverify_after: '30d',
  remember_device_for: '30d',
  promote_verified_to_guest: false,
  guest_expiry: '90d',
  require_account_match: true,
  default_link_kind: 'specific',
  default_link_role: 'view',
  anyone_link_max_lifetime: '30d',
  anyone_link_require_password: false,
  specific_link_default_lifetime: '0',
  specific_link_max_lifetime: '0',
};

describe('policy form', () => {
  it('shows every SPEC §3 setting, and the organization only when the server has it', () => {
    expect(visibleSettings(policy).map((s) => s.key).sort()).toEqual(Object.keys(policy).sort());
    const withOrg = { ...policy, organization_name: 'Acme', organization_contact: 'it@acme.example' };
    expect(visibleSettings(withOrg)).toHaveLength(23);
    expect(toForm(withOrg).organization_name).toBe('Acme');
  });

  it('sends nothing when nothing changed', () => {
    expect(planPatch(policy, toForm(policy))).toEqual({ patch: {}, adjusted: [] });
  });

  it('sends only what changed, in the server types', () => {
    const form = {
      ...toForm(policy),
      code_length: ' 6 ',
      blocked_domains: 'rival.example,\n other.example ',
      email_code_enabled: false,
      code_lifetime: '15 M',
    };
    expect(planPatch(policy, form).patch).toEqual({
      code_length: 6,
      blocked_domains: ['rival.example', 'other.example'],
      email_code_enabled: false,
      code_lifetime: '15m',
    });
  });

  it('shortens the remembered device with the reverification period', () => {
    const plan = planPatch(policy, { ...toForm(policy), reverify_after: '1h' });
    expect(plan.patch).toEqual({ reverify_after: '1h', remember_device_for: '1h' });
    expect(plan.adjusted[0]?.key).toBe('remember_device_for');
    // Not when the admin set both, or when the period stays longer.
    expect(planPatch(policy, { ...toForm(policy), reverify_after: '1h', remember_device_for: '10m' }).patch).toEqual({
      reverify_after: '1h',
      remember_device_for: '10m',
    });
    expect(planPatch(policy, { ...toForm(policy), reverify_after: '60d' }).patch).toEqual({ reverify_after: '60d' });
    // Unreadable durations go to the server as typed, so that its message names the field.
    expect(planPatch(policy, { ...toForm(policy), reverify_after: 'soon' }).patch).toEqual({ reverify_after: 'soon' });
  });

  it('refuses what cannot be sent, naming the field', () => {
    expect(planPatch(policy, { ...toForm(policy), code_length: 'eight' }).invalid?.key).toBe('code_length');
    expect(planPatch(policy, { ...toForm(policy), guest_expiry: '  ' }).invalid?.key).toBe('guest_expiry');
  });

  it('reads lists and durations as typed', () => {
    expect(splitDomains('a.example\nb.example, c.example;;\n')).toEqual(['a.example', 'b.example', 'c.example']);
    expect(normalizeDuration(' 12 H')).toBe('12h');
    expect(durationReading('30d')).toEqual({ ok: true, words: 'Reads as 30 days.' });
    expect(durationReading('x').ok).toBe(false);
  });
});
