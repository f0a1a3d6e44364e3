import { describe, expect, it } from 'vitest';
import { nextSort, sortItems } from './sort';

const items = [
  { name: 'b10.txt', kind: 'file' as const, size: 5, modified_at: '2026-11-02T10:00:00Z' },
  { name: 'B2.txt', kind: 'file' as const, size: 50, modified_at: '2026-11-01T10:00:00Z' },
  { name: 'zeta', kind: 'folder' as const, size: 0, modified_at: '2026-11-03T10:00:00Z' },
  { name: 'alpha', kind: 'folder' as const, size: 0, modified_at: '2026-10-01T10:00:00Z' },
];

describe('sortItems', () => {
  it('puts folders first and names in natural order', () => {
    expect(sortItems(items, { key: 'name', dir: 'ascending' }).map((i) => i.name)).toEqual(['alpha', 'zeta', 'B2.txt', 'b10.txt']);
  });
  it('reverses within the groups, folders still first', () => {
    expect(sortItems(items, { key: 'name', dir: 'descending' }).map((i) => i.name)).toEqual(['zeta', 'alpha', 'b10.txt', 'B2.txt']);
  });
  it('sorts by size and by date', () => {
    expect(sortItems(items, { key: 'size', dir: 'descending' }).map((i) => i.name)).toEqual(['zeta', 'alpha', 'B2.txt', 'b10.txt']);
    expect(sortItems(items, { key: 'modified', dir: 'ascending' }).map((i) => i.name)).toEqual(['alpha', 'zeta', 'B2.txt', 'b10.txt']);
  });
  it('does not change its input', () => {
    const copy = [...items];
    sortItems(items, { key: 'size', dir: 'ascending' });
    expect(items).toEqual(copy);
  });
});

describe('nextSort', () => {
  it('flips the same column and starts new ones sensibly', () => {
    expect(nextSort({ key: 'name', dir: 'ascending' }, 'name')).toEqual({ key: 'name', dir: 'descending' });
    expect(nextSort({ key: 'name', dir: 'ascending' }, 'size')).toEqual({ key: 'size', dir: 'descending' });
    expect(nextSort({ key: 'size', dir: 'descending' }, 'name')).toEqual({ key: 'name', dir: 'ascending' });
  });
});
