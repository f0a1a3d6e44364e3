import { describe, expect, it } from 'vitest';
import { addressInPath, addressPath, filterIdentities, reachStateLabel, sentence } from './directory';
import { sortOutbox } from './outbox';
import { apiQuery, endsBeforeInstant, filtersFromQuery, formFieldOf, pageQuery } from './report';

describe('external directory', () => {
  const rows = [
    { address: 'bob@partner.example', state: 'verified' },
    { address: 'eve@rival.example', state: 'blocked', codes_blocked: true },
    { address: 'lena@partner.example', state: 'pending' },
  ];
  it('searches and filters in the browser', () => {
    expect(filterIdentities(rows, 'PARTNER', 'all').map((r) => r.address)).toEqual([
      'bob@partner.example',
      'lena@partner.example',
    ]);
    expect(filterIdentities(rows, '', 'blocked')).toHaveLength(1);
    expect(filterIdentities(rows, '', 'codes_blocked')[0]?.address).toBe('eve@rival.example');
    expect(filterIdentities(rows, 'partner', 'pending').map((r) => r.address)).toEqual(['lena@partner.example']);
  });
  it('finds an address by one of its aliases', () => {
    const withAlias = [...rows, { address: 'gia@partner.example', state: 'guest', aliases: ['gia.home@mail.example'] }];
    expect(filterIdentities(withAlias, 'MAIL.example', 'all').map((r) => r.address)).toEqual(['gia@partner.example']);
    expect(filterIdentities(withAlias, 'mail', 'guest')).toHaveLength(1);
    expect(filterIdentities(withAlias, 'mail', 'pending')).toHaveLength(0);
  });
  it('names an address view by its path and back', () => {
    const path = addressPath('gia+x@partner.example');
    expect(path).toBe('/admin/directory/gia%2Bx%40partner.example');
    expect(addressInPath(path)).toBe('gia+x@partner.example');
    expect(addressInPath('/admin/directory')).toBeNull();
    expect(addressInPath('/admin/directory/%E0%A4%A')).toBeNull();
    expect(reachStateLabel('active')).toBe('Opens now');
  });
});

describe("the server's messages", () => {
  it('read as sentences', () => {
    expect(sentence("setting 'code_length': must be between 6 and 10")).toBe("Setting 'code_length': must be between 6 and 10.");
    expect(sentence('Already a sentence.')).toBe('Already a sentence.');
    expect(sentence('')).toBe('');
  });
});

describe('outbox', () => {
  it('puts failed mail first, then waiting, newest first within', () => {
    const sorted = sortOutbox([
      { id: 1, state: 'sent', created_at: '2026-11-29T10:00:00Z' },
      { id: 2, state: 'failed', created_at: '2026-11-29T09:00:00Z' },
      { id: 3, state: 'queued', created_at: '2026-11-29T11:00:00Z' },
      { id: 4, state: 'failed', created_at: '2026-11-29T12:00:00Z' },
      { id: 5, state: 'sent', created_at: '2026-11-29T12:00:00Z' },
    ]);
    expect(sorted.map((m) => m.id)).toEqual([4, 2, 3, 5, 1]);
  });
});

describe('external sharing report filters', () => {
  it('keeps the filters in the page address and makes the API query', () => {
    const f = filtersFromQuery({ owner: 'ada@example.org', kind: 'specific', ends_before: '2030-01-31', junk: 'x' });
    expect(pageQuery(f)).toBe('owner=ada%40example.org&kind=specific&ends_before=2030-01-31');
    expect(apiQuery(f, 'csv')).toBe(
      `owner=ada%40example.org&kind=specific&expires_before=${encodeURIComponent(endsBeforeInstant('2030-01-31'))}&format=csv`,
    );
    expect(filtersFromQuery({ kind: 'bogus' }).kind).toBe('');
    expect(pageQuery(filtersFromQuery({}))).toBe('');
  });
  it('turns a day into the instant it starts, and leaves other text for the server to judge', () => {
    expect(endsBeforeInstant('2030-01-31')).toBe(new Date(2030, 0, 31).toISOString().replace('.000Z', 'Z'));
    expect(endsBeforeInstant('next week')).toBe('next week');
  });
  it("maps the server's field to the form's", () => {
    expect(formFieldOf('expires_before')).toBe('ends_before');
    expect(formFieldOf('owner')).toBe('owner');
    expect(formFieldOf('format')).toBeNull();
  });
});
