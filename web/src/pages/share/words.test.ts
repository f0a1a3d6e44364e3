import { describe, expect, it } from 'vitest';
import {
  byExpirySoonest,
  defaultDateOf,
  expiryOf,
  maxDateOf,
  chipWords,
  dateInputToExpiry,
  deliveryWords,
  expiryToDateInput,
  isRefused,
  recipientStateWords,
  splitAddresses,
} from './words';

describe('chips', () => {
  it('say who an address is, in words', () => {
    expect(chipWords({ address: 'a@x.example', normalized: 'a@x.example', status: 'member', display_name: 'Ada' }).text).toBe('member: Ada');
    expect(chipWords({ address: 'g@x.example', normalized: 'g@x.example', status: 'guest' }).text).toBe('guest');
    expect(
      chipWords({ address: 'v@p.example', normalized: 'v@p.example', status: 'verified', last_seen_at: '2026-12-03T10:00:00Z' }, 'en-GB').text,
    ).toBe('verified outside (last seen 3 Dec 2026)');
    expect(chipWords({ address: 'n@p.example', normalized: 'n@p.example', status: 'new' }).text).toBe('new outside: will confirm by email code');
    expect(chipWords(undefined).tone).toBe('checking');
  });
  it('say why an address is refused', () => {
    const refused = { address: 'e@rival.example', normalized: 'e@rival.example', status: 'refused' as const, reason: 'the domain rival.example is blocked for sharing' };
    expect(chipWords(refused)).toEqual({ text: 'the domain rival.example is blocked for sharing', tone: 'refused' });
    expect(isRefused(refused)).toBe(true);
    expect(chipWords({ address: 'x', normalized: null, status: 'invalid' }).text).toBe('this is not a valid email address');
    expect(isRefused({ address: 'n@p.example', normalized: 'n@p.example', status: 'new' })).toBe(false);
  });
  it('split what was typed or pasted', () => {
    expect(splitAddresses(' a@x.example, b@y.example;c@z.example\n<d@w.example> ')).toEqual(['a@x.example', 'b@y.example', 'c@z.example', 'd@w.example']);
    expect(splitAddresses(' , ')).toEqual([]);
  });
});

describe('recipients and delivery', () => {
  it('says how far each recipient got', () => {
    expect(recipientStateWords({ state: 'pending', first_used_at: null, last_used_at: null })).toBe('pending — never opened');
    expect(recipientStateWords({ state: 'verified', first_used_at: '2026-12-02T10:00:00Z', last_used_at: '2026-12-05T10:00:00Z', verified_at: '2026-12-02T10:00:00Z' }, 'en-GB')).toBe(
      'verified 2 Dec 2026 · last opened 5 Dec 2026',
    );
    expect(recipientStateWords({ state: 'blocked', first_used_at: null, last_used_at: null })).toMatch(/blocked/);
  });
  it('says where the invitation is', () => {
    expect(deliveryWords({ delivery: 'queued', delivery_error: '' }).text).toBe('sending');
    expect(deliveryWords({ delivery: 'sent', delivery_error: '' }).text).toBe('sent');
    expect(deliveryWords({ delivery: 'failed', delivery_error: '550 5.1.1 no such user' })).toEqual({ text: 'failed: 550 5.1.1 no such user', tone: 'bad' });
  });
});

describe('expiry', () => {
  it('orders links that end soonest first, open-ended last', () => {
    const links = [
      { id: 1, effective_expires_at: null, created_at: '2026-11-01T00:00:00Z' },
      { id: 2, effective_expires_at: '2026-12-30T00:00:00Z', created_at: '2026-11-01T00:00:00Z' },
      { id: 3, effective_expires_at: '2026-12-01T00:00:00Z', created_at: '2026-11-01T00:00:00Z' },
    ];
    expect([...links].sort(byExpirySoonest).map((l) => l.id)).toEqual([3, 2, 1]);
  });
  it('turns a date field into the end of that day and back', () => {
    expect(dateInputToExpiry('2026-12-31')).toBe('2026-12-31T23:59:59Z');
    expect(dateInputToExpiry('')).toBeNull();
    expect(expiryToDateInput('2026-12-31T23:59:59Z')).toBe('2026-12-31');
  });
});

describe('expiry within the policy', () => {
  const limits = { default: '2026-12-06T05:00:00Z', max: '30d', max_at: '2026-12-29T05:00:00Z' };
  it('offers the default day and the last allowed day', () => {
    expect(defaultDateOf(limits)).toBe('2026-12-06');
    expect(maxDateOf(limits)).toBe('2026-12-29');
    expect(defaultDateOf({ default: null, max: null, max_at: null })).toBe('');
    expect(defaultDateOf({ default: null, max: '30d', max_at: '2026-12-29T05:00:00Z' })).toBe('2026-12-29');
    expect(defaultDateOf(undefined)).toBe('');
  });
  it('sends the end of the chosen day, never past the maximum', () => {
    expect(expiryOf('2026-12-10', limits)).toBe('2026-12-10T23:59:59Z');
    expect(expiryOf('2026-12-29', limits)).toBe('2026-12-29T05:00:00Z');
    expect(expiryOf('', limits)).toBeNull();
    expect(expiryOf('2027-03-01', undefined)).toBe('2027-03-01T23:59:59Z');
  });
});
