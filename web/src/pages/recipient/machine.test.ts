import { describe, expect, it } from 'vitest';
import type { Summary } from './api';
import { clock, daysSince, digitsOf, formatDay, goneStateOf, openUntil, sentence, stepOf } from './machine';

const now = Date.parse('2026-11-29T10:00:00Z');

function summary(extra: Partial<Summary>): Summary {
  return {
    item: { id: 2, name: 'plan.pdf', kind: 'file', size: 10 },
    shared_by: { display_name: 'Ada Lovelace' },
    kind: 'specific',
    role: 'view',
    block_download: false,
    message: '',
    needs: 'verification',
    ...extra,
  } as Summary;
}

describe('stepOf', () => {
  it('follows needs', () => {
    expect(stepOf(summary({ needs: 'none' }), now)).toEqual({ step: 'open' });
    expect(stepOf(summary({ needs: 'password' }), now)).toEqual({ step: 'password' });
    expect(stepOf(summary({ needs: 'sign_in' }), now)).toEqual({ step: 'sign_in' });
    expect(stepOf(summary({ needs: 'verification' }), now)).toEqual({ step: 'verify' });
  });
  it('says why a signed-in browser cannot open it', () => {
    const who = { signed_in_as: { kind: 'external' as const, email: 'bob@partner.example' } };
    expect(stepOf(summary({ ...who, reason: 'not_invited' }), now)).toEqual({
      step: 'not_invited',
      email: 'bob@partner.example',
    });
    expect(stepOf(summary({ ...who, reason: 'removed' }), now).step).toBe('removed');
    expect(stepOf(summary({ ...who, reason: 'blocked' }), now).step).toBe('blocked');
    expect(stepOf(summary({ ...who, reason: 'reverification_due', proved_at: '2026-10-29T09:00:00Z' }), now)).toEqual({
      step: 'reverify',
      email: 'bob@partner.example',
      days: 31,
    });
  });
  it('treats a signed-in browser without a reason as someone else (older servers)', () => {
    const who = { signed_in_as: { kind: 'member' as const, email: 'm@example.org' } };
    expect(stepOf(summary(who), now)).toEqual({ step: 'not_invited', email: 'm@example.org' });
  });
});

describe('helpers', () => {
  it('keeps only the digits of a pasted code', () => {
    expect(digitsOf('1234 5678')).toBe('12345678');
    expect(digitsOf('1234-5678')).toBe('12345678');
    expect(digitsOf(' Code: 8629 6491 ')).toBe('86296491');
    expect(digitsOf('123456789', 8)).toBe('12345678');
  });
  it('counts down', () => {
    expect(clock(25)).toBe('0:25');
    expect(clock(24.2)).toBe('0:25');
    expect(clock(125)).toBe('2:05');
    expect(clock(3725)).toBe('1:02:05');
    expect(clock(-3)).toBe('0:00');
  });
  it('counts whole days since a proof', () => {
    expect(daysSince('2026-11-28T09:00:00Z', now)).toBe(1);
    expect(daysSince('2026-11-29T09:00:00Z', now)).toBeNull();
    expect(daysSince(undefined, now)).toBeNull();
  });
  it('takes the earlier expiry', () => {
    expect(openUntil({ expires_at: '2026-12-30T00:00:00Z', recipient_expires_at: '2026-12-10T00:00:00Z' })?.toISOString()).toBe(
      '2026-12-10T00:00:00.000Z',
    );
    expect(openUntil({ expires_at: null, recipient_expires_at: null })).toBeNull();
  });
  it('writes days without the year of now', () => {
    expect(formatDay('2026-11-28T12:00:00Z', now, 'en-GB')).toBe('28\u00a0Nov');
    expect(formatDay('2027-01-02T12:00:00Z', now, 'en-GB')).toBe('2\u00a0Jan\u00a02027');
  });
  it('makes sentences of server messages', () => {
    expect(sentence("that is not the link's password")).toBe("That is not the link's password.");
    expect(sentence('Done.')).toBe('Done.');
    expect(sentence('')).toBe('');
  });
  it('knows why a link is gone', () => {
    expect(goneStateOf({ state: 'expired', expired_at: '2026-11-28T00:00:00Z', shared_by: { display_name: 'Ada' } }, '')).toBe('expired');
    expect(goneStateOf(null, 'this link was revoked by its owner; you can ask them for access')).toBe('revoked');
    expect(goneStateOf(null, 'this link expired on 2026-11-28')).toBe('expired');
    expect(goneStateOf(null, 'gone')).toBe('unknown_reason');
  });
});
