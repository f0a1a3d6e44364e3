import { describe, expect, it } from 'vitest';
import { entryPath, type SharedWithMeEntry } from './SharedWithMe';

const entry = (url: string, link_id: number | null = 7): SharedWithMeEntry => ({
  item: { id: 3, name: 'plan.pdf', kind: 'file', size: 1 },
  shared_by: { display_name: 'Ada' },
  link_id,
  url,
  role: 'view',
});

describe('entryPath', () => {
  it('opens the page the server names, on this origin', () => {
    expect(entryPath(entry('https://files.example.org/shared/7'))).toBe('/shared/7');
    expect(entryPath(entry('https://files.example.org/files/3', null))).toBe('/files/3');
  });
  it('falls back to the link, then the item', () => {
    expect(entryPath(entry('https://files.example.org/elsewhere'))).toBe('/shared/7');
    expect(entryPath(entry('', null))).toBe('/files/3');
  });
});
